package mpire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// A failure is how a flaky task fails.
type failure int

const (
	byError     failure = iota // returns errUnlucky
	byPanic                    // panics with errUnlucky
	byGoexit                   // ends its goroutine: its worker dies
	byTimeout                  // waits for its context, past WithTaskTimeout
	byPermanent                // returns mpire.Permanent(errUnlucky)
	failures
)

func (f failure) String() string {
	return [...]string{"error", "panic", "Goexit", "timeout", "permanent"}[f]
}

// always is a number of failures that never ends.
const always = -1

// flaky is a plan of failures: task x fails fails[x] times (always: every
// time) in the way how[x] says, then returns x*x. It counts every run.
type flaky struct {
	fails map[int]int
	how   map[int]failure

	mu     sync.Mutex
	runs   map[int]int
	failed chan int                               // when not nil, receives x after each failure it plans
	before func(ctx context.Context, x int) error // when not nil, runs first: its error is the task's
}

func newFlaky() *flaky {
	return &flaky{fails: map[int]int{}, how: map[int]failure{}, runs: map[int]int{}}
}

// fail plans n failures of task x.
func (f *flaky) fail(x, n int, how failure) *flaky {
	f.fails[x], f.how[x] = n, how
	return f
}

// ran returns how many times task x ran.
func (f *flaky) ran(x int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs[x]
}

func (f *flaky) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.runs)
}

func (f *flaky) task(ctx context.Context, x int) (int, error) {
	f.mu.Lock()
	f.runs[x]++
	k := f.runs[x]
	f.mu.Unlock()
	if f.before != nil {
		if err := f.before(ctx, x); err != nil {
			return 0, err
		}
	}
	n, planned := f.fails[x]
	if !planned || n != always && k > n {
		return x * x, nil
	}
	if f.failed != nil {
		defer func() { f.failed <- x }()
	}
	switch f.how[x] {
	case byPanic:
		panic(errUnlucky)
	case byGoexit:
		runtime.Goexit()
	case byTimeout:
		<-ctx.Done()
		return 0, ctx.Err()
	case byPermanent:
		return 0, mpire.Permanent(errUnlucky)
	}
	return 0, errUnlucky
}

// poolTask is f's task in the signature of the test pools.
func (f *flaky) poolTask(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
	return f.task(ctx, x)
}

// runner is one way to run a slice of tasks: a method of a pool, or a
// closure function. seq, for the iterators, yields every result and error.
type runner struct {
	name  string
	apply bool // one call per task
	run   func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) ([]int, error)
	seq   func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) iter.Seq2[int, error]
}

// poolOf is the type of the test pools.
type poolOf = mpireimpl.Pool[state, int, int, life]

