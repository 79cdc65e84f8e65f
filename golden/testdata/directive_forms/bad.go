// Directives written in ways mpiregen refuses, each with one diagnostic:
// spaces around =, two directives on one function, a type of another
// package named as its source names it.
package main

import "net/http"

//mpire:task shared = int
func Spaces(s int, x int) int { return x }

//mpire:task state= Counter
func SpaceAfter(c *Counter, x int) int { return x }

//mpire:task shared =int
func SpaceBefore(s int, x int) int { return x }

// Counter is a worker state.
type Counter struct{ n int }

//mpire:task
//mpire:task name=Other
func Twice(x int) int { return x }

//mpire:task state=http.Client
func StateValue(c http.Client, x int) int { return x }

func main() {}
