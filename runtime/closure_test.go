package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// closureFn is the function type the closure API maps.
type closureFn = func(context.Context, int) (int, error)

// A closureKind is one of the four closure functions, run over a slice and
// collected into a slice, so that one test covers all four.
type closureKind struct {
	name    string
	ordered bool // results in input order
	lazy    bool // takes an iter.Seq
	run     func(ctx context.Context, xs []int, fn closureFn, opts ...mpire.Option) ([]int, error)
}

var closureKinds = []closureKind{
	{"Map", true, false, mpire.Map[int, int]},
	{"MapUnordered", false, false, mpire.MapUnordered[int, int]},
	{"IMap", true, true, func(ctx context.Context, xs []int, fn closureFn, opts ...mpire.Option) ([]int, error) {
		return collect(mpire.IMap(ctx, slices.Values(xs), fn, opts...))
	}},
	{"IMapUnordered", false, true, func(ctx context.Context, xs []int, fn closureFn, opts ...mpire.Option) ([]int, error) {
		return collect(mpire.IMapUnordered(ctx, slices.Values(xs), fn, opts...))
	}},
}

// iterators are the two lazy closure functions, for tests of what only they
// do.
var iterators = []struct {
	name string
	seq  func(context.Context, iter.Seq[int], closureFn, ...mpire.Option) iter.Seq2[int, error]
}{
	{"IMap", mpire.IMap[int, int]},
	{"IMapUnordered", mpire.IMapUnordered[int, int]},
}

func squareClosure(_ context.Context, x int) (int, error) { return x * x, nil }

func TestClosuresReturnEveryResult(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		opts []mpire.Option
	}{
		{"default", 1000, nil},
		{"empty", 0, nil},
		{"one task", 1, nil},
		{"more workers than tasks", 3, []mpire.Option{mpire.WithJobs(8)}},
		{"one worker", 100, []mpire.Option{mpire.WithJobs(1)}},
		{"chunk size 7", 1000, []mpire.Option{mpire.WithChunkSize(7)}},
		{"chunk size beyond input", 10, []mpire.Option{mpire.WithChunkSize(100)}},
		{"n splits", 1001, []mpire.Option{mpire.WithNSplits(3)}},
		{"order tasks", 777, []mpire.Option{mpire.WithOrderTasks(), mpire.WithChunkSize(5), mpire.WithMaxTasksActive(10_000)}},
		{"max active", 500, []mpire.Option{mpire.WithMaxTasksActive(3)}},
		{"iterable len", 500, []mpire.Option{mpire.WithIterableLen(500)}},
		{"lifespan", 500, []mpire.Option{mpire.WithWorkerLifespan(2), mpire.WithChunkSize(3)}},
		{"task timeout", 500, []mpire.Option{mpire.WithTaskTimeout(time.Minute)}},
		{"insights", 500, []mpire.Option{mpire.WithInsights()}},
		{"keep alive", 500, []mpire.Option{mpire.WithKeepAlive()}},
		{"progress bar", 500, []mpire.Option{mpire.WithProgressBarWriter(io.Discard)}},
	} {
		for _, k := range closureKinds {
			t.Run(tc.name+"/"+k.name, func(t *testing.T) {
				opts := append([]mpire.Option{mpire.WithJobs(3)}, tc.opts...)
				var ran atomic.Int64
				got, err := k.run(ctx, ints(tc.n), func(ctx context.Context, x int) (int, error) {
					ran.Add(1)
					return squareClosure(ctx, x)
				}, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if !k.ordered {
					slices.Sort(got)
				}
				if len(got) != tc.n || (tc.n > 0 && !slices.Equal(got, squares(tc.n))) {
					t.Fatalf("%s = %v, want %v", k.name, got, squares(tc.n))
				}
				if ran.Load() != int64(tc.n) {
					t.Fatalf("fn ran %d times for %d tasks", ran.Load(), tc.n)
				}
			})
		}
	}
}

