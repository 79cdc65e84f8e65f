// A package that declares its own error: no file of it can name the
// predeclared error, which the generated pools return.
package predeclared

type error struct{ msg string }

// Check fails with the package's own error.
//
//mpire:task
func Check(x int) *error { return nil }
