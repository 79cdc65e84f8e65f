// Package seq is named like a variable of generated code.
package seq

// T is a value.
type T struct{ V int }
