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

// Counter is generic.
type Counter[T any] struct{ n T }

// GenericState names a generic type without its type arguments.
//
//mpire:task state=Counter
func GenericState(c *Counter[int], x int) int { return x }

// Pair is a valid task, with a generated PairArgs.
//
//mpire:task
func Pair(x, y int) int { return x + y }

// Sums takes the type generated for Pair.
//
//mpire:task
func Sums(ps []PairArgs) int { return len(ps) }

func count(m *Model) Missing { return 0 }

// UndefinedExit has an exit function whose result is undefined.
//
//mpire:task state=Model exit=count
func UndefinedExit(m *Model, x int) int { return x }
