// Directives as people type them: runs of spaces and tabs between keys,
// quoted types with spaces, an unquoted type with brackets, a quoted type
// with escaped quotes and a quoted name.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Counter is the state.
type Counter struct{ N int }

//mpire:task    shared="map[string][]int"     state=Counter	init=setup
func Spaced(m map[string][]int, c *Counter, k string) int {
	c.N++
	return len(m[k]) + c.N
}

func setup(c *Counter) { c.N = 100 }

//mpire:task shared=map[string][]int name=Unquoted
func Brackets(m map[string][]int, k string) int { return len(m[k]) }

//mpire:task shared="func(int) int"
func Fn(f func(int) int, x int) int { return f(x) }

//mpire:task shared="struct{ A string \"json:\\\"a\\\"\" }"
func Tagged(s struct {
	A string "json:\"a\""
}, x int) string {
	return fmt.Sprint(s.A, x)
}

//mpire:task name="Quoted"
func quoted(x int) int { return -x }

func main() {
	ctx := context.Background()
	one := mpire.WithJobs(1)
	fmt.Println(NewSpacedPool(map[string][]int{"a": {1, 2}}, one).Map(ctx, []string{"a", "b"}))
	fmt.Println(NewUnquotedPool(map[string][]int{"a": {1}}, one).Apply(ctx, "a"))
	fmt.Println(NewFnPool(func(x int) int { return x * 10 }, one).Apply(ctx, 4))
	fmt.Println(NewTaggedPool(struct {
		A string "json:\"a\""
	}{A: "tag"}, one).Apply(ctx, 1))
	fmt.Println(NewQuotedPool(one).Apply(ctx, 2))
}
