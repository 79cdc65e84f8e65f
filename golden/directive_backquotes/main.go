// Types in backquotes, as raw strings: spaces and double quotes need no
// escapes.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

//mpire:task shared=`func(int) int`
func Apply(f func(int) int, x int) int { return f(x) }

//mpire:task shared=`struct{ A string "json:\"a\"" }` name=`Tag`
func tagged(s struct {
	A string "json:\"a\""
}, x int) string {
	return fmt.Sprint(s.A, x)
}

func main() {
	ctx := context.Background()
	ys, err := NewApplyPool(func(x int) int { return x + 1 }, mpire.WithJobs(2)).Map(ctx, []int{1, 2, 3})
	fmt.Println(ys, err)
	s, err := NewTagPool(struct {
		A string "json:\"a\""
	}{"a"}, mpire.WithJobs(1)).Apply(ctx, 7)
	fmt.Println(s, err)
}
