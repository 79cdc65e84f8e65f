// A task built everywhere whose init function is in a Linux-only file: the
// generated file is Linux-only, so the package builds on every platform.
package main

// Counter counts a worker's tasks.
type Counter struct{ n int }

// Count counts x in the worker's counter.
//
//mpire:task state=Counter init=setup
func Count(c *Counter, x int) int {
	c.n++
	return x
}

func main() { run() }
