// Aliases everywhere: of context.Context, mpire.WorkerID and error as
// leading parameter and result types, of pointers, maps and structs, generic
// aliases, aliases in shared= and state=, aliases of another package that
// name its unexported types, and an alias embedded in an anonymous struct,
// whose field is named after the alias.
package main

import (
	"context"
	"fmt"

	"golden/aliases/lib"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Aliases of the types a task's leading parameters and results have.
type (
	Ctx    = context.Context
	WID    = mpire.WorkerID
	Err    = error
	IntPtr = *int
)

// Generic aliases.
type (
	List[T any]               = []T
	Set[T comparable]         = map[T]struct{}
	Fn[A, B any]              = func(A) B
	Pair[K comparable, V any] struct {
		K K
		V V
	}
	PI = Pair[int, int]
)

// Dataset is the shared object, Counter the state, both named by aliases.
type (
	Dataset struct{ N int }
	DP      = *Dataset
	Counter struct{ N int }
	C       = Counter
)

// Leading spells every leading parameter and the error through aliases.
//
//mpire:task shared=DP state=C
func Leading(ctx Ctx, id WID, d *Dataset, c *Counter, p IntPtr, l List[int]) (int, Err) {
	c.N++
	return d.N + *p + len(l) + c.N, ctx.Err()
}

// Generic takes and returns generic aliases.
//
//mpire:task shared="List[string]"
func Generic(names []string, s Set[string], f Fn[int, string]) Fn[string, int] {
	return func(string) int { return len(s) + len(names) + len(f(1)) }
}

// Hidden takes types of lib that only its aliases name.
//
//mpire:task
func Hidden(h lib.Exposed, b lib.Box[int], a lib.Anon) int { return h.V + b.V + lib.Get(a) }

// Embedded takes a struct that embeds aliases: its fields are named Ctx
// and PI, not Context and Pair.
//
//mpire:task
func Embedded(s struct {
	Ctx
	PI
}) struct {
	Ctx
	N int
} {
	return struct {
		Ctx
		N int
	}{s.Ctx, s.K + s.V}
}

func main() {
	ctx := context.Background()
	n := 1
	leading := NewLeadingPool(&Dataset{N: 10}, mpire.WithJobs(1))
	fmt.Println(leading.Apply(ctx, &n, List[int]{1, 2}))
	fmt.Println(leading.Apply(ctx, &n, nil))
	f, err := NewGenericPool(List[string]{"a"}).Apply(ctx, Set[string]{"x": {}}, func(int) string { return "ab" })
	fmt.Println(f("y"), err)
	fmt.Println(NewHiddenPool().Apply(ctx, lib.Make(1), lib.Box[int]{V: 2}, lib.MakeAnon(3)))
	r, err := NewEmbeddedPool().Apply(ctx, EmbeddedArg{Ctx: ctx, PI: PI{K: 4, V: 5}})
	fmt.Println(r.N, r.Ctx == ctx, err)
}
