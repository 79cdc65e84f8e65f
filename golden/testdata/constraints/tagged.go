//go:build !windows

package constraints

// NotOnWindows builds everywhere but on Windows.
//
//mpire:task
func NotOnWindows(x int) int { return x }
