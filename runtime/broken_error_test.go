package mpire_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
)

// brokenErr is a task's error whose methods misbehave the way its kind
// says: the runtime reads every failure's text and walks its chain with
// errors.Is and errors.As on a worker's goroutine.
type brokenErr struct{ kind string }

func (e brokenErr) Error() string {
	switch e.kind {
	case "Error panics":
		panic("Error")
	case "Error Goexit":
		runtime.Goexit()
	}
	return "broken: " + e.kind
}

func (e brokenErr) Unwrap() error {
	switch e.kind {
	case "Unwrap panics":
		panic("Unwrap")
	case "Unwrap Goexit":
		runtime.Goexit()
	}
	return nil
}

func (e brokenErr) Is(error) bool {
	if e.kind == "Is panics" {
		panic("Is")
	}
	return false
}

func (e brokenErr) As(any) bool {
	if e.kind == "As panics" {
		panic("As")
	}
	return false
}

var brokenKinds = []string{"Error panics", "Error Goexit", "Unwrap panics", "Unwrap Goexit", "Is panics", "As panics"}

// TestABrokenErrorFailsItsTaskNotTheProgram: a task returns an error whose
// Error, Unwrap, Is or As method panics or ends its goroutine. The call
// fails with that task's TaskError, with and without retries, in Map,
// IMap and Apply; the next call on the same pool runs.
func TestABrokenErrorFailsItsTaskNotTheProgram(t *testing.T) {
	for _, kind := range brokenKinds {
		for _, retries := range []int{0, 2} {
			t.Run(kind, func(t *testing.T) {
				fail := func(_ context.Context, x int) (int, error) {
					if x == 2 {
						return 0, brokenErr{kind}
					}
					return x, nil
				}
				opts := []mpire.Option{mpire.WithJobs(2), mpire.WithRetries(retries), mpire.WithRetryBackoff(0, 0)}
				var err error
				bounded(t, "Map", func() { _, err = mpire.Map(ctx, []int{1, 2, 3, 4}, fail, append(opts, mpire.WithChunkSize(1))...) })
				te := taskErr(t, err)
				if te.Index != 1 {
					t.Errorf("Map: %v, want the failure of index 1", err)
				}
				goexit := strings.Contains(kind, "Goexit")
				if goexit != errors.Is(err, mpire.ErrWorkerDied) {
					t.Errorf("Map: %v: a method that ends its goroutine ends the worker's, and no other does", err)
				}
				if !goexit && !strings.Contains(err.Error(), "panicked") {
					t.Errorf("Map: %v, want it to say reading the error panicked", err)
				}
				bounded(t, "IMap", func() {
					n := 0
					for _, err = range mpire.IMap(ctx, func(yield func(int) bool) {
						for x := 1; x <= 4 && yield(x); x++ {
						}
					}, fail, append(opts, mpire.WithChunkSize(1))...) {
						if err != nil {
							break
						}
						n++
					}
					// The failure may cancel the first task before it runs.
					if te := (*mpire.TaskError)(nil); !errors.As(err, &te) || te.Index != 1 || n > 1 {
						t.Errorf("IMap: %d results then %v, want at most 1 then the failure of index 1", n, err)
					}
				})
			})
		}
	}
}
