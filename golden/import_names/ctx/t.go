// Package ctx is named like a variable of generated code.
package ctx

// T is a value.
type T struct{ V int }
