package mpire_test

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// within fails the test when f does not return before a generous bound: it
// tells a call that returns from one that hangs, and measures nothing.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

// taskErr returns the *TaskError in err, failing the test without one.
func taskErr(t *testing.T, err error) *mpire.TaskError {
	t.Helper()
	var te *mpire.TaskError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a *mpire.TaskError", err, err)
	}
	return te
}

// TestDeadlineWhileWorkWaitsBehindBusyWorkers: a call whose work waits
// behind workers stuck in other calls' tasks returns its context's error
// without waiting for them.
func TestDeadlineWhileWorkWaitsBehindBusyWorkers(t *testing.T) {
	release := newGate()
	stuck := make(chan struct{}, 2)
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x < 0 {
			stuck <- struct{}{}
			release.wait() // ignores its context
		}
		return x * x, nil
	}}, mpire.WithJobs(2))
	var busy sync.WaitGroup
	for range 2 {
		busy.Go(func() { p.Apply(ctx, -1) })
	}
	<-stuck
	<-stuck
	for name, call := range map[string]func(context.Context) error{
		"Map":          func(ctx context.Context) error { _, err := p.Map(ctx, ints(10)); return err },
		"MapUnordered": func(ctx context.Context) error { _, err := p.MapUnordered(ctx, ints(10)); return err },
		"IMap":         func(ctx context.Context) error { _, err := collect(p.IMap(ctx, slices.Values(ints(10)))); return err },
		"Apply":        func(ctx context.Context) error { _, err := p.Apply(ctx, 3); return err },
		"ApplyAsync":   func(ctx context.Context) error { _, err := p.ApplyAsync(ctx, 3).Get(); return err },
	} {
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		var err error
		within(t, name, func() { err = call(dctx) })
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s behind busy workers = %v, want DeadlineExceeded", name, err)
		}
	}
	release.open()
	busy.Wait()
	if got, err := p.Map(ctx, ints(5)); err != nil || !slices.Equal(got, squares(5)) {
		t.Fatalf("Map after = %v, %v", got, err)
	}
}

// TestCallOnItsOwnPoolFromATask: with one worker, a task that calls its own
// pool could only wait forever; it fails fast instead.
func TestCallOnItsOwnPoolFromATask(t *testing.T) {
	var p interface {
		Map(context.Context, []int, ...mpire.CallOption) ([]int, error)
	}
	var inner error
	pool, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 1 {
			_, inner = p.Map(ctx, ints(3))
		}
		return x, nil
	}}, mpire.WithJobs(1))
	p = pool
	within(t, "a nested Map", func() { pool.Map(ctx, ints(2)) })
	if !errors.Is(inner, mpire.ErrDeadlock) {
		t.Fatalf("nested Map on a 1-worker pool = %v, want ErrDeadlock", inner)
	}

	// With a worker free, the same call is served.
	p2, _ := newPool(t, spec{}, mpire.WithJobs(2))
	outer, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		got, err := p2.Map(ctx, ints(3))
		if err != nil || !slices.Equal(got, squares(3)) {
			return 0, errors.New("nested call on another pool failed")
		}
		return x, nil
	}}, mpire.WithJobs(1))
	if _, err := outer.Map(ctx, ints(2)); err != nil {
		t.Fatal(err)
	}
}

