// A package with a file named mpire_gen.go that mpiregen did not write: it
// is never overwritten.
package handwritten

// Square squares x.
//
//mpire:task
func Square(x int) int { return x * x }
