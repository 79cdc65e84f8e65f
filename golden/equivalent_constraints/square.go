//go:build linux || darwin

package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Square squares x, on Linux and macOS.
//
//mpire:task
func Square(x int) int { return x * x }

func run() {
	ctx := context.Background()
	squares, err := NewSquarePool(mpire.WithJobs(2)).Map(ctx, []int{1, 2, 3})
	fmt.Println(squares, err)
	cubes, err := NewCubePool(mpire.WithJobs(2)).Map(ctx, []int{1, 2, 3})
	fmt.Println(cubes, err)
}