func TestMapOfAnEmptySliceIsEmptyNotNil(t *testing.T) {
	for _, m := range []func(context.Context, []int, closureFn, ...mpire.Option) ([]int, error){mpire.Map[int, int], mpire.MapUnordered[int, int]} {
		if got, err := m(ctx, nil, squareClosure); got == nil || len(got) != 0 || err != nil {
			t.Fatalf("got %#v, %v; want an empty slice", got, err)
		}
	}
}

var errClosure = errors.New("closure failed")

func TestClosureFailureNamesIndexAndArgumentAndStopsTheCall(t *testing.T) {
	const bad = 37
	for _, k := range closureKinds {
		t.Run(k.name, func(t *testing.T) {
			var after atomic.Int64
			_, err := k.run(ctx, ints(1000), func(ctx context.Context, x int) (int, error) {
				switch {
				case x == bad:
					return 0, errClosure
				case x > bad:
					// Tasks are handed out in input order, so a task after
					// the bad one can only start while the bad one runs; it
					// waits for the failure to cancel it.
					after.Add(1)
					<-ctx.Done()
					return 0, ctx.Err()
				}
				return x, nil
			}, mpire.WithJobs(2), mpire.WithChunkSize(1))
			var te *mpire.TaskError
			if !errors.As(err, &te) || !errors.Is(err, errClosure) {
				t.Fatalf("%s = %v, want a *TaskError caused by errClosure", k.name, err)
			}
			if te.Phase != mpire.PhaseTask || te.Index != bad || te.Args != "37" {
				t.Fatalf("TaskError{Phase: %v, Index: %d, Args: %q}, want the task at index 37 with argument 37", te.Phase, te.Index, te.Args)
			}
			// The error names the closure as package runtime does, without
			// the directory of the package's path (here .../runtime_test).
			if !strings.HasPrefix(te.Func, "runtime_test.TestClosureFailureNamesIndexAndArgumentAndStopsTheCall.func") {
				t.Fatalf("Func = %q, want the closure's name", te.Func)
			}
			if !strings.Contains(err.Error(), "at index 37 with arguments (37): closure failed") {
				t.Fatalf("message: %v", err)
			}
			if n := after.Load(); n > 1 {
				t.Fatalf("%d tasks after the failing one started; at most the one running beside it may", n)
			}
		})
	}
}

func TestClosureArgumentIsFormattedWithV(t *testing.T) {
	type point struct{ X, Y int }
	_, err := mpire.Map(ctx, []point{{1, 2}, {3, 4}}, func(_ context.Context, p point) (int, error) {
		if p.X == 3 {
			return 0, errClosure
		}
		return p.X + p.Y, nil
	})
	var te *mpire.TaskError
	if !errors.As(err, &te) || te.Index != 1 || te.Args != "{3 4}" {
		t.Fatalf("Map = %v, want index 1 with arguments {3 4}", err)
	}
}

func TestClosurePanicBecomesPanicError(t *testing.T) {
	for _, k := range closureKinds {
		t.Run(k.name, func(t *testing.T) {
			_, err := k.run(ctx, ints(100), func(_ context.Context, x int) (int, error) {
				if x == 42 {
					panic(errClosure)
				}
				return x, nil
			}, mpire.WithJobs(2))
			var te *mpire.TaskError
			var pe *mpire.PanicError
			if !errors.As(err, &te) || !errors.As(err, &pe) || te.Index != 42 {
				t.Fatalf("%s = %v, want a *PanicError at index 42", k.name, err)
			}
			if !errors.Is(err, errClosure) || !strings.Contains(string(pe.Stack), "closure_test.go") {
				t.Fatalf("PanicError{Value: %v} does not unwrap to the value or lacks the stack:\n%s", pe.Value, pe.Stack)
			}
		})
	}
}

