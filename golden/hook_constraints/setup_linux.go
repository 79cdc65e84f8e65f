package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// setup starts each worker's counter, on Linux.
func setup(c *Counter) { c.n = 0 }

func run() {
	xs, err := NewCountPool(mpire.WithJobs(2)).Map(context.Background(), []int{1, 2, 3})
	fmt.Println(xs, err)
}
