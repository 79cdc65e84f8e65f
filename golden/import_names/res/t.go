// Package res is named like a variable of generated code.
package res

// T is a value.
type T struct{ V int }
