// Package state is named like a variable of generated code.
package state

// T is a value.
type T struct{ V int }
