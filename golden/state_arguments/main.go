// After the state parameter, parameters of the state's type, pointer or
// not, are task arguments.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Counter is each worker's state, and the type of arguments too.
type Counter struct{ N int }

// Merge adds another counter to the worker's.
//
//mpire:task state=Counter
func Merge(c *Counter, other *Counter) int {
	c.N += other.N
	return c.N
}

// Add adds a counter value to the worker's.
//
//mpire:task state=Counter
func Add(c *Counter, delta Counter) int {
	c.N += delta.N
	return c.N
}

func main() {
	ctx := context.Background()
	vs, err := NewMergePool(mpire.WithJobs(1)).Map(ctx, []*Counter{{N: 1}, {N: 2}})
	fmt.Println(vs, err)
	vs, err = NewAddPool(mpire.WithJobs(1)).Map(ctx, []Counter{{N: 10}, {N: 20}})
	fmt.Println(vs, err)
}
