// Unicode identifiers: tasks and parameters with letters outside ASCII, a
// task whose first letter is a titlecase or an uncased one (unexported
// pools), a capital that is not in ASCII (exported), a leading underscore,
// and parameters that differ only in case (x and X become fields X and X2).
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Größe multiplies.
//
//mpire:task
func Größe(δ int, Ω int) int { return δ * Ω }

// 日本 adds; its first letter has no case, so its pool is unexported.
//
//mpire:task
func 日本(日 int, 本 int) int { return 日 + 本 }

// größe negates; it differs from Größe only in case.
//
//mpire:task
func größe(x int) int { return -x }

// ǅ is a titlecase letter, which Go does not export.
//
//mpire:task
func ǅ(x, y int) int { return x - y }

// ℌ is an uppercase letter outside ASCII, which Go exports.
//
//mpire:task
func ℌ(x int) int { return x * 10 }

//mpire:task
func _square(x int) int { return x * x }

// Add takes x and X.
//
//mpire:task
func Add(x int, X int) int { return 10*x + X }

func main() {
	ctx := context.Background()
	one := mpire.WithJobs(1)
	fmt.Println(NewGrößePool(one).Map(ctx, []GrößeArgs{{Δ: 2, Ω: 3}, {Δ: 4, Ω: 5}}))
	fmt.Println(new日本Pool(one).Apply(ctx, 1, 2))
	fmt.Println(newGrößePool(one).Apply(ctx, 4))
	fmt.Println(newǄPool(one).Map(ctx, []ǅArgs{{X: 5, Y: 3}}))
	fmt.Println(NewℌPool(one).Apply(ctx, 4))
	fmt.Println(new_squarePool(one).Apply(ctx, 3))
	fmt.Println(NewAddPool(one).Map(ctx, []AddArgs{{X: 1, X2: 2}}))
}
