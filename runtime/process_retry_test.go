//go:build linux || darwin

package mpire_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
)

// The retries of tasks in worker processes: package flakytest's task fails
// as its argument says, and counts its runs in files.

func newFlakyProcPool(t *testing.T, opts ...mpire.Option) (*flakytest.Pool, string) {
	t.Helper()
	dir := t.TempDir()
	p := flakytest.NewPool(dir, append([]mpire.Option{mpire.WithProcesses()}, opts...)...)
	t.Cleanup(func() {
		p.Close()
		noChildrenLeft(t)
	})
	return p, dir
}

// TestProcessRetriesRunFlakyTasksUntilTheySucceed: with each method, tasks
// that fail k times, with an error, a panic, runtime.Goexit or the death of
// their process, run k+1 times, and the results are exact.
func TestProcessRetriesRunFlakyTasksUntilTheySucceed(t *testing.T) {
	for _, m := range flakytest.Methods {
		t.Run(m.Name, func(t *testing.T) {
			p, dir := newFlakyProcPool(t, mpire.WithJobs(2))
			plan := map[int][2]int{1: {1, int(flakytest.Error)}, 3: {2, int(flakytest.Panic)}, 4: {1, int(flakytest.Goexit)}, 6: {2, int(flakytest.Exit)}}
			args, want := make([]int, 8), make([]int, 8)
			for i := range args {
				args[i], want[i] = flakytest.Arg(i, plan[i][0], flakytest.How(plan[i][1])), flakytest.Result(i)
			}
			var got []int
			var err error
			within(t, m.Name, func() {
				got, err = m.Run(p, ctx, args, mpire.WithRetries(2), noWait, mpire.WithChunkSize(1))
			})
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("got %v, %v; want %v", got, err, want)
			}
			for i := range args {
				if runs := flakytest.Runs(dir, i); runs != plan[i][0]+1 {
					t.Errorf("task %d ran %d times, want %d", i, runs, plan[i][0]+1)
				}
			}
		})
	}
}

// TestProcessRetriesEnd: a task that always fails (its process dies every
// time) runs exactly retries+1 times; a Permanent error, which crosses from
// the worker process, runs once.
func TestProcessRetriesEnd(t *testing.T) {
	p, dir := newFlakyProcPool(t, mpire.WithJobs(2), mpire.WithKeepAlive())
	for _, tc := range []struct {
		how      flakytest.How
		attempts int
		want     error
	}{
		{flakytest.Exit, 3, mpire.ErrWorkerDied},
		{flakytest.Error, 3, nil},
		{flakytest.Permanent, 1, nil}, // what makes it permanent crossed
	} {
		index := 10 + int(tc.how)
		args := []int{flakytest.Ok(1), flakytest.Arg(index, flakytest.Always, tc.how), flakytest.Ok(2)}
		_, err := p.Map(ctx, args, mpire.WithRetries(2), noWait, mpire.WithChunkSize(1))
		te := taskErr(t, err)
		if te.Index != 1 || te.Attempts != tc.attempts || flakytest.Runs(dir, index) != tc.attempts || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%v: err = %v after %d attempts, ran %d times; want %d attempts", tc.how, err, te.Attempts, flakytest.Runs(dir, index), tc.attempts)
		}
	}
}

