//go:build !linux

package main

import "fmt"

func run() { fmt.Println("Count runs on Linux only") }