func TestClosureGoexitFailsTheCall(t *testing.T) {
	for _, k := range closureKinds {
		t.Run(k.name, func(t *testing.T) {
			got, err := k.run(ctx, ints(100), func(_ context.Context, x int) (int, error) {
				if x == 42 {
					runtime.Goexit()
				}
				return x, nil
			}, mpire.WithJobs(2))
			var te *mpire.TaskError
			if !errors.Is(err, mpire.ErrWorkerDied) || !errors.As(err, &te) || te.Index != 42 {
				t.Fatalf("%s = %v, %v; want ErrWorkerDied at index 42", k.name, got, err)
			}
		})
	}
}

func TestClosureCancelledMidCall(t *testing.T) {
	cause := errors.New("user gave up")
	for _, k := range closureKinds {
		t.Run(k.name, func(t *testing.T) {
			cctx, cancel := context.WithCancelCause(ctx)
			defer cancel(nil)
			var running atomic.Int64
			_, err := k.run(cctx, ints(1000), func(ctx context.Context, x int) (int, error) {
				running.Add(1)
				defer running.Add(-1)
				if x == 10 {
					cancel(cause)
				}
				if x >= 10 {
					<-ctx.Done() // tasks see the call's cancellation
					return 0, ctx.Err()
				}
				return x, nil
			}, mpire.WithJobs(3), mpire.WithChunkSize(2))
			if !errors.Is(err, cause) {
				t.Fatalf("%s = %v, want the cancellation's cause", k.name, err)
			}
			if n := running.Load(); n != 0 {
				t.Fatalf("%d tasks still running after the call returned", n)
			}
		})
	}
}

func TestClosureWithACancelledContextRunsNothing(t *testing.T) {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, k := range closureKinds {
		var ran atomic.Int64
		_, err := k.run(cctx, ints(100), func(_ context.Context, x int) (int, error) {
			ran.Add(1)
			return x, nil
		})
		if !errors.Is(err, context.Canceled) || ran.Load() != 0 {
			t.Fatalf("%s = %v after %d tasks, want context.Canceled and no task", k.name, err, ran.Load())
		}
	}
}

func TestClosureDeadline(t *testing.T) {
	dctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	if _, err := mpire.Map(dctx, ints(10), squareClosure); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Map = %v, want context.DeadlineExceeded", err)
	}
}

func TestBreakingOutOfAClosureIteratorStopsTheWork(t *testing.T) {
	endless := func(taken *atomic.Int64) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := 0; ; i++ {
				taken.Add(1)
				if !yield(i) {
					return
				}
			}
		}
	}
	for _, it := range iterators {
		t.Run(it.name, func(t *testing.T) {
			var taken, running atomic.Int64
			n := 0
			for _, err := range it.seq(ctx, endless(&taken), func(_ context.Context, x int) (int, error) {
				running.Add(1)
				defer running.Add(-1)
				return x, nil
			}, mpire.WithJobs(2), mpire.WithMaxTasksActive(16)) {
				if err != nil {
					t.Fatal(err)
				}
				if n++; n == 25 {
					break
				}
			}
			// The loop ends once the workers have left the call.
			if r := running.Load(); r != 0 {
				t.Fatalf("%d tasks running after the loop", r)
			}
			if got := taken.Load(); got > 25+16+1 {
				t.Fatalf("took %d items for 25 results with at most 16 active", got)
			}
		})
	}
}

func TestClosureIteratorCanBeRunTwice(t *testing.T) {
	for _, it := range iterators {
		seq := it.seq(ctx, slices.Values(ints(50)), squareClosure, mpire.WithJobs(2))
		for range 2 {
			got, err := collect(seq)
			slices.Sort(got)
			if err != nil || !slices.Equal(got, squares(50)) {
				t.Fatalf("%s = %v, %v", it.name, got, err)
			}
		}
	}
}

