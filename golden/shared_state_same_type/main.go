// The shared object and the worker state of the same type, *Model: by the
// order of the parameters, the first is the shared object, the second the
// worker state, in the task and in its init and exit functions.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Model is a number, shared and per worker.
type Model struct{ n int }

// start gives each worker's state the shared model's number.
func start(shared *Model, st *Model) { st.n = shared.n }

// finish hands back what the worker counted.
func finish(shared *Model, st *Model) int { return st.n - shared.n }

// Add adds the shared number to x and counts x in the worker's state.
//
//mpire:task shared=*Model state=Model init=start exit=finish
func Add(shared *Model, st *Model, x int) int {
	st.n += x
	return shared.n + x
}

func main() {
	pool := NewAddPool(&Model{n: 100}, mpire.WithJobs(2))
	ys, err := pool.Map(context.Background(), []int{1, 2, 3, 4})
	fmt.Println(ys, err)
	total := 0
	for _, c := range pool.ExitResults() {
		total += c
	}
	fmt.Println("counted by the workers' exits:", total)
}