// TestCancelDuringHandOffNeverSucceedsWithMissingResults cancels many calls
// at random moments: each either returns every result right or an error.
func TestCancelDuringHandOffNeverSucceedsWithMissingResults(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		return x + 1, nil // never zero: a zero result is a missing one
	}}, mpire.WithJobs(2), mpire.WithKeepAlive())
	defer p.Close()
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for i := range 40 {
		wg.Go(func() {
			cctx, cancel := context.WithCancel(ctx)
			go func() {
				time.Sleep(time.Duration(i%8) * 10 * time.Microsecond)
				cancel()
			}()
			defer cancel()
			if r, err := p.Apply(cctx, i); err == nil && r != i+1 {
				wrong.Add(1)
			}
			got, err := p.Map(cctx, ints(100))
			if err == nil {
				for j, r := range got {
					if r != j+1 {
						wrong.Add(1)
					}
				}
			}
			var imapped []int
			for r, err := range p.IMap(cctx, slices.Values(ints(50))) {
				if err != nil {
					imapped = nil
					break
				}
				imapped = append(imapped, r)
			}
			if imapped != nil && len(imapped) != 50 {
				wrong.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wrong.Load(); n > 0 {
		t.Fatalf("%d successful calls returned wrong or missing results", n)
	}
}

// TestGoexitInATaskFailsTheCall: runtime.Goexit (t.FailNow in a task) is a
// dead worker: the call fails with ErrWorkerDied naming the task, and the
// slot gets a new worker.
func TestGoexitInATaskFailsTheCall(t *testing.T) {
	exitAt := func(x int) spec {
		return spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, y int) (int, error) {
			if y == x {
				runtime.Goexit()
			}
			return y * y, nil
		}}
	}
	for _, opts := range [][]mpire.Option{
		{mpire.WithJobs(1), mpire.WithKeepAlive()},
		{mpire.WithJobs(2), mpire.WithInsights()},
		{mpire.WithJobs(2), mpire.WithTaskTimeout(time.Minute)},
	} {
		p, cnt := newPool(t, exitAt(7), opts...)
		_, err := p.Map(ctx, ints(20), mpire.WithChunkSize(4))
		if !errors.Is(err, mpire.ErrWorkerDied) {
			t.Fatalf("Map = %v, want ErrWorkerDied", err)
		}
		te := taskErr(t, err)
		if te.Phase != mpire.PhaseTask || te.Index != 7 || te.Args != "x=7" {
			t.Errorf("TaskError %+v does not name task 7", te)
		}
		if _, err := p.Apply(ctx, 7); !errors.Is(err, mpire.ErrWorkerDied) {
			t.Errorf("Apply = %v, want ErrWorkerDied", err)
		}
		got, err := collect(p.IMap(ctx, slices.Values(ints(10))))
		if !errors.Is(err, mpire.ErrWorkerDied) || len(got) > 7 {
			t.Errorf("IMap = %v, %v, want ErrWorkerDied", got, err)
		}
		// The pool goes on with fresh workers.
		within(t, "a call after a dead worker", func() {
			if got, err := p.Map(ctx, ints(5)); err != nil || !slices.Equal(got, squares(5)) {
				t.Errorf("Map after = %v, %v", got, err)
			}
		})
		p.Close()
		if cnt.inits.Load() < cnt.exits.Load() {
			t.Errorf("%d inits, %d exits", cnt.inits.Load(), cnt.exits.Load())
		}
	}
}

func TestGoexitInInitExitAndInput(t *testing.T) {
	p, _ := newPool(t, spec{init: func(context.Context, mpire.WorkerID, *state) error {
		runtime.Goexit()
		return nil
	}}, mpire.WithJobs(1))
	_, err := p.Map(ctx, ints(3))
	if !errors.Is(err, mpire.ErrWorkerDied) || taskErr(t, err).Phase != mpire.PhaseInit {
		t.Errorf("Goexit in init: %v", err)
	}

	p, _ = newPool(t, spec{exit: func(context.Context, mpire.WorkerID, *state) (life, error) {
		runtime.Goexit()
		return life{}, nil
	}}, mpire.WithJobs(1))
	_, err = p.Map(ctx, ints(3))
	if !errors.Is(err, mpire.ErrWorkerDied) || taskErr(t, err).Phase != mpire.PhaseExit {
		t.Errorf("Goexit in exit: %v", err)
	}
	if got, err := p.Map(ctx, ints(3), mpire.WithWorkerLifespan(1)); !errors.Is(err, mpire.ErrWorkerDied) {
		t.Errorf("Goexit in exit at a restart: %v, %v", got, err)
	}

	p, _ = newPool(t, spec{}, mpire.WithJobs(2))
	input := func(yield func(int) bool) {
		yield(1)
		runtime.Goexit()
	}
	if _, err := collect(p.IMap(ctx, input)); !errors.Is(err, mpire.ErrWorkerDied) {
		t.Errorf("Goexit in the input: %v", err)
	}
}

// TestPanicOrGoexitInTheLoopBodyLeavesThePoolUsable: the caller's loop body
// leaves IMap by a panic recovered further up, or by runtime.Goexit.
func TestPanicOrGoexitInTheLoopBodyLeavesThePoolUsable(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2), mpire.WithKeepAlive())
	func() {
		defer func() { recover() }()
		for range p.IMap(ctx, slices.Values(ints(1000))) {
			panic("in the loop body")
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range p.IMapUnordered(ctx, slices.Values(ints(1000))) {
			runtime.Goexit()
		}
	}()
	<-done
	if got, err := p.Map(ctx, ints(5)); err != nil || !slices.Equal(got, squares(5)) {
		t.Fatalf("Map after = %v, %v", got, err)
	}
	within(t, "Close", func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
}

// TestWorkersOfOneSlotNeverOverlap: generations of workers come and go with
// calls; the exit of one always ends before the next with the same
// WorkerID starts, and Close waits for exit functions.
func TestWorkersOfOneSlotNeverOverlap(t *testing.T) {
	var mu sync.Mutex
	live := map[mpire.WorkerID]int{}
	overlap := false
	var exited atomic.Int64
	p, _ := newPool(t, spec{
		init: func(_ context.Context, id mpire.WorkerID, _ *state) error {
			mu.Lock()
			live[id]++
			overlap = overlap || live[id] > 1
			mu.Unlock()
			return nil
		},
		exit: func(_ context.Context, id mpire.WorkerID, _ *state) (life, error) {
			time.Sleep(time.Millisecond)
			mu.Lock()
			live[id]--
			mu.Unlock()
			exited.Add(1)
			return life{ID: id}, nil
		},
	}, mpire.WithJobs(2))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				p.Map(ctx, ints(20))
			}
		})
	}
	wg.Wait()
	var closers sync.WaitGroup
	for range 2 {
		closers.Go(func() { p.Close() })
	}
	closers.Wait()
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Fatal("two workers with the same WorkerID lived at once")
	}
	for id, n := range live {
		if n != 0 {
			t.Errorf("worker %d: %d lives not exited after Close", id, n)
		}
	}
}

