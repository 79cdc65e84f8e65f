// Task arguments and results of instantiated generic types of the package,
// and of another: an instantiation is a concrete type, in plain and in
// portable tasks.
package main

import (
	"context"
	"fmt"
	"log"

	"golden/generic_args/geo"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Pair holds two values of one type.
type Pair[T any] struct{ A, B T }

// Table maps keys to values, with a name: two type parameters.
type Table[K comparable, V any] struct {
	Name string
	Rows map[K]V
}

// Box holds one value; boxes nest.
type Box[T any] struct {
	In  T
	tag string // unexported: crosses too, as the type is the package's
}

// IntPair is an alias of an instantiation.
type IntPair = Pair[int]

// Sum adds the two halves of a pair.
//
//mpire:task
func Sum(p Pair[int]) int { return p.A + p.B }

// Join is portable: instances of one generic type with different type
// arguments, nested, through an alias and from another package.
//
//mpire:task portable
func Join(p IntPair, q Pair[string], b Box[Box[int]], t Table[string, Pair[int]], pt geo.Point[float64]) (Box[string], error) {
	total := p.A + p.B + b.In.In
	for _, row := range t.Rows {
		total += row.A + row.B
	}
	return Box[string]{In: fmt.Sprintf("%s%s %s=%d at (%g,%g)", q.A, q.B, t.Name, total, pt.X, pt.Y), tag: b.tag + b.In.tag}, nil
}

func main() {
	sums, err := NewSumPool(mpire.WithJobs(2)).Map(context.Background(), []Pair[int]{{1, 2}, {3, 4}})
	fmt.Println(sums, err)

	pool := NewJoinPool(mpire.WithJobs(2), mpire.WithProcesses())
	defer pool.Close()
	args := []JoinArgs{
		{P: IntPair{1, 2}, Q: Pair[string]{"a", "b"}, B: Box[Box[int]]{In: Box[int]{In: 3, tag: "y"}, tag: "x"},
			T: Table[string, Pair[int]]{Name: "t", Rows: map[string]Pair[int]{"r": {4, 5}}}, Pt: geo.Point[float64]{X: 0.5, Y: 1}},
		{P: IntPair{}, Q: Pair[string]{"c", ""}, T: Table[string, Pair[int]]{Name: "empty"}},
	}
	boxes, err := pool.Map(context.Background(), args)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range boxes {
		fmt.Printf("%q %q\n", b.In, b.tag)
	}
}
