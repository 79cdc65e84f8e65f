// Directives that are not well formed.
package directives

// M is a method.
type M struct{}

// Method cannot be a task.
//
//mpire:task
func (M) Method(x int) int { return x }

// UnknownKey has a key mpiregen does not know.
//
//mpire:task color=blue
func UnknownKey(x int) int { return x }

// RepeatedKey names itself twice.
//
//mpire:task name=A name=B
func RepeatedKey(x int) int { return x }

// Malformed has a key without a value.
//
//mpire:task shared
func Malformed(x int) int { return x }

// Empty has a key with an empty value.
//
//mpire:task state=
func Empty(x int) int { return x }

// NotAnIdentifier has a name that cannot be a Go name.
//
//mpire:task name=9lives
func NotAnIdentifier(x int) int { return x }

// Misspelled uses a directive mpiregen does not know.
//
//mpire:tsak
func Misspelled(x int) int { return x }

// Mistyped mistypes a key.
//
//mpire:task stat=Model
func Mistyped(x int) int { return x }

// use refers to the pools of refused tasks: only the tasks' own
// diagnostics are printed, never that their pools are undefined.
func use() { _, _, _ = NewMistypedPool, NewUnknownKeyPool, NewMisspelledPool }
