// Package r is named like a variable of generated code.
package r

// T is a value.
type T struct{ V int }
