// A task narrowed to Linux by its init function's file, beside a task built
// everywhere: one generated file cannot serve both.
package main

// State is a worker's state.
type State struct{}

//mpire:task
func Everywhere(x int) int { return x }

//mpire:task state=State init=setup
func OnLinux(s *State, x int) int { return x }

func main() {}