// TestProcessBackoffs: a task in backoff holds no worker process, and
// cancelling the call ends its wait at once.
func TestProcessBackoffs(t *testing.T) {
	p, dir := newFlakyProcPool(t, mpire.WithJobs(1), mpire.WithKeepAlive())
	backoff := mpire.WithRetryBackoff(time.Hour, time.Hour)

	// Task 0 kills its process once and waits an hour; tasks 1 to 5 all
	// complete meanwhile, on the one worker.
	var got []int
	within(t, "the tasks besides the one in backoff", func() {
		for r, err := range p.IMapUnordered(ctx, slices.Values([]int{flakytest.Arg(0, 1, flakytest.Exit), flakytest.Ok(1), flakytest.Ok(2), flakytest.Ok(3), flakytest.Ok(4), flakytest.Ok(5)}), mpire.WithChunkSize(1), mpire.WithRetries(1), backoff) {
			if err != nil {
				t.Fatal(err)
			}
			if got = append(got, r); len(got) == 5 {
				break
			}
		}
	})
	slices.Sort(got)
	if !slices.Equal(got, []int{1, 4, 9, 16, 25}) || flakytest.Runs(dir, 0) != 1 {
		t.Fatalf("got %v while task 0 ran %d times", got, flakytest.Runs(dir, 0))
	}

	for _, m := range flakytest.Methods {
		cctx, cancel := context.WithCancel(ctx)
		index := 20 + len(m.Name)
		go func() {
			// Cancel once the task has failed: it then waits an hour.
			for flakytest.Runs(dir, index) == 0 && cctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		var err error
		within(t, m.Name, func() {
			_, err = m.Run(p, cctx, []int{flakytest.Arg(index, flakytest.Always, flakytest.Error)}, mpire.WithRetries(3), backoff)
		})
		cancel()
		if !errors.Is(err, context.Canceled) || flakytest.Runs(dir, index) != 1 {
			t.Errorf("%s: err = %v after %d runs, want context.Canceled after one", m.Name, err, flakytest.Runs(dir, index))
		}
	}
}

// TestProcessContinueOnError: every task runs; the tasks whose process
// always dies fail alone, named, and the rest succeed.
func TestProcessContinueOnError(t *testing.T) {
	p, _ := newFlakyProcPool(t, mpire.WithJobs(2))
	args, want := make([]int, 12), make([]int, 12)
	for i := range args {
		args[i], want[i] = flakytest.Ok(i), flakytest.Result(i)
	}
	for _, i := range []int{3, 8} {
		args[i], want[i] = flakytest.Arg(i, flakytest.Always, flakytest.Exit), 0
	}
	got, err := p.Map(ctx, args, mpire.WithContinueOnError(), mpire.WithRetries(1), noWait, mpire.WithChunkSize(1))
	errs := mpire.TaskErrors(err)
	if !slices.Equal(got, want) || len(errs) != 2 || errs[0].Index != 3 || errs[1].Index != 8 || !errors.Is(err, mpire.ErrWorkerDied) {
		t.Fatalf("Map = %v, %v", got, err)
	}
}

// TestProcessPoisonInLargeChunks: one task that always kills its process,
// in chunks of 64, with WithContinueOnError: it is among the failures, no
// task after it fails, and every result returned is exact. (How many tasks
// before it are blamed depends on whether the executor knows which task its
// process was running.)
func TestProcessPoisonInLargeChunks(t *testing.T) {
	p, dir := newFlakyProcPool(t, mpire.WithJobs(2))
	const poison = 40
	args := make([]int, 128)
	for i := range args {
		args[i] = flakytest.Ok(i)
	}
	args[poison] = flakytest.Arg(poison, flakytest.Always, flakytest.Exit)
	got, err := p.Map(ctx, args, mpire.WithContinueOnError(), noWait, mpire.WithChunkSize(64))
	errs := mpire.TaskErrors(err)
	if len(errs) == 0 || errs[len(errs)-1].Index != poison {
		t.Fatalf("Map = %v: want the failure of task %d last", err, poison)
	}
	failed := map[int]bool{}
	for _, te := range errs {
		failed[te.Index] = true
	}
	for i, r := range got {
		if !failed[i] && r != flakytest.Result(i) {
			t.Errorf("task %d: %d", i, r)
		}
	}
	t.Logf("%d tasks failed", len(errs))
	if runs := flakytest.Runs(dir, poison); runs < 1 || runs > len(errs) {
		t.Errorf("the poison task ran %d times", runs)
	}
}
