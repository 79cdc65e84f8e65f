// Hand-written code that happens to be named like the generated file.
package handwritten

// Cube cubes x.
func Cube(x int) int { return x * x * x }
