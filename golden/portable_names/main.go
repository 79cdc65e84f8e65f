// A portable task in a package that declares the names its codecs would
// take: the codecs, their variables and the msgpimpl import take others.
package main

import (
	"context"
	"fmt"
	"log"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Names the generated codecs use, declared by the package.
var (
	b, v, err, x, n, i, k, e = 1, 2, 3, 4, 5, 6, 7, 8
	movePortable             = "taken"
)

// msgpimpl is a type named like the package of the codecs' primitives.
type msgpimpl struct{ n int }

func appendPoint() {}

// Point crosses with its codecs named appendPoint2 and readPoint2.
type Point struct {
	X, Y int
	m    msgpimpl
	list []msgpimpl
	byID map[int]msgpimpl
}

// Move moves a point.
//
//mpire:task portable
func Move(p Point, by int) Point {
	p.X += by
	p.m.n += by
	return p
}

func main() {
	appendPoint()
	pool := NewMovePool(mpire.WithProcesses(), mpire.WithJobs(1))
	defer pool.Close()
	got, err := pool.Apply(context.Background(), Point{X: 1, Y: 2, list: []msgpimpl{{7}}, byID: map[int]msgpimpl{1: {n: 9}}}, 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", got)
	fmt.Println(b, v, x, n, i, k, e, movePortable)
}
