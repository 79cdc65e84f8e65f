// Package n is named like a variable of generated code.
package n

// T is a value.
type T struct{ V int }
