// Task, init and exit functions named like the variables of generated
// code: its variables take other names. Errors name the arguments as the
// function does (p=7).
package main

import (
	"context"
	"errors"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

//mpire:task
func n(x int) int { return x + 1 }

//mpire:task
func w(x int) int { return x + 2 }

//mpire:task
func out(x int) int { return x + 3 }

//mpire:task
func args(x int) int { return x + 4 }

// p fails on 7, with an error that names its parameter p.
//
//mpire:task
func p(p int) (int, error) {
	if p == 7 {
		return 0, errors.New("seven")
	}
	return p, nil
}

// Tally is each worker's state.
type Tally struct{ tasks int }

// a is an init function.
func a(t *Tally) { t.tasks = 0 }

// state is an exit function.
func state(t *Tally) int { return t.tasks }

// tally counts its tasks, in a state whose init is a and exit is state.
//
//mpire:task state=Tally init=a exit=state
func tally(t *Tally, x int) int {
	t.tasks++
	return x
}

func main() {
	ctx := context.Background()
	ys, err := newNPool(mpire.WithJobs(1)).Map(ctx, []int{1, 2})
	fmt.Println("n", ys, err)
	ys, err = newWPool(mpire.WithJobs(1)).Map(ctx, []int{1, 2})
	fmt.Println("w", ys, err)
	ys, err = newOutPool(mpire.WithJobs(1)).Map(ctx, []int{1, 2})
	fmt.Println("out", ys, err)
	ys, err = newArgsPool(mpire.WithJobs(1)).Map(ctx, []int{1, 2})
	fmt.Println("args", ys, err)
	_, err = newPPool(mpire.WithJobs(1)).Apply(ctx, 7)
	var te *mpire.TaskError
	fmt.Println("p", errors.As(err, &te) && te.Args == "p=7", err)
	pool := newTallyPool(mpire.WithJobs(1))
	ys, err = pool.Map(ctx, []int{1, 2, 3})
	fmt.Println("tally", ys, err, pool.ExitResults())
}
