// Imports that do not resolve, in the package's own files, and that no task
// needs: reported where they are, as the compiler reports them, not blamed
// on the generated code.
package unresolved_import

import "example.com/nope"

// Square has nothing to do with the imports.
//
//mpire:task
func Square(x int) int { return x * x }

var _ = nope.X
