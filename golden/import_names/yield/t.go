// Package yield is named like a variable of generated code.
package yield

// T is a value.
type T struct{ V int }
