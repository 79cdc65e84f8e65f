// A package that declares its own string: no file of it can name the
// predeclared string, which the generated pools use.
package predeclared

type string struct{ msg []byte }

// Check fails with the package's own string.
//
//mpire:task
func Check(x int) *string { return nil }
