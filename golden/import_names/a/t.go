// Package a is named like a variable of generated code.
package a

// T is a value.
type T struct{ V int }
