// Package-level declarations named like the packages generated code
// imports: the generated file imports context, iter and the runtime under
// names that collide with none of them.
package main

import (
	stdctx "context"
	"fmt"

	rt "github.com/mpire-go/mpire/runtime"
)

// mpire is a variable, not the runtime.
var mpire = "a variable named mpire"

// iter is a function, not the standard library's package.
func iter() int { return 3 }

// context is a type, not the standard library's package.
type context struct{ factor int }

// Scale multiplies x by the context's factor.
//
//mpire:task
func Scale(c context, x int) int { return c.factor * x }

func main() {
	pool := NewScalePool(rt.WithJobs(2))
	ys, err := pool.Map(stdctx.Background(), []ScaleArgs{{context{2}, 1}, {context{3}, 2}, {context{iter()}, 3}})
	fmt.Println(ys, err)
	fmt.Println(mpire)
}
