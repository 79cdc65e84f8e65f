package main

//mpire:task
func Square(x int) int { return x * x }
