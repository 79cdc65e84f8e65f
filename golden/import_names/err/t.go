// Package err is named like a variable of generated code.
package err

// T is a value.
type T struct{ V int }
