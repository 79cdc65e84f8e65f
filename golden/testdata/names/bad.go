// Generated names that collide.
package names

// SquarePool is already taken.
type SquarePool struct{}

// Square would generate SquarePool.
//
//mpire:task
func Square(x int) int { return x * x }

// Twice and Double would both generate DoublePool.
//
//mpire:task name=Double
func Twice(x int) int { return 2 * x }

// Double is the other one.
//
//mpire:task
func Double(x int) int { return 2 * x }