func TestClosureIteratorBoundsWhatIsTakenAhead(t *testing.T) {
	for _, it := range iterators {
		t.Run(it.name, func(t *testing.T) {
			var taken atomic.Int64
			const max = 8
			yielded := 0
			for _, err := range it.seq(ctx, countingSeq(5000, &taken), squareClosure,
				mpire.WithJobs(2), mpire.WithMaxTasksActive(max), mpire.WithChunkSize(3)) {
				if err != nil {
					t.Fatal(err)
				}
				yielded++
				if ahead := taken.Load() - int64(yielded); ahead > max {
					t.Fatalf("%d tasks taken and not yet returned, bound is %d", ahead, max)
				}
			}
			if yielded != 5000 {
				t.Fatalf("yielded %d results, want 5000", yielded)
			}
		})
	}
}

func TestClosureChunkSizeKeepsChunksTogether(t *testing.T) {
	// Unordered results come chunk by chunk, each chunk in input order: with
	// a chunk size of 10, every run of ten results is a chunk.
	const size = 10
	identity := func(_ context.Context, x int) (int, error) { return x, nil }
	for _, k := range closureKinds {
		if k.ordered {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			got, err := k.run(ctx, ints(1000), identity, mpire.WithJobs(3), mpire.WithChunkSize(size))
			if err != nil || len(got) != 1000 {
				t.Fatalf("%s = %d results, %v", k.name, len(got), err)
			}
			for i := 0; i < len(got); i += size {
				if got[i]%size != 0 || !slices.Equal(got[i:i+size], ints(got[i] + size)[got[i]:]) {
					t.Fatalf("results %d to %d are %v: not one chunk of %d", i, i+size, got[i:i+size], size)
				}
			}
		})
	}
}

func TestClosureOrderTasksGivesChunkKToWorkerKModJobs(t *testing.T) {
	// Task 0 holds worker 0 until every odd task has run: with ordered tasks
	// the odd ones all belong to worker 1, and no even one may run before.
	// (Only slices: an iterator's ordered chunks would wait behind task 0.)
	const n = 40
	for _, k := range closureKinds {
		if k.lazy {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			oddDone := newGate()
			var odd atomic.Int64
			var early atomic.Bool
			_, err := k.run(ctx, ints(n), func(_ context.Context, x int) (int, error) {
				switch {
				case x == 0:
					oddDone.wait()
				case x%2 == 1:
					if odd.Add(1) == n/2 {
						oddDone.open()
					}
				case !oddDone.opened():
					early.Store(true)
				}
				return x, nil
			}, mpire.WithJobs(2), mpire.WithOrderTasks(), mpire.WithChunkSize(1))
			if err != nil || early.Load() {
				t.Fatalf("%s = %v; an even task ran on worker 1: %v", k.name, err, early.Load())
			}
		})
	}
}

func TestClosureTaskTimeout(t *testing.T) {
	for _, k := range closureKinds {
		t.Run(k.name, func(t *testing.T) {
			release := newGate()
			defer release.open()
			_, err := k.run(ctx, ints(10), func(ctx context.Context, x int) (int, error) {
				switch x {
				case 2:
					<-ctx.Done() // gives up when its time is up
					return 0, ctx.Err()
				case 3:
					release.wait() // ignores its context: abandoned
				}
				return x, nil
			}, mpire.WithJobs(2), mpire.WithChunkSize(1), mpire.WithTaskTimeout(100*time.Millisecond))
			var te *mpire.TaskError
			if !errors.Is(err, mpire.ErrTimeout) || !errors.As(err, &te) || (te.Index != 2 && te.Index != 3) {
				t.Fatalf("%s = %v, want ErrTimeout at index 2 or 3", k.name, err)
			}
		})
	}
}

func TestClosureProgressBar(t *testing.T) {
	var out syncBuffer
	if _, err := mpire.Map(ctx, ints(300), squareClosure, mpire.WithProgressBarWriter(&out), mpire.WithProgressBarTitle("squares")); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "squares") || !strings.Contains(s, "300/300") {
		t.Fatalf("progress bar output:\n%q", s)
	}
}

