// Package opts is named like a variable of generated code.
package opts

// T is a value.
type T struct{ V int }
