// Quickstart: the seed example of MPIRE, in Go. A time-consuming function is
// run over ten inputs by five workers, with a progress bar.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

//go:generate go run github.com/mpire-go/mpire/cmd/mpiregen

// TimeConsuming simulates a function that takes a while.
//
//mpire:task
func TimeConsuming(x int) int {
	time.Sleep(100 * time.Millisecond)
	return x * x
}

func main() {
	pool := NewTimeConsumingPool(mpire.WithJobs(5))
	inputs := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	results, err := pool.Map(context.Background(), inputs, mpire.WithProgressBar())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(results)
}
