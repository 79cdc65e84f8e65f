// Package x is named like a variable of generated code.
package x

// T is a value.
type T struct{ V int }
