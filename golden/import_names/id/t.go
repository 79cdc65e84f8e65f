// Package id is named like a variable of generated code.
package id

// T is a value.
type T struct{ V int }
