// Types in shared= and state= that cannot be the shared object or the worker
// state: constraints, which no value has, and the types of the ctx and worker
// id parameters, which a parameter of that type already is.
package main

import (
	"context"

	mpire "github.com/mpire-go/mpire/runtime"
)

//mpire:task shared=comparable
func Comparable(x int) int { return x }

//mpire:task state=comparable
func StateComparable(x int) int { return x }

//mpire:task shared="interface{ ~int }"
func Approx(x int) int { return x }

//mpire:task shared=context.Context
func SharedCtx(ctx context.Context, x int) int { return x }

//mpire:task shared=mpire.WorkerID
func SharedID(id mpire.WorkerID, x int) int { return x }

func main() {}