func TestExtremeChunkSizes(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	for _, size := range []int{math.MaxInt, math.MaxInt / 2, 1 << 40} {
		opt := mpire.WithChunkSize(size)
		if got, err := p.Map(ctx, ints(10), opt); err != nil || !slices.Equal(got, squares(10)) {
			t.Errorf("Map chunk %d = %v, %v", size, got, err)
		}
		got, err := p.MapUnordered(ctx, ints(10), opt)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, squares(10)) {
			t.Errorf("MapUnordered chunk %d = %v, %v", size, got, err)
		}
		if got, err := collect(p.IMap(ctx, slices.Values(ints(3)), opt)); err != nil || !slices.Equal(got, squares(3)) {
			t.Errorf("IMap chunk %d = %v, %v", size, got, err)
		}
		if got, err := collect(p.IMap(ctx, slices.Values(ints(3)), opt, mpire.WithIterableLen(3))); err != nil || !slices.Equal(got, squares(3)) {
			t.Errorf("IMap chunk %d with a length = %v, %v", size, got, err)
		}
	}
}

func TestInsightsUnderATaskTimeout(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		time.Sleep(100 * time.Microsecond)
		return x, nil
	}}, mpire.WithJobs(2), mpire.WithInsights())
	if _, err := p.Map(ctx, ints(50), mpire.WithTaskTimeout(time.Minute)); err != nil {
		t.Fatal(err)
	}
	in := p.Insights()
	if in.CompletedTasks() != 50 || in.TotalWorking < 50*100*time.Microsecond || len(in.TopTasks) == 0 {
		t.Fatalf("insights under a task timeout: %d tasks, %v working, %d top tasks", in.CompletedTasks(), in.TotalWorking, len(in.TopTasks))
	}
}