// runners returns every method of a pool of f's task, and every closure
// function, with the options of the pool (given to the closure functions
// with the call's).
func runners(t *testing.T, poolOpts ...mpire.Option) []runner {
	pool := func(f *flaky) *poolOf {
		p, _ := newPool(t, spec{task: f.poolTask}, poolOpts...)
		t.Cleanup(func() { p.Close() })
		return p
	}
	closureOpts := func(opts []mpire.CallOption) []mpire.Option {
		all := slices.Clone(poolOpts)
		for _, o := range opts {
			all = append(all, o)
		}
		return all
	}
	rs := []runner{
		{name: "Map", run: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) ([]int, error) {
			return pool(f).Map(c, args, opts...)
		}},
		{name: "MapUnordered", run: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) ([]int, error) {
			return pool(f).MapUnordered(c, args, opts...)
		}},
		{name: "IMap", seq: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) iter.Seq2[int, error] {
			return pool(f).IMap(c, slices.Values(args), opts...)
		}},
		{name: "IMapUnordered", seq: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) iter.Seq2[int, error] {
			return pool(f).IMapUnordered(c, slices.Values(args), opts...)
		}},
		{name: "Apply", apply: true, run: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) ([]int, error) {
			p := pool(f)
			out := make([]int, len(args))
			for i, x := range args {
				var err error
				if out[i], err = p.Apply(c, x, opts...); err != nil {
					return nil, err
				}
			}
			return out, nil
		}},
		{name: "ApplyAsync", apply: true, run: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) ([]int, error) {
			p := pool(f)
			results := make([]*mpire.AsyncResult[int], len(args))
			for i, x := range args {
				results[i] = p.ApplyAsync(c, x, opts...)
			}
			out := make([]int, len(args))
			var first error
			for i, r := range results {
				var err error
				if out[i], err = r.Get(); err != nil && first == nil {
					first = err
				}
			}
			if first != nil {
				return nil, first
			}
			return out, nil
		}},
		{name: "mpire.Map", run: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) ([]int, error) {
			return mpire.Map(c, args, f.task, closureOpts(opts)...)
		}},
		{name: "mpire.MapUnordered", run: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) ([]int, error) {
			return mpire.MapUnordered(c, args, f.task, closureOpts(opts)...)
		}},
		{name: "mpire.IMap", seq: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) iter.Seq2[int, error] {
			return mpire.IMap(c, slices.Values(args), f.task, closureOpts(opts)...)
		}},
		{name: "mpire.IMapUnordered", seq: func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) iter.Seq2[int, error] {
			return mpire.IMapUnordered(c, slices.Values(args), f.task, closureOpts(opts)...)
		}},
	}
	for i := range rs {
		if seq := rs[i].seq; seq != nil {
			rs[i].run = func(c context.Context, f *flaky, args []int, opts ...mpire.CallOption) ([]int, error) {
				return collect(seq(c, f, args, opts...))
			}
		}
	}
	return rs
}

// unordered reports whether a runner returns results in completion order.
func (r runner) unordered() bool { return strings.Contains(r.name, "Unordered") }

// noWait is a backoff that retries at once, for tests that do not look at it.
var noWait = mpire.WithRetryBackoff(0, 0)

// TestRetriesRunFlakyTasksUntilTheySucceed: every method, and every closure
// function, runs each task that fails k times (in every way a task fails)
// k+1 times, and returns exactly the results of a plain loop.
func TestRetriesRunFlakyTasksUntilTheySucceed(t *testing.T) {
	for _, r := range runners(t, mpire.WithJobs(3)) {
		for _, chunk := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/chunk %d", r.name, chunk), func(t *testing.T) {
				f := newFlaky().fail(1, 1, byError).fail(3, 2, byPanic).fail(6, 3, byGoexit).fail(9, 1, byTimeout).fail(10, 3, byError)
				got, err := r.run(ctx, f, ints(12), mpire.WithRetries(3), noWait, mpire.WithChunkSize(chunk), mpire.WithTaskTimeout(time.Second))
				if err != nil {
					t.Fatal(err)
				}
				if r.unordered() {
					slices.Sort(got)
				}
				if !slices.Equal(got, squares(12)) {
					t.Fatalf("got %v", got)
				}
				for x := range 12 {
					if want := 1 + max(f.fails[x], 0); f.ran(x) != want {
						t.Errorf("task %d ran %d times, want %d", x, f.ran(x), want)
					}
				}
			})
		}
	}
}

