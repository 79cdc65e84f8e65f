// mpire.WorkerID inside the values of a portable task, a struct field, a
// result, a map key, and through an alias of the package's own: generated
// code spells it as the user does, never by the runtime's internal package.
package main

import (
	"context"
	"fmt"
	"log"
	"slices"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Slot is the package's own name for a worker id.
type Slot = mpire.WorkerID

// Seen says which worker ran a task.
type Seen struct {
	X  int
	By mpire.WorkerID
}

// Where runs in worker processes and tells which ran x.
//
//mpire:task portable
func Where(id mpire.WorkerID, x int) Seen { return Seen{X: x, By: id} }

// Which returns the worker id itself.
//
//mpire:task portable
func Which(id Slot, x int) (mpire.WorkerID, error) { return id, nil }

// Count takes worker ids as arguments.
//
//mpire:task portable
func Count(ids map[Slot]int, first []mpire.WorkerID) int { return len(ids) + len(first) }

func main() {
	ctx := context.Background()
	// Ordered tasks: chunk k runs on worker k mod jobs.
	opts := []mpire.Option{mpire.WithJobs(2), mpire.WithProcesses(), mpire.WithOrderTasks()}
	where := NewWherePool(opts...)
	defer where.Close()
	seen, err := where.Map(ctx, []int{10, 11, 12}, mpire.WithChunkSize(1))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(seen)

	which := NewWhichPool(opts...)
	defer which.Close()
	ids, err := which.Map(ctx, []int{0, 1, 2, 3}, mpire.WithChunkSize(1))
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(ids)
	fmt.Println(ids)

	count := NewCountPool(opts...)
	defer count.Close()
	n, err := count.Apply(ctx, map[Slot]int{0: 1, 1: 2}, []mpire.WorkerID{1})
	fmt.Println(n, err)
}
