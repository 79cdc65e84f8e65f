package constraints

// Everywhere builds everywhere.
//
//mpire:task
func Everywhere(x int) int { return x }