func TestClosureInvalidOptionsAreErrors(t *testing.T) {
	for _, opt := range []mpire.Option{
		mpire.WithJobs(-1),
		mpire.WithChunkSize(0),
		mpire.WithTaskTimeout(-time.Second),
		mpire.WithCPUIDs(),
	} {
		for _, k := range closureKinds {
			var ran atomic.Int64
			_, err := k.run(ctx, ints(10), func(_ context.Context, x int) (int, error) {
				ran.Add(1)
				return x, nil
			}, opt)
			if err == nil || !strings.HasPrefix(err.Error(), "mpire: ") || ran.Load() != 0 {
				t.Fatalf("%s with an invalid option = %v after %d tasks, want an error and no task", k.name, err, ran.Load())
			}
		}
	}
	// Several CPU sets must match the number of workers.
	if _, err := mpire.Map(ctx, ints(10), squareClosure, mpire.WithJobs(3), mpire.WithCPUSets([]int{0}, []int{0})); err == nil {
		t.Fatal("2 CPU sets for 3 workers: no error")
	}
}

func TestClosureNilFuncIsAnError(t *testing.T) {
	for _, k := range closureKinds {
		if _, err := k.run(ctx, ints(10), nil); err == nil {
			t.Fatalf("%s(nil): no error", k.name)
		}
	}
}

