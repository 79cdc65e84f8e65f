// User types named like the receiver and the options of generated methods,
// and parameters named like the names mpiregen makes up: the blank one's
// arg1 and Arg1, the arguments struct.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// p is a type named like a receiver.
type p struct{ x int }

// opts is a type named like the options parameter.
type opts []string

// Join joins a p and its options.
//
//mpire:task shared=opts
func Join(o opts, v p) string { return fmt.Sprint(o, v.x) }

// Blank takes a blank parameter beside ones named arg1 and Arg1.
//
//mpire:task
func Blank(arg1 int, _ int, Arg1 int) int { return arg1 + Arg1 }

// Add takes a parameter named like its arguments struct.
//
//mpire:task
func Add(AddArgs int, y int) int { return AddArgs + y }

func main() {
	ctx := context.Background()
	s, err := NewJoinPool(opts{"a", "b"}, mpire.WithJobs(1)).Apply(ctx, p{7})
	fmt.Println(s, err)
	n, err := NewBlankPool(mpire.WithJobs(1)).Apply(ctx, 1, 2, 3)
	fmt.Println(n, err)
	ns, err := NewBlankPool(mpire.WithJobs(1)).Map(ctx, []BlankArgs{{Arg1: 1, Arg1_2: 3, Arg1_3: 2}})
	fmt.Println(ns, err)
	n, err = NewAddPool(mpire.WithJobs(1)).Apply(ctx, 4, 5)
	fmt.Println(n, err)
	ns, err = NewAddPool(mpire.WithJobs(1)).Map(ctx, []AddArgs{{AddArgs: 1, Y: 2}})
	fmt.Println(ns, err)
}
