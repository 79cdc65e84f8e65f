// shared= and state= types that do not resolve.
package types

// Model is a worker state.
type Model struct{}

// Undefined names a type that does not exist.
//
//mpire:task shared=*Dataset
func Undefined(x int) int { return x }

// NotAType names a function.
//
//mpire:task shared=NotAType
func NotAType(x int) int { return x }

// StatePointer names the state type as a pointer.
//
//mpire:task state=*Model
func StatePointer(m *Model, x int) int { return x }

// Unimported names a package the file does not import.
//
//mpire:task shared=bytes.Buffer
func Unimported(x int) int { return x }
