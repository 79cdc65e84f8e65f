// Names that generated code would declare twice.
package generated

// Pool would generate NewPoolPool, the type of task NewPool's pool.
//
//mpire:task
func Pool(x int) int { return x }

// NewPool would generate NewPoolPool too.
//
//mpire:task
func NewPool(x int) int { return x }

// square would generate newSquarePool, the type of newSquare's pool.
//
//mpire:task
func square(x int) int { return x * x }

//mpire:task
func newSquare(x int) int { return x }

// AddArgs is declared: task Add needs it.
type AddArgs struct{}

//mpire:task
func Add(x, y int) int { return x + y }

// AreaArg is declared: task Area needs it.
type AreaArg struct{}

//mpire:task
func Area(r struct{ W, H int }) int { return r.W * r.H }

// MkResult is declared: task Mk needs it.
type MkResult int

//mpire:task
func Mk(x int) struct{ A int } { return struct{ A int }{x} }
