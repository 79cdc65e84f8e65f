// Tasks in files with different build constraints: mpiregen writes one file,
// which cannot build where one of them does not.
package constraints

// OnLinux builds only on Linux, by its file's name.
//
//mpire:task
func OnLinux(x int) int { return x }
