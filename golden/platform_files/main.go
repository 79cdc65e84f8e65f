// One task declared in three platform files, with a body for each and an
// init function beside it: the generated file builds on every platform, and
// is the same whatever platform mpiregen runs on.
package main

import (
	"context"
	"fmt"
	"log"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Half is built everywhere. Its pool comes before Work's in the generated
// file whatever platform mpiregen runs on, as main.go comes before
// work_linux.go: tasks keep the order of their first declarations.
//
//mpire:task
func Half(x int) int { return x / 2 }

func main() {
	pool := NewWorkPool(mpire.WithJobs(2))
	defer pool.Close()
	out, err := pool.Map(context.Background(), []int{1, 2, 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out)
	halves, err := NewHalfPool().Map(context.Background(), []int{2, 4})
	fmt.Println(halves, err)
}
