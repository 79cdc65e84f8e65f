// A package that declares its own error type: the generated file names the
// predeclared error through the runtime.
package main

import (
	"context"
	"fmt"
)

// error is the package's own, not the predeclared one.
type error struct{ code int }

// Validate reports x's problem as the package's own error.
//
//mpire:task
func Validate(x int) error {
	if x < 0 {
		return error{code: -x}
	}
	return error{}
}

func main() {
	pool := NewValidatePool()
	got, err := pool.Map(context.Background(), []int{1, -2, 3})
	fmt.Println(got, err)
	fmt.Println(pool.Close())
}
