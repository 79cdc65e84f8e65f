package mpire_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// TestLongTasksAfterTinyOnesAreSpread: a Map of tiny tasks whose last
// tasks are long, with the default chunking, on 1, 2, 3 and 8 workers: the
// long tasks must be spread over the workers, not held in one worker's run
// while the others idle, however quickly the tiny ones before them went.
//
// The long tasks run in rounds, as tasks of one length would: each waits
// until one runs on every worker (or on as many as there are long tasks
// left), then they all end. With the long tasks spread, every round
// fills, and the call takes as few rounds as the tasks allow; with a
// worker holding more of them than its share, a round waits for workers
// that have none left, and the call hangs.
func TestLongTasksAfterTinyOnesAreSpread(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, long   int // tasks, of which the last long are long
		unordered bool
	}{
		{"the last 16 of 4096", 4096, 16, false},
		{"the last 16 of 4096, unordered", 4096, 16, true},
		{"the last half of 64", 64, 32, false},
		{"the last half of 200, unordered", 200, 100, true},
	} {
		for _, jobs := range []int{1, 2, 3, 8} {
			t.Run(fmt.Sprintf("%s/%d jobs", tc.name, jobs), func(t *testing.T) {
				spreadLongTasks(t, jobs, tc.n, tc.long, tc.unordered)
			})
		}
	}
}

func spreadLongTasks(t *testing.T, jobs, n, long int, unordered bool) {
	r := &rounds{left: long, jobs: jobs, by: map[mpire.WorkerID]int{}}
	r.cond.L = &r.mu
	pool, _ := newPool(t, spec{task: func(_ context.Context, id mpire.WorkerID, _ *state, x int) (int, error) {
		if x >= n-long {
			r.run(id)
		}
		return x * x, nil
	}}, mpire.WithJobs(jobs))
	defer pool.Close()

	done := make(chan struct{})
	var out []int
	var err error
	go func() {
		defer close(done)
		if unordered {
			out, err = pool.MapUnordered(context.Background(), ints(n))
			slices.Sort(out)
		} else {
			out, err = pool.Map(context.Background(), ints(n))
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		// A hang, not a slow machine: let the call end, then report.
		left, by := r.abort()
		<-done
		t.Fatalf("a round of the last %d of %d tasks never filled: long tasks left %d, run by worker %v", long, n, left, by)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out, squares(n)) {
		t.Fatalf("results %v, want the squares of 0..%d", out, n-1)
	}
}

// rounds runs long tasks in rounds of one per worker, as tasks of one
// length would run on jobs workers.
type rounds struct {
	mu      sync.Mutex
	cond    sync.Cond
	jobs    int
	left    int // long tasks not yet run
	waiting int // long tasks waiting for their round to fill
	round   int
	by      map[mpire.WorkerID]int // long tasks run, by worker
	aborted bool
}

// run waits until a long task waits on every worker, or on as many as
// there are long tasks left, then ends the round.
func (r *rounds) run(id mpire.WorkerID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[id]++
	r.waiting++
	if r.waiting == min(r.jobs, r.left) {
		r.left -= r.waiting
		r.waiting = 0
		r.round++
		r.cond.Broadcast()
		return
	}
	for round := r.round; round == r.round && !r.aborted; {
		r.cond.Wait()
	}
}

// abort ends the waits, and returns how many long tasks were left and how
// many each worker ran.
func (r *rounds) abort() (left int, by map[mpire.WorkerID]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aborted = true
	r.cond.Broadcast()
	by = make(map[mpire.WorkerID]int, len(r.by))
	for id, k := range r.by {
		by[id] = k
	}
	return r.left, by
}
