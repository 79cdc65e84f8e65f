// Leading parameters out of order, and results of the wrong shape.
package order

import (
	"context"

	mpire "github.com/mpire-go/mpire/runtime"
)

//mpire:task
func TwoCtx(ctx context.Context, c2 context.Context, x int) int { return x }

//mpire:task
func IDAfter(x int, id mpire.WorkerID) int { return x }

//mpire:task
func NoParams() int { return 0 }

//mpire:task
func ErrorFirst(x int) (error, int) { return nil, 0 }

//mpire:task
func ExtraBool(x int) (int, error, bool) { return 0, nil, false }
