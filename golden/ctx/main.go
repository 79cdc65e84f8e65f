// A context parameter: cancelled when the call is cancelled, fails or times out.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Wait waits for d, or for the context.
//
//mpire:task
func Wait(ctx context.Context, d time.Duration) (time.Duration, error) {
	select {
	case <-time.After(d):
		return d, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func main() {
	pool := NewWaitPool(mpire.WithJobs(2))
	ds, err := pool.Map(context.Background(), []time.Duration{time.Millisecond, 2 * time.Millisecond})
	fmt.Println(ds, err)
	_, err = pool.Map(context.Background(), []time.Duration{time.Hour}, mpire.WithTaskTimeout(10*time.Millisecond))
	fmt.Println(errors.Is(err, mpire.ErrTimeout))
}
