// An import that does not resolve, whose type a task takes: reported where
// it is, as the compiler reports it.
package unresolved_import_type

import nope "example.com/nope"

// Wrap takes a type of the package that does not resolve.
//
//mpire:task
func Wrap(v nope.Value) int { return 0 }

func useIt() { _ = NewWrapPool() }
