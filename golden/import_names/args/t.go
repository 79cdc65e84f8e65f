// Package args is named like a variable of generated code.
package args

// T is a value.
type T struct{ V int }