// TestATaskThatAlwaysFailsRunsRetriesPlusOneTimes: then the call fails with
// the last failure, in a *TaskError that counts the attempts.
func TestATaskThatAlwaysFailsRunsRetriesPlusOneTimes(t *testing.T) {
	for _, how := range []failure{byError, byPanic, byGoexit, byTimeout} {
		for _, retries := range []int{0, 1, 3} {
			for _, r := range runners(t, mpire.WithJobs(2)) {
				t.Run(fmt.Sprintf("%v/%d retries/%s", how, retries, r.name), func(t *testing.T) {
					f := newFlaky().fail(5, always, how)
					// A short limit only where the task is to reach it: a
					// panic's stack, under the race detector on a loaded
					// machine, may take longer than 50ms to build.
					limit := 10 * time.Second
					if how == byTimeout {
						limit = 50 * time.Millisecond
					}
					_, err := r.run(ctx, f, ints(8), mpire.WithRetries(retries), noWait, mpire.WithChunkSize(3), mpire.WithTaskTimeout(limit))
					want := errUnlucky
					switch how {
					case byGoexit:
						want = mpire.ErrWorkerDied
					case byTimeout:
						want = mpire.ErrTimeout
					}
					te := taskErr(t, err)
					index := 5
					if r.apply {
						index = 0 // the first and only task of its call
					}
					if !errors.Is(err, want) || te.Index != index || te.Args != "x=5" && te.Args != "5" || te.Attempts != retries+1 {
						t.Fatalf("err = %v (index %d, %d attempts), want %v at task 5 after %d attempts", err, te.Index, te.Attempts, want, retries+1)
					}
					if f.ran(5) != retries+1 {
						t.Fatalf("task 5 ran %d times, want %d", f.ran(5), retries+1)
					}
					if retries > 0 && !strings.Contains(err.Error(), fmt.Sprintf("after %d attempts", retries+1)) {
						t.Errorf("the message %q does not count the attempts", err)
					}
				})
			}
		}
	}
}

// TestNeverRetried: a Permanent error (returned or panicked), the call's own
// cancellation and ErrDeadlock run once.
func TestNeverRetried(t *testing.T) {
	t.Run("Permanent", func(t *testing.T) {
		for _, r := range runners(t, mpire.WithJobs(2)) {
			f := newFlaky().fail(2, always, byPermanent)
			_, err := r.run(ctx, f, ints(4), mpire.WithRetries(3), noWait)
			te := taskErr(t, err)
			if !errors.Is(err, errUnlucky) || te.Attempts != 1 || f.ran(2) != 1 {
				t.Errorf("%s: err = %v after %d attempts, ran %d times; want errUnlucky, once", r.name, err, te.Attempts, f.ran(2))
			}
			if !strings.HasSuffix(err.Error(), "with arguments (x=2): unlucky number") && !strings.HasSuffix(err.Error(), "with arguments (2): unlucky number") {
				t.Errorf("%s: Permanent shows in the message: %q", r.name, err)
			}
		}
	})
	t.Run("Permanent panic", func(t *testing.T) {
		p, _ := newPool(t, spec{task: func(context.Context, mpire.WorkerID, *state, int) (int, error) {
			panic(mpire.Permanent(errUnlucky))
		}})
		defer p.Close()
		_, err := p.Apply(ctx, 1, mpire.WithRetries(3), noWait)
		var pe *mpire.PanicError
		if te := taskErr(t, err); !errors.As(err, &pe) || !errors.Is(err, errUnlucky) || te.Attempts != 1 {
			t.Fatalf("err = %v after %d attempts, want the panic once", err, te.Attempts)
		}
	})
	t.Run("the call's cancellation", func(t *testing.T) {
		for _, r := range runners(t, mpire.WithJobs(2)) {
			cctx, cancel := context.WithCancel(ctx)
			f := newFlaky()
			f.before = func(ctx context.Context, x int) error {
				if x != 1 {
					return nil
				}
				cancel()
				<-ctx.Done()
				return ctx.Err()
			}
			_, err := r.run(cctx, f, []int{1}, mpire.WithRetries(3), noWait)
			if !errors.Is(err, context.Canceled) || f.ran(1) != 1 {
				t.Errorf("%s: err = %v, ran %d times; want context.Canceled, once", r.name, err, f.ran(1))
			}
			cancel()
		}
	})
	t.Run("ErrDeadlock", func(t *testing.T) {
		var p *poolOf
		runs := 0
		p, _ = newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
			runs++
			return p.Apply(ctx, x+1) // one worker, held by this task
		}}, mpire.WithJobs(1))
		defer p.Close()
		_, err := p.Map(ctx, []int{1}, mpire.WithRetries(3), noWait)
		if !errors.Is(err, mpire.ErrDeadlock) || runs != 1 {
			t.Fatalf("err = %v, ran %d times; want ErrDeadlock, once", err, runs)
		}
	})
}

