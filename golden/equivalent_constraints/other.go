//go:build !linux && !darwin

package main

import "fmt"

func run() { fmt.Println("Square and Cube run on Linux and macOS only") }
