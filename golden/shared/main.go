// A shared object: handed to every worker, never copied.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Dataset is read by every task.
type Dataset struct{ Values []int }

// Lookup returns the value at i.
//
//mpire:task shared=*Dataset
func Lookup(ds *Dataset, i int) int { return ds.Values[i] }

func main() {
	ds := &Dataset{Values: []int{10, 20, 30, 40}}
	pool := NewLookupPool(ds, mpire.WithJobs(2))
	vs, err := pool.Map(context.Background(), []int{3, 2, 1, 0})
	fmt.Println(vs, err)
}
