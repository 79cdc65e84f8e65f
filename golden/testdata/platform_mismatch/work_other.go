//go:build !linux

package platform_mismatch

// Work returns another type here.
//
//mpire:task
func Work(x int) string { return "" }

// Sleep has another name= here.
//
//mpire:task name=Nap
func Sleep(x int) int { return x }

//mpire:task init=setup
func Warm(x int) int { return x }

func setup(id int) error { return nil }

type word uint32
