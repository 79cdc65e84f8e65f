// The worker id: the slot, 0 to jobs-1.
package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Where tells which worker ran x.
//
//mpire:task
func Where(id mpire.WorkerID, x string) string { return fmt.Sprintf("%s@%d", x, id) }

func main() {
	// Ordered tasks: chunk k runs on worker k mod jobs.
	pool := NewWherePool(mpire.WithJobs(2), mpire.WithOrderTasks())
	ws, err := pool.Map(context.Background(), []string{"a", "b", "c", "d"}, mpire.WithChunkSize(1))
	fmt.Println(ws, err)
}
