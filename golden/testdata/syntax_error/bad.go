// A syntax error beside a valid task: reported as the compiler does,
// relative to the package, once.
package main

//mpire:task
func Square(x int) int { return x * x }

func main() {
	x := 
}
