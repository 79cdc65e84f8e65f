// A type error with a second line: the other declaration joins the error it
// explains.
package main

//mpire:task
func Square(x X) int { return 0 }

type X int

type X string

func main() {}
