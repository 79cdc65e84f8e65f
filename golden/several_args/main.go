// Several task arguments: they travel together in a generated DivideArgs.
package main

import (
	"context"
	"errors"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Divide divides x by y.
//
//mpire:task
func Divide(x, y float64) (float64, error) {
	if y == 0 {
		return 0, errors.New("division by zero")
	}
	return x / y, nil
}

func main() {
	pool := NewDividePool(mpire.WithJobs(2))
	qs, err := pool.Map(context.Background(), []DivideArgs{{X: 1, Y: 2}, {X: 9, Y: 3}})
	fmt.Println(qs, err)
	_, err = pool.Map(context.Background(), []DivideArgs{{X: 1, Y: 2}, {X: 7, Y: 0}})
	var te *mpire.TaskError
	fmt.Println(errors.As(err, &te), te.Index, te.Args, te.Err)
	q, err := pool.Apply(context.Background(), 10, 4)
	fmt.Println(q, err)
}
