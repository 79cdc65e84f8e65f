// Aliases: an alias of the state's pointer type as the state parameter, and
// an alias of a pointer type as a task argument beside a state.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// State is each worker's state.
type State struct{ sum int }

// StatePtr is the state parameter's type, spelled as an alias.
type StatePtr = *State

// IntPtr is an alias of a pointer type.
type IntPtr = *int

// Accumulate adds *x to the worker's sum and returns the sum so far.
//
//mpire:task state=State
func Accumulate(s StatePtr, x IntPtr) int {
	s.sum += *x
	return s.sum
}

func main() {
	one, two := 1, 2
	vs, err := NewAccumulatePool(mpire.WithJobs(1)).Map(context.Background(), []IntPtr{&one, &two, &one})
	fmt.Println(vs, err)
}