func TestConcurrentAndNestedClosureCalls(t *testing.T) {
	// Each call has its own workers: concurrent calls do not share them, and
	// a call inside a task is fine.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			got, err := mpire.Map(ctx, ints(20), func(ctx context.Context, x int) (int, error) {
				inner, err := mpire.Map(ctx, ints(x), squareClosure, mpire.WithJobs(2))
				return len(inner), err
			}, mpire.WithJobs(2))
			if err == nil && !slices.Equal(got, ints(20)) {
				err = errors.New("wrong results")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestClosuresAllocateNothingPerTask checks that what a call allocates does
// not grow with the number of tasks (the result slice aside): the loop calls
// the func value directly.
func TestClosuresAllocateNothingPerTask(t *testing.T) {
	tiny := func(_ context.Context, x int) (int, error) { return work(x), nil }
	opts := []mpire.Option{mpire.WithJobs(2), mpire.WithChunkSize(64)}
	drain := func(seq iter.Seq2[int, error]) error {
		for _, err := range seq {
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, tc := range []struct {
		name string
		run  func(in []int) error
	}{
		{"Map", func(in []int) error { _, err := mpire.Map(ctx, in, tiny, opts...); return err }},
		{"MapUnordered", func(in []int) error { _, err := mpire.MapUnordered(ctx, in, tiny, opts...); return err }},
		{"IMap", func(in []int) error { return drain(mpire.IMap(ctx, slices.Values(in), tiny, opts...)) }},
		{"IMapUnordered", func(in []int) error { return drain(mpire.IMapUnordered(ctx, slices.Values(in), tiny, opts...)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allocs := func(n int) float64 {
				in := ints(n)
				return testing.AllocsPerRun(10, func() {
					if err := tc.run(in); err != nil {
						t.Fatal(err)
					}
				})
			}
			small, large := allocs(1_000), allocs(100_000)
			// 100 times the tasks; the only extra allocations may come from a
			// few more chunk hand-offs being counted, never one per task.
			if large-small > 10 {
				t.Fatalf("%s allocates %.0f times for 1000 tasks, %.0f for 100000: it allocates per task", tc.name, small, large)
			}
		})
	}
}

type failer struct{}

func (*failer) fail(context.Context, int) (int, error) { return 0, errClosure }

func failGeneric[T any](context.Context, T) (T, error) {
	var zero T
	return zero, errClosure
}

func failTopLevel(context.Context, int) (int, error) { return 0, errClosure }

func TestClosureErrorsNameTheFunction(t *testing.T) {
	for _, tc := range []struct {
		fn   closureFn
		want string
	}{
		{failTopLevel, "runtime_test.failTopLevel"},
		{(&failer{}).fail, "runtime_test.(*failer).fail"},
		{failGeneric[int], "runtime_test.failGeneric[...]"},
		{func(context.Context, int) (int, error) { return 0, errClosure }, "runtime_test.TestClosureErrorsNameTheFunction.func1"},
	} {
		_, err := mpire.Map(ctx, ints(1), tc.fn)
		var te *mpire.TaskError
		if !errors.As(err, &te) || te.Func != tc.want {
			t.Errorf("Map = %v, want an error naming %s", err, tc.want)
		}
	}
}

// TestClosureRandomConfigurationsMatchTheSequentialAnswer runs the four
// closure functions with random options and injected failures, and checks
// each result against the plain loop and that each task ran at most once.
func TestClosureRandomConfigurationsMatchTheSequentialAnswer(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 40
	}
	for seed := range uint64(runs) {
		r := rand.New(rand.NewPCG(seed, 7))
		k := closureKinds[r.IntN(len(closureKinds))]
		n := r.IntN(400)
		fail := -1
		if n > 0 && r.IntN(4) == 0 {
			fail = r.IntN(n)
		}
		opts := []mpire.Option{mpire.WithJobs(r.IntN(8))} // 0: GOMAXPROCS
		desc := fmt.Sprintf("seed %d: %s, n %d, fail at %d", seed, k.name, n, fail)
		for _, o := range []struct {
			name string
			max  int
			opt  func(int) mpire.Option
		}{
			{"chunk", 12, func(v int) mpire.Option { return mpire.WithChunkSize(v) }},
			{"splits", 12, func(v int) mpire.Option { return mpire.WithNSplits(v) }},
			{"lifespan", 12, func(v int) mpire.Option { return mpire.WithWorkerLifespan(v) }},
			{"max active", 30, func(v int) mpire.Option { return mpire.WithMaxTasksActive(v) }},
			{"order tasks", 2, func(int) mpire.Option { return mpire.WithOrderTasks() }},
			{"keep alive", 2, func(int) mpire.Option { return mpire.WithKeepAlive() }},
		} {
			if v := r.IntN(o.max); v > 0 && r.IntN(2) == 0 {
				opts = append(opts, o.opt(v))
				desc += fmt.Sprintf(", %s %d", o.name, v)
			}
		}
		var mu sync.Mutex
		ran := map[int]int{}
		got, err := k.run(ctx, ints(n), func(_ context.Context, x int) (int, error) {
			mu.Lock()
			ran[x]++
			mu.Unlock()
			if x == fail {
				return 0, errClosure
			}
			return x * x, nil
		}, opts...)
		if fail >= 0 {
			var te *mpire.TaskError
			if !errors.As(err, &te) || te.Index != fail || !errors.Is(err, errClosure) {
				t.Fatalf("%s: err = %v, want the failure at %d", desc, err, fail)
			}
		} else {
			if !k.ordered {
				slices.Sort(got)
			}
			if err != nil || len(got) != n || (n > 0 && !slices.Equal(got, squares(n))) {
				t.Fatalf("%s: got %v, %v", desc, got, err)
			}
		}
		for x, times := range ran {
			if times != 1 {
				t.Fatalf("%s: task %d ran %d times", desc, x, times)
			}
		}
	}
}

func TestClosureRefusesWorkerProcesses(t *testing.T) {
	_, err := mpire.Map(ctx, ints(3), func(_ context.Context, x int) (int, error) { return x, nil }, mpire.WithProcesses())
	if err == nil || !strings.Contains(err.Error(), "closure cannot run in worker processes") {
		t.Fatalf("Map of a closure WithProcesses = %v", err)
	}
}
