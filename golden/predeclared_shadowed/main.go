// A package that declares its own any, bool, byte, uint64, comparable,
// make, append, panic, recover, new, copy, cap, close, min, clear, true,
// false and iota: none of them is one the generated pools need.
package main

import (
	"context"
	"fmt"
	"slices"

	mpire "github.com/mpire-go/mpire/runtime"
)

type any struct{}
type bool int
type byte struct{}
type uint64 string
type comparable int

func make()    {}
func append()  {}
func panic()   {}
func recover() {}
func new()     {}
func copy()    {}
func cap()     {}
func close()   {}
func min()     {}
func clear()   {}

var true = 0
var false = 1
var iota = 2

// Twice doubles.
//
//mpire:task
func Twice(x float64) float64 { return x * 2 }

// Mul multiplies, and may fail.
//
//mpire:task
func Mul(x float64, y float64) (float64, error) {
	if y == 0 {
		return 0, fmt.Errorf("zero")
	}
	return x * y, nil
}

func main() {
	ctx := context.Background()
	fmt.Println(NewTwicePool(mpire.WithJobs(2)).Map(ctx, []float64{1, 2}))
	fmt.Println(NewMulPool(mpire.WithJobs(1)).Map(ctx, []MulArgs{{X: 2, Y: 3}, {X: 1, Y: 0}}))
	for r, err := range NewTwicePool().IMap(ctx, slices.Values([]float64{5})) {
		fmt.Println(r, err)
	}
	res := NewTwicePool().ApplyAsync(ctx, 7)
	fmt.Println(res.Get())
	var _ any
	_, _, _, _, _ = bool(true), byte{}, uint64("u"), comparable(false), iota
}
