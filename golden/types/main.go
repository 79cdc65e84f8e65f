// Every shape of type a task can take: pointers, slices, arrays, maps,
// channels, funcs, anonymous structs and interfaces, an instantiated generic
// type, named results, a variadic argument and an anonymous struct as the
// one argument.
package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Pair is a generic type, used instantiated.
type Pair[K comparable, V any] struct {
	Key K
	Val V
}

// Shapes takes them all.
//
//mpire:task name=Shapes
func Shapes(
	p *int,
	s []string,
	a [2]byte,
	m map[string][]int,
	c chan<- int,
	r <-chan int,
	f func(int, ...string) (bool, error),
	anon struct {
		N    int `json:"n"`
		Name string
	},
	w io.Writer,
	e interface{ Error() string },
	pair Pair[string, *int],
	rest ...float64,
) (summary struct{ Text string }, err error) {
	summary.Text = fmt.Sprintf("%d %d %d %d %d %s %d", *p, len(s), a[1], len(m["k"]), anon.N, pair.Key, len(rest))
	return summary, nil
}

// Sum adds its variadic arguments.
//
//mpire:task
func Sum(xs ...int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// Area takes one argument of an anonymous struct type: the generated code
// names it AreaArg.
//
//mpire:task
func Area(r struct{ W, H int }) int { return r.W * r.H }

func main() {
	n := 7
	pool := NewShapesPool(mpire.WithJobs(1))
	out, err := pool.Apply(context.Background(), &n, []string{"a"}, [2]byte{1, 2}, map[string][]int{"k": {1, 2, 3}},
		nil, nil, nil, struct {
			N    int `json:"n"`
			Name string
		}{N: 4}, &strings.Builder{}, nil, Pair[string, *int]{Key: "key"}, []float64{1, 2})
	fmt.Println(out.Text, err)
	sums := NewSumPool(mpire.WithJobs(2))
	fmt.Println(sums.Map(context.Background(), [][]int{{1, 2}, {3, 4, 5}, nil}))
	fmt.Println(NewAreaPool(mpire.WithJobs(1)).Map(context.Background(), []AreaArg{{W: 2, H: 3}, {W: 4, H: 5}}))
}
