package main

// Dict is the shared object of every task here.
type Dict map[string]int

// Counter is the worker state of every task here.
type Counter struct{ N int }
