// Worker state with init and an exit that returns a value per worker.
package main

import (
	"context"
	"fmt"
	"slices"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Counter is each worker's state.
type Counter struct {
	Base  int
	Count int
}

func setUp(c *Counter) { c.Base = 1000 }

func report(c *Counter) int { return c.Count }

// Add adds x to the worker's base and counts the tasks.
//
//mpire:task state=Counter init=setUp exit=report
func Add(c *Counter, x int) int {
	c.Count++
	return c.Base + x
}

func main() {
	pool := NewAddPool(mpire.WithJobs(2))
	vs, err := pool.Map(context.Background(), []int{1, 2, 3, 4, 5, 6})
	fmt.Println(vs, err)
	counts := pool.ExitResults()
	total := 0
	for _, c := range counts {
		total += c
	}
	fmt.Println("tasks counted by the workers' exits:", total)

	// A lifespan of 1 restarts a worker after every chunk of one task.
	_, err = pool.Map(context.Background(), []int{1, 2, 3, 4}, mpire.WithChunkSize(1), mpire.WithWorkerLifespan(1))
	counts = pool.ExitResults()
	slices.Sort(counts)
	fmt.Println(counts, err)
}
