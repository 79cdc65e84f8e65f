// Directives away from a function's doc comment.
package misplaced

//mpire:task
type T struct{}

// F is fine, but the directive inside it is not.
//
//mpire:task
func F(x int) int {
	//mpire:task
	return x
}

//mpire:task
var V = 3
