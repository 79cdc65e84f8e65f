// name= chooses the generated names; an unexported name stays unexported.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Length of a word.
//
//mpire:task name=Measure
func Length(s string) int { return len(s) }

// double is unexported, and so is its pool.
//
//mpire:task
func double(x int) int { return 2 * x }

func main() {
	m := NewMeasurePool(mpire.WithJobs(2))
	fmt.Println(m.Map(context.Background(), []string{"a", "bb", "ccc"}))
	d := newDoublePool(mpire.WithJobs(2))
	fmt.Println(d.Apply(context.Background(), 21))
}
