// Signatures at the edges: a variadic argument after another, named
// results (named ctx and p, or blank), thirty-three arguments, embedded
// interfaces, results that are channels of funcs and funcs, and task
// arguments named like generated code's parameters and imports (ctx, opts,
// p, mpire, context, iter...).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Join joins its variadic parts.
//
//mpire:task
func Join(sep string, parts ...string) string { return strings.Join(parts, sep) }

// Named has results named ctx and p.
//
//mpire:task
func Named(x int) (ctx int, p error) { return x, nil }

// Blank has blank results and fails.
//
//mpire:task
func Blank(x int) (_ int, _ error) { return x, errors.New("nope") }

// Huge takes thirty-three arguments.
//
//mpire:task
func Huge(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 int, s string, f float64, m map[int]int) int {
	return a0 + a9 + c9 + len(s) + int(f) + len(m)
}

// ReadStringer embeds two interfaces.
type ReadStringer interface {
	io.Reader
	fmt.Stringer
}

// Embedded takes interfaces that embed others, named and anonymous.
//
//mpire:task
func Embedded(r interface {
	io.Reader
	fmt.Stringer
}, r2 ReadStringer, e interface {
	error
	Unwrap() error
}) string {
	return r.String() + r2.String()
}

// Chans returns a channel of funcs that return channels.
//
//mpire:task
func Chans(x int) <-chan func() chan<- int {
	c := make(chan func() chan<- int, 1)
	c <- func() chan<- int { return make(chan int, x) }
	return c
}

// Curry returns a func.
//
//mpire:task
func Curry(x int) (func(int) (int, error), error) {
	return func(y int) (int, error) { return x + y, nil }, nil
}

// Params has task arguments named like generated code's own names.
//
//mpire:task
func Params(ctx string, opts int, p float64, mpire bool, context []int, iter byte, mpireimpl rune, yield int8, seq uint, out int, err string) string {
	return fmt.Sprint(ctx, " ", opts, " ", p, " ", mpire, " ", context, " ", iter, " ", mpireimpl, " ", yield, " ", seq, " ", out, " ", err)
}

// Ctx fails, naming its argument ctx.
//
//mpire:task
func Ctx(ctx string) (string, error) { return ctx, fmt.Errorf("fail %s", ctx) }

type sr struct{ *strings.Reader }

func (sr) String() string { return "sr" }

func main() {
	ctx := context.Background()
	one := mpire.WithJobs(1)
	fmt.Println(NewJoinPool(one).Apply(ctx, "-", []string{"a", "b"}))
	fmt.Println(NewJoinPool(one).Map(ctx, []JoinArgs{{Sep: ",", Parts: []string{"x", "y"}}, {Sep: ","}}))
	fmt.Println(NewNamedPool(one).Apply(ctx, 3))
	fmt.Println(NewBlankPool(one).Apply(ctx, 3))
	fmt.Println(NewHugePool(one).Apply(ctx, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, "ab", 1.5, nil))
	fmt.Println(NewEmbeddedPool(one).Apply(ctx, sr{strings.NewReader("")}, sr{}, nil))
	c, err := NewChansPool(one).Apply(ctx, 3)
	fmt.Println(cap((<-c)()), err)
	f, err := NewCurryPool(one).Apply(ctx, 3)
	fmt.Println(f(4))
	fmt.Println(NewParamsPool(one).Apply(ctx, "c", 1, 2.5, true, []int{1}, 2, 3, 4, 5, 6, "e"))
	fmt.Println(NewCtxPool(one).Apply(ctx, "seven"))
}
