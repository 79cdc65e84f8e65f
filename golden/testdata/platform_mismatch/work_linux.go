// Tasks declared in two platform files that would give another generated
// file on each platform: refused, at the later declaration in file order,
// whatever platform mpiregen runs on.
package platform_mismatch

//mpire:task
func Work(x int) int { return x }

//mpire:task name=Rest
func Sleep(x int) int { return x }

//mpire:task init=setup
func Warm(x int) int { return x }

func setup() error { return nil }

// word is 64 bits here, 32 elsewhere: the codecs of Measure would differ.
type word uint64
