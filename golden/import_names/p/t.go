// Package p is named like a variable of generated code.
package p

// T is a value.
type T struct{ V int }
