// Generated names that a file of the package imports: a dot import of the
// runtime brings its AsyncResult, an import names strings SquarePool.
package main

import (
	SquarePool "strings"

	. "github.com/mpire-go/mpire/runtime"
)

//mpire:task
func Async(x int) struct{ A int } { return struct{ A int }{x} }

//mpire:task
func Square(x int) int { return x * x }

var (
	_ WorkerID
	_ SquarePool.Builder
)

func main() {}
