// Package out is named like a variable of generated code.
package out

// T is a value.
type T struct{ V int }