// TestHugeArgumentsAreFormattedBounded: insights and errors keep a short
// form of each argument, and never format a huge one whole.
func TestHugeArgumentsAreFormattedBounded(t *testing.T) {
	big := make([]int, 1<<20)
	formatArgs := func(v any) string { return mpireimpl.FormatArgs("x", v) }
	s := formatArgs(big)
	if len(s) > 400 || !strings.Contains(s, "in all") {
		t.Fatalf("a 1M-element slice formats as %d bytes: %.80s", len(s), s)
	}
	if s := formatArgs(strings.Repeat("x", 1<<20)); len(s) > 400 {
		t.Fatalf("a 1 MB string formats as %d bytes", len(s))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 50 {
		formatArgs(big)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("formatting a 1M-element slice 50 times allocated %d bytes", alloc)
	}
}

// TestKeptAliveInitContextOutlivesTheFirstCall: what init opens with its
// context lives as long as the worker.
func TestKeptAliveInitContextOutlivesTheFirstCall(t *testing.T) {
	var mu sync.Mutex
	var initCtxs []context.Context
	p, _ := newPool(t, spec{
		init: func(ctx context.Context, _ mpire.WorkerID, _ *state) error {
			mu.Lock()
			initCtxs = append(initCtxs, ctx)
			mu.Unlock()
			return nil
		},
	}, mpire.WithJobs(2), mpire.WithKeepAlive())
	cctx, cancel := context.WithCancel(ctx)
	if _, err := p.Map(cctx, ints(100)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := p.Map(ctx, ints(100)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	for _, c := range initCtxs {
		if c.Err() != nil {
			t.Errorf("init's context is done while its worker lives: %v", c.Err())
		}
	}
	mu.Unlock()
	p.Close()
	mu.Lock()
	defer mu.Unlock()
	for _, c := range initCtxs {
		if c.Err() == nil {
			t.Error("init's context outlives its worker")
		}
	}
}

func TestNilContextPanicsNamingTheMethod(t *testing.T) {
	p, _ := newPool(t, spec{})
	for name, call := range map[string]func(){
		"Map":        func() { p.Map(nil, ints(3)) }, //nolint:staticcheck // the point of the test
		"Apply":      func() { p.Apply(nil, 3) },     //nolint:staticcheck
		"IMap":       func() { p.IMap(nil, slices.Values(ints(3))) },
		"ApplyAsync": func() { p.ApplyAsync(nil, 3) }, //nolint:staticcheck
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, name) || !strings.Contains(msg, "nil") {
					t.Errorf("%s(nil, ...) panicked with %q", name, msg)
				}
			}()
			call()
		}()
	}
}

func TestJobsZeroMeansGOMAXPROCS(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(0), mpire.WithInsights())
	if _, err := p.Map(ctx, ints(10)); err != nil {
		t.Fatal(err)
	}
	if n := len(p.Insights().Workers); n != runtime.GOMAXPROCS(0) {
		t.Fatalf("%d workers, want GOMAXPROCS = %d", n, runtime.GOMAXPROCS(0))
	}
}

// TestLeavingIMapWhileTheInputIsBlocked: the consumer returns at once; the
// input's goroutine ends when the input next yields or returns.
func TestLeavingIMapWhileTheInputIsBlocked(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	unblock := newGate()
	defer unblock.open()
	input := func(yield func(int) bool) {
		for i := range 3 {
			if !yield(i) {
				return
			}
		}
		unblock.wait()
		yield(3)
	}
	within(t, "a broken IMap loop", func() {
		for r, err := range p.IMap(ctx, input, mpire.WithChunkSize(1)) {
			if err != nil || r != 0 {
				t.Errorf("first result %d, %v", r, err)
			}
			break
		}
	})
	dctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	var err error
	within(t, "an IMap past its deadline", func() { _, err = collect(p.IMap(dctx, input, mpire.WithChunkSize(1))) })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("IMap past its deadline = %v", err)
	}
}
