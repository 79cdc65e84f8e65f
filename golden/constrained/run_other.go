//go:build !linux

package main

import "fmt"

func run() { fmt.Println("Triple runs on Linux only") }
