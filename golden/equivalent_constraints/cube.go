//go:build darwin || linux

package main

// Cube cubes x, on macOS and Linux.
//
//mpire:task
func Cube(x int) int { return x * x * x }
