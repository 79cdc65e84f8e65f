// Tasks in several files that share their shared and state types, and
// their init and exit functions, declared in yet other files.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

func reset(c *Counter) { c.N = 0 }

func report(c *Counter) int { return c.N }

// Count3 is a third task on the same types.
//
//mpire:task shared=Dict state=Counter init=reset exit=report
func Count3(id mpire.WorkerID, d Dict, c *Counter, w string) (int, error) { return d[w] * 3, nil }

func main() {
	ctx := context.Background()
	d := Dict{"a": 1, "b": 2}
	one := mpire.WithJobs(1)
	p1 := NewCountPool(d, one)
	fmt.Println(p1.Map(ctx, []string{"a", "b", "c"}))
	fmt.Println(p1.ExitResults())
	p2 := NewCount2Pool(d, one)
	fmt.Println(p2.Map(ctx, []Count2Args{{W: "a", V: "b"}}))
	fmt.Println(p2.ExitResults())
	p3 := NewCount3Pool(d, one)
	fmt.Println(p3.Apply(ctx, "b"))
	fmt.Println(p3.ExitResults())
}
