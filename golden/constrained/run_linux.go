package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Triple triples x, on Linux.
//
//mpire:task
func Triple(x int) int { return 3 * x }

func run() {
	vs, err := NewTriplePool(mpire.WithJobs(2)).Map(context.Background(), []int{1, 2, 3})
	fmt.Println(vs, err)
}
