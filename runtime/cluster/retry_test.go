package cluster_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
)

// The retries of tasks on the cluster: package flakytest's task, which the
// worker processes serve since this test binary links it, fails as its
// argument says and counts its runs in files.

func newFlakyPool(t *testing.T, c *testCluster, opts ...mpire.Option) (*flakytest.Pool, string) {
	t.Helper()
	dir := t.TempDir()
	p := flakytest.NewPool(dir, append([]mpire.Option{cluster.On(c.js)}, opts...)...)
	t.Cleanup(func() { p.Close() })
	return p, dir
}

// TestClusterRetries: with every method, tasks that fail k times (an
// error, a panic, runtime.Goexit in the cluster worker) run k+1 times and
// give exact results; a task that always fails runs retries+1 times; a
// Permanent error runs once; WithContinueOnError keeps every failure; and
// cancelling a call ends a backoff at once.
func TestClusterRetries(t *testing.T) {
	c := newCluster(t)
	c.startWorker(2)
	c.startWorker(2)
	ctx := context.Background()
	p, dir := newFlakyPool(t, c, mpire.WithJobs(4), mpire.WithKeepAlive())
	noWait := mpire.WithRetryBackoff(0, 0)
	next := 0 // the first index not used yet: each index has its own count of runs
	flaky := func(n int, plan map[int][2]int) (args, want []int, first int) {
		first = next
		next += n
		for i := range n {
			how := plan[i]
			args = append(args, flakytest.Arg(first+i, how[0], flakytest.How(how[1])))
			want = append(want, flakytest.Result(first+i))
		}
		return args, want, first
	}
	plan := map[int][2]int{1: {1, int(flakytest.Error)}, 4: {2, int(flakytest.Panic)}, 6: {2, int(flakytest.Goexit)}}
	checkRuns := func(name string, first int) {
		for i := range 8 {
			if runs := flakytest.Runs(dir, first+i); runs != plan[i][0]+1 {
				t.Errorf("%s: task %d ran %d times, want %d", name, i, runs, plan[i][0]+1)
			}
		}
	}
	opts := []mpire.CallOption{mpire.WithRetries(2), noWait, mpire.WithChunkSize(3)}

	within(t, "the calls", func() {
		for _, m := range flakytest.Methods {
			args, want, first := flaky(8, plan)
			if got, err := m.Run(p, ctx, args, opts...); err != nil || !slices.Equal(got, want) {
				t.Errorf("%s = %v, %v; want %v", m.Name, got, err, want)
			}
			checkRuns(m.Name, first)
		}

		for _, tc := range []struct {
			how      flakytest.How
			attempts int
		}{{flakytest.Error, 3}, {flakytest.Goexit, 3}, {flakytest.Permanent, 1}} {
			args, _, first := flaky(3, map[int][2]int{1: {flakytest.Always, int(tc.how)}})
			_, err := p.Map(ctx, args, opts...)
			var te *mpire.TaskError
			if !errors.As(err, &te) || te.Index != 1 || te.Attempts != tc.attempts || flakytest.Runs(dir, first+1) != tc.attempts {
				t.Errorf("%v: err = %v, ran %d times; want %d attempts", tc.how, err, flakytest.Runs(dir, first+1), tc.attempts)
			}
		}

		args, want, _ := flaky(10, map[int][2]int{2: {flakytest.Always, int(flakytest.Error)}, 7: {flakytest.Always, int(flakytest.Panic)}})
		want[2], want[7] = 0, 0
		got, err := p.Map(ctx, args, append(opts, mpire.WithContinueOnError())...)
		errs := mpire.TaskErrors(err)
		if !slices.Equal(got, want) || len(errs) != 2 || errs[0].Index != 2 || errs[1].Index != 7 {
			t.Errorf("Map WithContinueOnError = %v, %v", got, err)
		}

		args, _, first := flaky(1, map[int][2]int{0: {flakytest.Always, int(flakytest.Error)}})
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			for flakytest.Runs(dir, first) == 0 && cctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		if _, err := p.Map(cctx, args, mpire.WithRetries(1), mpire.WithRetryBackoff(time.Hour, time.Hour)); !errors.Is(err, context.Canceled) || flakytest.Runs(dir, first) != 1 {
			t.Errorf("cancelled in a backoff: %v, after %d runs", err, flakytest.Runs(dir, first))
		}
	})
}

// TestClusterRedeliveryIsNoRetry: a cluster worker that dies under a chunk
// loses nothing: JetStream gives the chunk to another worker, where the
// task succeeds. The caller saw no failure, so charged no attempt: the
// call succeeds with retries off, and every result comes once.
func TestClusterRedeliveryIsNoRetry(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	c.startWorker(1)
	ctx := context.Background()
	p, dir := newFlakyPool(t, c, mpire.WithJobs(2))
	args := []int{flakytest.Ok(0), flakytest.Arg(1, 1, flakytest.Exit), flakytest.Ok(2), flakytest.Ok(3)}
	within(t, "the call", func() {
		got, err := p.MapUnordered(ctx, args, mpire.WithChunkSize(1), mpire.WithRetries(0))
		slices.Sort(got)
		if err != nil || !slices.Equal(got, []int{0, 1, 4, 9}) {
			t.Fatalf("MapUnordered = %v, %v", got, err)
		}
	})
	if runs := flakytest.Runs(dir, 1); runs != 2 {
		t.Errorf("the task that killed its worker ran %d times, want 2", runs)
	}
}
