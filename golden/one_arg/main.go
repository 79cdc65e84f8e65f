// One task argument: the pool's methods take and return plain slices.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Square squares x.
//
//mpire:task
func Square(x int) int { return x * x }

func main() {
	pool := NewSquarePool(mpire.WithJobs(2))
	ys, err := pool.Map(context.Background(), []int{1, 2, 3, 4, 5})
	fmt.Println(ys, err)
	y, err := pool.Apply(context.Background(), 12)
	fmt.Println(y, err)
}
