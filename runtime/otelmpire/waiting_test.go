package otelmpire_test

import (
	"context"
	"iter"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// upTo yields 0, 1, ... n-1.
func upTo(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// awaitWaiting waits until mpire.tasks.waiting is want, and fails the test
// if it is not within a long while: the feeder gets there on its own
// goroutine.
func (r *recorded) awaitWaiting(t *testing.T, want int64) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		n, _ := r.sum(t, "mpire.tasks.waiting")
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mpire.tasks.waiting is %d, want %d", n, want)
		}
	}
}

// TestTasksHeldBackByTheBoundOfTasksActiveAreWaiting: with
// WithMaxTasksActive(2) and chunks of one task, while the caller holds the
// first result, the tasks of the first two chunks are taken and not
// returned, and the third waits; it stops waiting when the caller goes on,
// and when the caller breaks off.
func TestTasksHeldBackByTheBoundOfTasksActiveAreWaiting(t *testing.T) {
	for _, breaks := range []bool{false, true} {
		r := newRecorded(t)
		results := 0
		for y, err := range mpire.IMap(context.Background(), upTo(10), func(_ context.Context, x int) (int, error) { return x, nil },
			mpire.WithJobs(1), mpire.WithChunkSize(1), mpire.WithMaxTasksActive(2), r.instrument()) {
			if err != nil || y != results {
				t.Fatalf("result %d: %d, %v", results, y, err)
			}
			results++
			if results == 1 {
				r.awaitWaiting(t, 1)
				if breaks {
					break
				}
			}
		}
		if want := map[bool]int{false: 10, true: 1}[breaks]; results != want {
			t.Fatalf("%d results, want %d", results, want)
		}
		r.awaitWaiting(t, 0)
	}
}

// TestTasksOfASliceNeverWait: a slice is in memory already, and is not
// bounded; the metric is not made up.
func TestTasksOfASliceNeverWait(t *testing.T) {
	r := newRecorded(t)
	if _, err := mpire.Map(context.Background(), make([]int, 100), func(_ context.Context, x int) (int, error) { return x, nil },
		mpire.WithJobs(2), mpire.WithChunkSize(1), r.instrument()); err != nil {
		t.Fatal(err)
	}
	if n, ok := r.sum(t, "mpire.tasks.waiting"); ok || n != 0 {
		t.Errorf("mpire.tasks.waiting: %d (recorded: %v)", n, ok)
	}
}