// TestAFailedInitIsAnAttemptOfTheTaskAfterIt: an init that fails twice
// costs two attempts of the one task that was to follow it.
func TestAFailedInitIsAnAttemptOfTheTaskAfterIt(t *testing.T) {
	for _, retries := range []int{1, 2} {
		inits := 0
		p, _ := newPool(t, spec{init: func(context.Context, mpire.WorkerID, *state) error {
			if inits++; inits <= 2 {
				return errUnlucky
			}
			return nil
		}}, mpire.WithJobs(1))
		got, err := p.Map(ctx, []int{7}, mpire.WithRetries(retries), noWait)
		p.Close()
		if retries == 2 {
			if err != nil || !slices.Equal(got, []int{49}) {
				t.Fatalf("%d retries: Map = %v, %v", retries, got, err)
			}
			continue
		}
		if te := taskErr(t, err); te.Phase != mpire.PhaseInit || te.Attempts != 2 || !errors.Is(err, errUnlucky) {
			t.Fatalf("%d retries: err = %v (%v, %d attempts), want the init's failure after 2 attempts", retries, err, te.Phase, te.Attempts)
		}
	}
}

// TestAFailedInitKeptForATaskNamesIt: with WithContinueOnError, an init
// that always fails fails each task it was charged to, which its error names.
func TestAFailedInitKeptForATaskNamesIt(t *testing.T) {
	p, _ := newPool(t, spec{init: func(context.Context, mpire.WorkerID, *state) error { return errUnlucky }}, mpire.WithJobs(1))
	defer p.Close()
	opts := []mpire.CallOption{mpire.WithContinueOnError(), mpire.WithRetries(1), noWait, mpire.WithChunkSize(1)}
	got, err := p.Map(ctx, []int{4, 5, 6}, opts...)
	errs := mpire.TaskErrors(err)
	if !slices.Equal(got, []int{0, 0, 0}) || len(errs) != 3 {
		t.Fatalf("Map = %v, %v", got, err)
	}
	for i, te := range errs {
		if te.Phase != mpire.PhaseInit || te.Index != i || te.Args != fmt.Sprintf("x=%d", 4+i) || te.Attempts != 2 {
			t.Errorf("failure %d: %+v", i, te)
		}
	}
	if want := "mpire: square init failed in worker 0 before the task at index 1 with arguments (x=5) after 2 attempts: unlucky number"; errs[1].Error() != want {
		t.Errorf("got %q, want %q", errs[1].Error(), want)
	}
	n := 0
	for _, err := range p.IMap(ctx, slices.Values([]int{4, 5, 6}), opts...) {
		if te := taskErr(t, err); te.Index != n {
			t.Errorf("yielded the failure of task %d in place %d", te.Index, n)
		}
		n++
	}
	if n != 3 {
		t.Errorf("IMap yielded %d failures, want 3", n)
	}
}

// TestCancellingEndsABackoffAtOnce: a call whose task waits out an hour's
// backoff returns as soon as it is cancelled, with every method.
func TestCancellingEndsABackoffAtOnce(t *testing.T) {
	for _, r := range runners(t, mpire.WithJobs(2)) {
		t.Run(r.name, func(t *testing.T) {
			f := newFlaky().fail(0, always, byError)
			f.failed = make(chan int, 1)
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				<-f.failed
				cancel()
			}()
			var err error
			within(t, r.name, func() {
				_, err = r.run(cctx, f, ints(3), mpire.WithRetries(2), mpire.WithRetryBackoff(time.Hour, time.Hour))
			})
			if !errors.Is(err, context.Canceled) || f.ran(0) != 1 {
				t.Fatalf("err = %v, task 0 ran %d times; want context.Canceled after one run", err, f.ran(0))
			}
		})
	}
}

