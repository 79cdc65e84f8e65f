// Package w is named like a variable of generated code.
package w

// T is a value.
type T struct{ V int }
