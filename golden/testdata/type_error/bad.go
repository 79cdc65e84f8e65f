// A package with a genuine type error: reported as the compiler would.
package type_error

// Square returns a string as an int.
//
//mpire:task
func Square(x int) int { return "x" }

func useIt() { _ = NewSquarePool() }