// TestABackoffHoldsNoWorker: with two workers, while task 0 waits out an
// hour's backoff, tasks 1 and 2, which can only finish together, run on
// both workers, and every other task completes.
func TestABackoffHoldsNoWorker(t *testing.T) {
	f := newFlaky().fail(0, 1, byError)
	var both sync.WaitGroup
	both.Add(2)
	p, _ := newPool(t, spec{task: func(ctx context.Context, id mpire.WorkerID, st *state, x int) (int, error) {
		if x == 1 || x == 2 {
			both.Done()
			both.Wait() // needs the other worker too
		}
		return f.poolTask(ctx, id, st, x)
	}}, mpire.WithJobs(2))
	defer p.Close()
	var got []int
	for r, err := range p.IMapUnordered(ctx, slices.Values(ints(10)), mpire.WithChunkSize(1), mpire.WithRetries(1), mpire.WithRetryBackoff(time.Hour, time.Hour)) {
		if err != nil {
			t.Fatal(err)
		}
		if got = append(got, r); len(got) == 9 {
			break // task 0 still waits
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, squares(10)[1:]) || f.ran(0) != 1 {
		t.Fatalf("got %v while task 0 ran %d times", got, f.ran(0))
	}
}

// TestContinueOnErrorRunsEveryTask: Map and MapUnordered return every
// success, zero values where tasks failed for good, and an error that lists
// each failure in input order; IMap and IMapUnordered yield each failure in
// its place and go on; Apply fails as before.
func TestContinueOnErrorRunsEveryTask(t *testing.T) {
	for _, r := range runners(t, mpire.WithJobs(3)) {
		t.Run(r.name, func(t *testing.T) {
			f := newFlaky().fail(2, always, byError).fail(5, 1, byPanic).fail(7, always, byGoexit).fail(8, always, byPermanent)
			opts := []mpire.CallOption{mpire.WithContinueOnError(), mpire.WithRetries(1), noWait, mpire.WithChunkSize(3)}
			if r.apply {
				_, err := r.run(ctx, f, ints(10), opts...)
				if te := taskErr(t, err); te.Args != "x=2" {
					t.Fatalf("err = %v, want task 2's failure", err)
				}
				return
			}
			want := squares(10)
			want[2], want[7], want[8] = 0, 0, 0
			var got []int
			var errs []*mpire.TaskError
			if r.seq != nil {
				for x, err := range r.seq(ctx, f, ints(10), opts...) {
					if err != nil {
						errs = append(errs, taskErr(t, err))
					}
					got = append(got, x)
				}
				if !r.unordered() && len(errs) == 3 && (got[2] != 0 || got[7] != 0 || got[8] != 0) {
					t.Errorf("failures not yielded in place: %v", got)
				}
			} else {
				var err error
				got, err = r.run(ctx, f, ints(10), opts...)
				errs = mpire.TaskErrors(err)
				joined, ok := err.(interface{ Unwrap() []error })
				if !ok || len(joined.Unwrap()) != 3 || !errors.Is(err, errUnlucky) || !errors.Is(err, mpire.ErrWorkerDied) {
					t.Fatalf("err = %v: want the three failures, as errors.Join's", err)
				}
			}
			if r.unordered() {
				slices.Sort(got)
				slices.Sort(want)
				slices.SortFunc(errs, func(a, b *mpire.TaskError) int { return a.Index - b.Index })
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			var idx, attempts []int
			for _, te := range errs {
				idx, attempts = append(idx, te.Index), append(attempts, te.Attempts)
			}
			if !slices.Equal(idx, []int{2, 7, 8}) || !slices.Equal(attempts, []int{2, 2, 1}) {
				t.Errorf("failures at %v after %v attempts, want 2, 7, 8 after 2, 2, 1", idx, attempts)
			}
			if f.ran(5) != 2 {
				t.Errorf("task 5 ran %d times", f.ran(5))
			}
		})
	}
}

// TestContinueOnErrorWithoutFailures returns no error.
func TestContinueOnErrorWithoutFailures(t *testing.T) {
	got, err := mpire.MapUnordered(ctx, ints(50), newFlaky().task, mpire.WithContinueOnError())
	slices.Sort(got)
	if err != nil || !slices.Equal(got, squares(50)) {
		t.Fatalf("MapUnordered = %v, %v", got, err)
	}
	if errs := mpire.TaskErrors(err); errs != nil {
		t.Fatalf("TaskErrors(nil) = %v", errs)
	}
}

// TestRetriesCountProgressAndInsightsOnce: the progress bar counts each
// task once, however many times it ran, and insights count the retries per
// worker.
func TestRetriesCountProgressAndInsightsOnce(t *testing.T) {
	f := newFlaky().fail(3, 2, byError).fail(4, 1, byPanic).fail(8, always, byError)
	p, _ := newPool(t, spec{task: f.poolTask}, mpire.WithJobs(2), mpire.WithInsights())
	defer p.Close()
	var bar bytes.Buffer
	got, err := p.Map(ctx, ints(10), mpire.WithRetries(2), noWait, mpire.WithContinueOnError(), mpire.WithProgressBarWriter(&bar))
	if len(mpire.TaskErrors(err)) != 1 || got[3] != 9 {
		t.Fatalf("Map = %v, %v", got, err)
	}
	if frame := bar.String(); !strings.Contains(frame, "(10/10") || strings.Contains(frame, "(11/10") {
		t.Errorf("the bar does not end at 10 of 10 tasks: %q", frame)
	}
	in := p.Insights()
	retries := 0
	for _, w := range in.Workers {
		retries += w.Retries
	}
	if retries != 2+1+2 {
		t.Errorf("insights count %d retries, want 5", retries)
	}
	if s := in.String(); !strings.Contains(s, "Total number of retries: 5") || !strings.Contains(s, "retries=") {
		t.Errorf("the report does not show the retries:\n%s", s)
	}
}

// TestRetryOptionsAreChecked: invalid values are refused.
func TestRetryOptionsAreChecked(t *testing.T) {
	for _, opt := range []mpire.CallOption{
		mpire.WithRetries(-1),
		mpire.WithRetryBackoff(-time.Second, time.Second),
		mpire.WithRetryBackoff(time.Second, time.Millisecond),
	} {
		if _, err := mpire.Map(ctx, ints(3), newFlaky().task, opt); err == nil {
			t.Errorf("an invalid option was taken")
		}
	}
}

// TestRetriesRandomly runs random calls with random failures (errors,
// panics, runtime.Goexit, Permanent), retries, WithContinueOnError and
// cancellations, and checks that every result returned is exact, that no
// task ran more than its retries plus one, and which tasks fail for good.
func TestRetriesRandomly(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 60
	}
	for seed := range uint64(runs) {
		r := rand.New(rand.NewPCG(seed, 22))
		jobs, n, retries := 1+r.IntN(6), r.IntN(300), r.IntN(4)
		keepGoing := r.IntN(2) == 0
		f := newFlaky()
		for x := range n {
			if r.IntN(32) == 0 {
				times := []int{1, 2, 3, always}[r.IntN(4)]
				f.fail(x, times, []failure{byError, byPanic, byGoexit, byPermanent}[r.IntN(4)])
			}
		}
		c := randomConfig{
			poolOpts: []mpire.Option{mpire.WithJobs(jobs)},
			callOpts: []mpire.CallOption{mpire.WithRetries(retries), mpire.WithRetryBackoff(0, time.Duration(r.IntN(3))*time.Millisecond)},
			desc:     fmt.Sprintf("seed %d: jobs %d, n %d, retries %d, plan %v %v", seed, jobs, n, retries, f.fails, f.how),
		}
		if keepGoing {
			c.callOpts = append(c.callOpts, mpire.WithContinueOnError())
			c.desc += ", continue on error"
		}
		c.drawTuning(r, tuningBounds{chunk: 10, lifespan: 10, maxActive: 20})
		poolOpts, callOpts, desc := c.poolOpts, c.callOpts, c.desc
		mode := r.IntN(5)
		desc += fmt.Sprintf(", mode %d", mode)
		cctx, cancel := context.WithCancel(ctx)
		if r.IntN(4) == 0 {
			after := time.Duration(r.IntN(500)) * time.Microsecond
			time.AfterFunc(after, cancel)
			desc += fmt.Sprintf(", cancelled after %v", after)
		}

		// What a plain loop with retries gives: the tasks that fail for
		// good, with their attempts, and every other task's result.
		want := squares(n)
		forGood := map[int]int{}
		for x, times := range f.fails {
			switch {
			case f.how[x] == byPermanent:
				forGood[x] = 1
			case times == always || times > retries:
				forGood[x] = retries + 1
			}
			if _, ok := forGood[x]; ok {
				want[x] = 0
			}
		}

		p, _ := newPool(t, spec{task: f.poolTask}, poolOpts...)
		var got []int
		var errs []*mpire.TaskError
		var err error
		all := func(seq iter.Seq2[int, error]) {
			for x, e := range seq {
				var te *mpire.TaskError
				if keepGoing && errors.As(e, &te) {
					errs = append(errs, te)
				} else if e != nil {
					err = e
					return
				}
				got = append(got, x)
			}
		}
		switch mode {
		case 0:
			got, err = p.Map(cctx, ints(n), callOpts...)
		case 1:
			got, err = p.MapUnordered(cctx, ints(n), callOpts...)
		case 2:
			all(p.IMap(cctx, slices.Values(ints(n)), callOpts...))
		case 3:
			all(p.IMapUnordered(cctx, slices.Values(ints(n)), callOpts...))
		case 4:
			got, err = mpire.Map(cctx, ints(n), f.task, append(slices.Clone(poolOpts), optionsOf(callOpts)...)...)
		}
		cancelled := cctx.Err() != nil
		cancel()
		p.Close()
		if keepGoing && mode != 2 && mode != 3 && err != nil {
			if errs = mpire.TaskErrors(err); len(errs) > 0 && !cancelled {
				err = nil // the failures kept, checked below
			}
		}

		for x, k := range f.runs {
			if k > retries+1 || f.how[x] == byPermanent && k > 1 {
				t.Fatalf("%s: task %d ran %d times", desc, x, k)
			}
		}
		if err != nil {
			te := new(mpire.TaskError)
			if errors.As(err, &te) {
				if attempts, ok := forGood[te.Index]; !ok || te.Attempts != attempts {
					t.Fatalf("%s: failed with %v after %d attempts, which is no task's failure for good", desc, err, te.Attempts)
				}
			} else if !cancelled || !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: %v", desc, err)
			}
			continue
		}
		if cancelled && len(got) < n {
			// Cancelled, yet no error: an iterator may end as it yields.
			t.Fatalf("%s: %d results and no error", desc, len(got))
		}
		if !keepGoing && len(forGood) > 0 {
			t.Fatalf("%s: succeeded, with tasks %v failing for good", desc, forGood)
		}
		if mode == 1 || mode == 3 {
			slices.Sort(got)
			slices.Sort(want)
			slices.SortFunc(errs, func(a, b *mpire.TaskError) int { return a.Index - b.Index })
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: got %v, want %v", desc, got, want)
		}
		if len(errs) != len(forGood) {
			t.Fatalf("%s: %d failures kept, want %d: %v", desc, len(errs), len(forGood), errs)
		}
		for i, te := range errs {
			if attempts, ok := forGood[te.Index]; !ok || te.Attempts != attempts || i > 0 && te.Index <= errs[i-1].Index {
				t.Fatalf("%s: failures kept out of order or wrong: %v", desc, errs)
			}
		}
		for x := range n {
			if _, ok := forGood[x]; !ok && f.runs[x] != 1+max(f.fails[x], 0) {
				t.Fatalf("%s: task %d ran %d times, planned to fail %d times", desc, x, f.runs[x], f.fails[x])
			}
		}
	}
}

func optionsOf(opts []mpire.CallOption) []mpire.Option {
	var all []mpire.Option
	for _, o := range opts {
		all = append(all, o)
	}
	return all
}
