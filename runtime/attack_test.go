package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
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

// bounded runs f and fails the test, with a dump of every goroutine, when it
// does not return within a generous bound: a hang, not a slow machine.
func bounded(t *testing.T, what string, f func()) {
	t.Helper()
	boundedBy(t, 20*time.Second, what, f)
}

// boundedBy is bounded with a bound of limit.
func boundedBy(t *testing.T, limit time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s hangs; goroutines:\n%s", what, buf)
	}
}

// stringer is an argument type whose String method, used when a failure or
// insights format the arguments, does what its field says.
type stringer struct {
	n    int
	kind string // "", "panic", "panic-twice", "goexit"
}

// panicky panics again when fmt formats it after a first panic: fmt gives
// up and re-panics.
type panicky struct{}

func (panicky) String() string { panic(panicky{}) }

func (s stringer) String() string {
	switch s.kind {
	case "panic":
		panic("String of a task argument")
	case "panic-twice":
		panic(panicky{})
	case "goexit":
		runtime.Goexit()
	}
	return fmt.Sprint("arg", s.n)
}

// newStringerPool builds, the way generated code does, a pool whose task
// fails on negative arguments, so that their String method runs.
func newStringerPool(opts ...mpire.Option) *mpireimpl.Pool[struct{}, stringer, int, int] {
	return mpireimpl.NewPool(mpireimpl.Func[struct{}, stringer, int, int]{
		Name: "stringy",
		Run: func(w *mpireimpl.Worker[struct{}], args []stringer, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if args[n].n < 0 {
					return n, errors.New("negative")
				}
				out[n] = args[n].n
			}
			return n, nil
		},
		Format: func(a *stringer) string { return mpireimpl.FormatArgs("s", *a) },
	}, opts...)
}

// TestAttackStringMethodPanicIsShown: a task fails on an argument whose
// String method panics; the failure is still reported.
func TestAttackStringMethodPanicIsShown(t *testing.T) {
	p := newStringerPool(mpire.WithJobs(2))
	_, err := p.Map(ctx, []stringer{{n: 1}, {n: -1, kind: "panic"}, {n: 3}})
	te := taskErr(t, err)
	if te.Index != 1 {
		t.Fatalf("TaskError %+v, want index 1", te)
	}
}

// TestAttackStringMethodGoexit: the String method of a failing task's
// argument ends the worker's goroutine while the failure is formatted.
func TestAttackStringMethodGoexit(t *testing.T) {
	p := newStringerPool(mpire.WithJobs(2))
	var err error
	bounded(t, "Map", func() {
		_, err = p.Map(ctx, []stringer{{n: 1}, {n: -1, kind: "goexit"}, {n: 3}}, mpire.WithChunkSize(1))
	})
	if !errors.Is(err, mpire.ErrWorkerDied) {
		t.Errorf("Map = %v, want ErrWorkerDied", err)
	}
	bounded(t, "Close", func() { p.Close() })
}

// TestAttackStringMethodPanicsTwice: fmt re-panics when formatting a panic
// value panics too; formatting a failure must not kill the process.
func TestAttackStringMethodPanicsTwice(t *testing.T) {
	p := newStringerPool(mpire.WithJobs(1))
	_, err := p.Map(ctx, []stringer{{n: -1, kind: "panic-twice"}})
	if err == nil {
		t.Fatal("Map succeeded")
	}
}

// TestAttackHugeIterableLen: WithIterableLen far beyond the input takes
// the inputs there are (MPIRE's min(n, inputs)).
func TestAttackHugeIterableLen(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	for _, tc := range []struct {
		name string
		opts []mpire.CallOption
	}{
		{"1<<40", []mpire.CallOption{mpire.WithIterableLen(1 << 40)}},
		{"MaxInt/2 chunk 1", []mpire.CallOption{mpire.WithIterableLen(math.MaxInt / 2), mpire.WithChunkSize(1)}},
		{"MaxInt chunk 3", []mpire.CallOption{mpire.WithIterableLen(math.MaxInt), mpire.WithChunkSize(3)}},
	} {
		for _, ordered := range []bool{true, false} {
			var got []int
			var err error
			bounded(t, tc.name, func() {
				if ordered {
					got, err = collect(p.IMap(ctx, slices.Values(ints(7)), tc.opts...))
				} else {
					got, err = collect(p.IMapUnordered(ctx, slices.Values(ints(7)), tc.opts...))
					slices.Sort(got)
				}
			})
			if err != nil || !slices.Equal(got, squares(7)) {
				t.Errorf("%s ordered=%v: %v, %v", tc.name, ordered, got, err)
			}
		}
	}
}

// TestAttackIterableLenNearMaxInt: the default chunking of a huge
// WithIterableLen overflows its chunk length.
func TestAttackIterableLenNearMaxInt(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	for _, opts := range [][]mpire.CallOption{
		{mpire.WithIterableLen(math.MaxInt)},
		{mpire.WithIterableLen(math.MaxInt), mpire.WithNSplits(2)},
		{mpire.WithIterableLen(math.MaxInt), mpire.WithMaxTasksActive(2)},
	} {
		var got []int
		var err error
		bounded(t, "IMap", func() { got, err = collect(p.IMap(ctx, slices.Values(ints(7)), opts...)) })
		if err != nil || !slices.Equal(got, squares(7)) {
			t.Errorf("IMap = %v, %v", got, err)
		}
	}
}

// TestAttackAbandonedTaskWritesIntoTheNextCall: a task abandoned by
// WithTaskTimeout returns later; its result must never land in another
// call's results.
func TestAttackAbandonedTaskWritesIntoTheNextCall(t *testing.T) {
	abandonedReturning := make(chan struct{})
	release := newGate()
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		switch x {
		case -1: // ignores its context, outlives its limit
			release.wait()
			defer close(abandonedReturning)
			return -999, nil
		case 1003: // in the next call: waits until the abandoned task has written
			release.open()
			<-abandonedReturning
			time.Sleep(50 * time.Millisecond) // let its write land
		}
		return x, nil
	}}, mpire.WithJobs(1), mpire.WithKeepAlive())
	defer p.Close()
	_, err := p.MapUnordered(ctx, []int{1, 2, -1, 4}, mpire.WithChunkSize(4), mpire.WithTaskTimeout(20*time.Millisecond))
	if !errors.Is(err, mpire.ErrTimeout) {
		t.Fatalf("first call = %v, want ErrTimeout", err)
	}
	got, err := p.MapUnordered(ctx, []int{1000, 1001, 1002, 1003}, mpire.WithChunkSize(4))
	slices.Sort(got)
	if err == nil && !slices.Equal(got, []int{1000, 1001, 1002, 1003}) {
		t.Fatalf("second call = %v with no error", got)
	}
}

// TestAttackAbandonedTaskRacesWithTheSlot: after a task is abandoned, the
// slot goes on with the next call while the abandoned task still runs; the
// two must share nothing.
func TestAttackAbandonedTaskRacesWithTheSlot(t *testing.T) {
	release := newGate()
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x < 0 {
			release.wait() // ignores its context
		}
		return x * x, nil
	}}, mpire.WithJobs(1), mpire.WithKeepAlive())
	defer p.Close()
	defer release.open()
	if _, err := p.Apply(ctx, -1, mpire.WithTaskTimeout(10*time.Millisecond)); !errors.Is(err, mpire.ErrTimeout) {
		t.Fatalf("Apply = %v, want ErrTimeout", err)
	}
	if got, err := p.Map(ctx, ints(10)); err != nil || !slices.Equal(got, squares(10)) {
		t.Fatalf("Map after = %v, %v", got, err)
	}
}

// TestAttackOrderedApplySpreadsOverWorkers: with WithOrderTasks, MPIRE
// gives apply_async tasks to the workers in turn; Apply calls must not all
// wait for worker 0 while the others are idle.
func TestAttackOrderedApplySpreadsOverWorkers(t *testing.T) {
	var mu sync.Mutex
	used := map[mpire.WorkerID]bool{}
	p, _ := newPool(t, spec{task: func(_ context.Context, id mpire.WorkerID, _ *state, x int) (int, error) {
		mu.Lock()
		used[id] = true
		mu.Unlock()
		return x, nil
	}}, mpire.WithJobs(2), mpire.WithOrderTasks(), mpire.WithKeepAlive())
	defer p.Close()
	for i := range 50 {
		if _, err := p.Apply(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if len(used) != 2 {
		t.Fatalf("50 ordered Applies ran on workers %v only", used)
	}
}

// TestAttackOrderedNestedApply: on an ordered 2-worker pool, a task calls
// its own pool; the other worker is free to serve it, or the call must fail
// fast with ErrDeadlock.
func TestAttackOrderedNestedApply(t *testing.T) {
	var p *mpireimpl.Pool[state, int, int, life]
	p, _ = newPool(t, spec{task: func(ctx context.Context, id mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 0 {
			return p.Apply(ctx, 5)
		}
		return x * x, nil
	}}, mpire.WithJobs(2), mpire.WithOrderTasks())
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var err error
	var got []int
	bounded(t, "Map", func() { got, err = p.Map(dctx, []int{0, 1}, mpire.WithChunkSize(1)) })
	if err != nil && !errors.Is(err, mpire.ErrDeadlock) {
		t.Fatalf("Map = %v, %v; want [25 1] or ErrDeadlock", got, err)
	}
}

// TestAttackNestedCallsFromOneTask: one task makes two calls at once on its
// own 2-worker pool; the other worker can serve both, one after the other.
func TestAttackNestedCallsFromOneTask(t *testing.T) {
	var p *mpireimpl.Pool[state, int, int, life]
	running, release := make(chan struct{}), newGate()
	p, _ = newPool(t, spec{task: func(ctx context.Context, id mpire.WorkerID, _ *state, x int) (int, error) {
		switch x {
		case 0:
			a := p.ApplyAsync(ctx, 2)
			<-running // a holds the other worker: both calls are under way
			b := p.ApplyAsync(ctx, 3)
			select {
			case <-b.Done():
			case <-time.After(100 * time.Millisecond): // b waits for the worker, as it should
			}
			release.open()
			ra, err := a.Get()
			if err != nil {
				return 0, err
			}
			rb, err := b.Get()
			return ra + rb, err
		case 2:
			close(running)
			release.wait()
		}
		return x * x, nil
	}}, mpire.WithJobs(2))
	var r int
	var err error
	bounded(t, "Apply", func() { r, err = p.Apply(ctx, 0) })
	if err != nil || r != 13 {
		t.Fatalf("Apply = %v, %v; want 13", r, err)
	}
}

// TestAttackCancelDuringInit: the call is cancelled while a worker's init
// runs, an init that honours its context; the call returns the context's
// error instead of waiting for an init that waits for it.
func TestAttackCancelDuringInit(t *testing.T) {
	started := make(chan struct{})
	p, _ := newPool(t, spec{init: func(ctx context.Context, _ mpire.WorkerID, _ *state) error {
		close(started)
		<-ctx.Done() // a long load that stops when asked to
		return ctx.Err()
	}}, mpire.WithJobs(1))
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		<-started
		cancel()
	}()
	var err error
	bounded(t, "Map cancelled during init", func() { _, err = p.Map(cctx, ints(3)) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Map = %v, want Canceled", err)
	}
}

// TestAttackInitCallsItsOwnPool: init, given its context, calls its own
// 1-worker pool: nothing could ever serve it.
func TestAttackInitCallsItsOwnPool(t *testing.T) {
	var p *mpireimpl.Pool[state, int, int, life]
	var inner error
	p, _ = newPool(t, spec{init: func(ctx context.Context, _ mpire.WorkerID, _ *state) error {
		_, inner = p.Apply(ctx, 1)
		return nil
	}}, mpire.WithJobs(1))
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	bounded(t, "Map", func() { p.Map(dctx, ints(2)) })
	if !errors.Is(inner, mpire.ErrDeadlock) {
		t.Fatalf("Apply from init = %v, want ErrDeadlock", inner)
	}
}

// Task arguments below zero tell a storm task how to fail.
const (
	failErr    = -1
	failPanic  = -2
	failGoexit = -3
)

var errInjected = errors.New("injected")

// lives tracks worker lives for the storms: every successful init must be
// paired with one exit, or with the death of its worker, and two lives of
// one WorkerID never overlap.
type lives struct {
	mu       sync.Mutex
	live     map[mpire.WorkerID]int
	overlap  bool
	initOK   int
	exitRun  int
	killed   int
	failRate int // one init or exit in failRate fails; 0: never
}

func newLives(failRate int) *lives { return &lives{live: map[mpire.WorkerID]int{}, failRate: failRate} }

// fail fails the way kind says: an error, a panic or runtime.Goexit.
func fail(kind int) error {
	switch kind {
	case failPanic:
		panic(errInjected)
	case failGoexit:
		runtime.Goexit()
	}
	return errInjected
}

// maybeFail fails one time in l.failRate, in a random way.
func (l *lives) maybeFail() error {
	if l.failRate == 0 || rand.IntN(l.failRate) != 0 {
		return nil
	}
	return fail(-1 - rand.IntN(3))
}

func (l *lives) spec() spec {
	return spec{
		task: func(_ context.Context, id mpire.WorkerID, _ *state, x int) (int, error) {
			if x < 0 {
				if x == failGoexit {
					l.end(id, &l.killed)
				}
				return 0, fail(x)
			}
			return 2*x + 1, nil // never zero: a zero is a missing result
		},
		init: func(_ context.Context, id mpire.WorkerID, _ *state) error {
			if err := l.maybeFail(); err != nil {
				return err
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			l.initOK++
			l.live[id]++
			l.overlap = l.overlap || l.live[id] > 1
			return nil
		},
		exit: func(_ context.Context, id mpire.WorkerID, st *state) (life, error) {
			l.end(id, &l.exitRun)
			return life{ID: id, Tasks: st.tasks}, l.maybeFail()
		},
	}
}

func (l *lives) end(id mpire.WorkerID, count *int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*count++
	l.live[id]--
}

// check asserts, once the pool is closed, that inits and exits pair up.
func (l *lives) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.initOK != l.exitRun+l.killed {
		t.Errorf("%d successful inits, %d exits and %d dead workers", l.initOK, l.exitRun, l.killed)
	}
	if l.overlap {
		t.Error("two lives of one WorkerID overlapped")
	}
	for id, n := range l.live {
		if n != 0 {
			t.Errorf("worker %d: %d lives without an exit", id, n)
		}
	}
}

// stormInput returns n task arguments, failing ones at random.
func stormInput(n, failRate int) []int {
	in := ints(n)
	if failRate > 0 {
		for i := range in {
			if rand.IntN(failRate) == 0 {
				in[i] = -1 - rand.IntN(3)
			}
		}
	}
	return in
}

// want returns what a storm call must return for in, or nil when some of
// in fails.
func want(in []int) []int {
	out := make([]int, len(in))
	for i, x := range in {
		if x < 0 {
			return nil
		}
		out[i] = 2*x + 1
	}
	return out
}

// stormCall makes one random call on p and checks that it either returns
// every result right or an error. It returns the error.
func stormCall(t *testing.T, p *mpireimpl.Pool[state, int, int, life], failRate int, opts []mpire.CallOption) error {
	in := stormInput(rand.IntN(40), failRate)
	exp := want(in)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if rand.IntN(4) == 0 {
		timer := time.AfterFunc(time.Duration(rand.IntN(500))*time.Microsecond, cancel)
		defer timer.Stop()
	}
	var got []int
	var err error
	unordered := false
	switch kind := rand.IntN(6); kind {
	case 0:
		got, err = p.Map(cctx, in, opts...)
	case 1:
		got, err = p.MapUnordered(cctx, in, opts...)
		unordered = true
	case 2, 3:
		seq := p.IMap
		if kind == 3 {
			seq, unordered = p.IMapUnordered, true
		}
		got, err = collect(seq(cctx, slices.Values(in), opts...))
	case 4:
		got = make([]int, len(in))
		for i, x := range in {
			if got[i], err = p.Apply(cctx, x, opts...); err != nil {
				break
			}
		}
	case 5:
		res := make([]*mpire.AsyncResult[int], len(in))
		for i, x := range in {
			res[i] = p.ApplyAsync(cctx, x, opts...)
		}
		got = make([]int, len(in))
		for i, r := range res {
			v, e := r.Get()
			got[i] = v
			if e != nil && err == nil {
				err = e
			}
		}
	}
	if err != nil {
		return err
	}
	if unordered {
		slices.Sort(got)
		exp = slices.Clone(exp)
		slices.Sort(exp)
	}
	if exp == nil || !slices.Equal(got, exp) {
		t.Errorf("a call on %v succeeded with %v", in, got)
	}
	return nil
}

// TestAttackStorm runs many concurrent calls of every kind on one pool, with
// failures of every kind in tasks, init and exit, random cancellations,
// lifespans and chunk sizes, and Close from several goroutines while calls
// still come: every call returns every result right or an error, nothing
// hangs, and inits and exits pair up.
func TestAttackStorm(t *testing.T) {
	for _, cfg := range []struct {
		name string
		opts []mpire.Option
	}{
		{"1 job", []mpire.Option{mpire.WithJobs(1)}},
		{"3 jobs keep-alive", []mpire.Option{mpire.WithJobs(3), mpire.WithKeepAlive()}},
		{"2 jobs ordered insights", []mpire.Option{mpire.WithJobs(2), mpire.WithOrderTasks(), mpire.WithInsights()}},
		{"4 jobs keep-alive ordered", []mpire.Option{mpire.WithJobs(4), mpire.WithKeepAlive(), mpire.WithOrderTasks()}},
		{"64 jobs", []mpire.Option{mpire.WithJobs(64)}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			l := newLives(40)
			p, _ := newPool(t, l.spec(), cfg.opts...)
			var closed atomic.Bool
			var ok, failed, cancelled, afterClose atomic.Int64
			var callers sync.WaitGroup
			for g := range 8 {
				callers.Go(func() {
					for i := range 60 {
						var opts []mpire.CallOption
						if c := rand.IntN(6); c > 0 {
							opts = append(opts, mpire.WithChunkSize(c))
						}
						if s := rand.IntN(6); s > 0 {
							opts = append(opts, mpire.WithWorkerLifespan(s))
						}
						if m := rand.IntN(8); m > 0 {
							opts = append(opts, mpire.WithMaxTasksActive(m))
						}
						failRate := 0
						if rand.IntN(3) == 0 {
							failRate = 20
						}
						wasClosed := closed.Load()
						err := stormCall(t, p, failRate, opts)
						switch {
						case wasClosed && err != nil && !errors.Is(err, mpire.ErrClosed) && !errors.Is(err, context.Canceled):
							t.Errorf("a call after Close = %v, want ErrClosed", err)
						case errors.Is(err, mpire.ErrClosed):
							afterClose.Add(1)
						case errors.Is(err, context.Canceled):
							cancelled.Add(1)
						case err != nil:
							failed.Add(1)
						default:
							ok.Add(1)
						}
						if g == 0 && i == 50 {
							// Close from several goroutines while calls go on.
							var closers sync.WaitGroup
							for range 3 {
								closers.Go(func() { p.Close() })
							}
							bounded(t, "Close", closers.Wait)
							closed.Store(true)
						}
					}
				})
			}
			bounded(t, "the storm", callers.Wait)
			bounded(t, "a last Close", func() { p.Close() })
			t.Logf("%d calls succeeded, %d failed, %d were cancelled, %d came after Close", ok.Load(), failed.Load(), cancelled.Load(), afterClose.Load())
			l.check(t)
		})
	}
}

// TestAttackKeepAliveLifespansAndTimeLimits mixes keep-alive, lifespans and
// the three time limits, with tasks, inits and exits that ignore their
// context past their limit and are abandoned: every call is right or an
// error, nothing hangs, and no init is left without an exit but those of
// abandoned or dead workers.
func TestAttackKeepAliveLifespansAndTimeLimits(t *testing.T) {
	var mu sync.Mutex
	initOK, exitRun, overran := 0, 0, 0
	stall := func(ctx context.Context, honour bool) {
		mu.Lock()
		overran++
		mu.Unlock()
		if honour {
			<-ctx.Done()
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	p, _ := newPool(t, spec{
		task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
			if x%17 == 5 {
				stall(ctx, x%2 == 0)
			}
			return 2*x + 1, nil
		},
		init: func(ctx context.Context, _ mpire.WorkerID, _ *state) error {
			if rand.IntN(30) == 0 {
				stall(ctx, false)
			}
			mu.Lock()
			initOK++
			mu.Unlock()
			return nil
		},
		exit: func(ctx context.Context, id mpire.WorkerID, st *state) (life, error) {
			mu.Lock()
			exitRun++
			mu.Unlock()
			if rand.IntN(30) == 0 {
				stall(ctx, false)
			}
			return life{ID: id, Tasks: st.tasks}, nil
		},
	}, mpire.WithJobs(3), mpire.WithKeepAlive(), mpire.WithInsights(),
		mpire.WithTaskTimeout(10*time.Millisecond), mpire.WithWorkerInitTimeout(10*time.Millisecond),
		mpire.WithWorkerExitTimeout(10*time.Millisecond))
	var callers sync.WaitGroup
	for range 4 {
		callers.Go(func() {
			for range 15 {
				in := ints(rand.IntN(30))
				opts := []mpire.CallOption{mpire.WithChunkSize(1 + rand.IntN(4)), mpire.WithWorkerLifespan(1 + rand.IntN(5))}
				var got []int
				var err error
				switch rand.IntN(3) {
				case 0:
					got, err = p.Map(ctx, in, opts...)
				case 1:
					got, err = collect(p.IMapUnordered(ctx, slices.Values(in), opts...))
					slices.Sort(got)
				case 2:
					got, err = collect(p.IMap(ctx, slices.Values(in), opts...))
				}
				if err == nil {
					for i, r := range got {
						if r != 2*in[i]+1 {
							t.Errorf("a call on %v succeeded with %v", in, got)
							break
						}
					}
					if len(got) != len(in) {
						t.Errorf("a call on %d tasks succeeded with %d results", len(in), len(got))
					}
				}
				_ = p.Insights().String()
			}
		})
	}
	bounded(t, "the calls", callers.Wait)
	bounded(t, "Close", func() { p.Close() })
	mu.Lock()
	defer mu.Unlock()
	if exitRun > initOK || initOK-exitRun > overran {
		t.Errorf("%d successful inits, %d exits, %d functions past their limit", initOK, exitRun, overran)
	}
	time.Sleep(50 * time.Millisecond) // abandoned functions end before goleak looks
}

// callAll runs args through every kind of call of p with opts, and returns
// each kind's results (sorted for the unordered ones) or error.
func callAll(p *mpireimpl.Pool[state, int, int, life], args []int, opts ...mpire.CallOption) map[string]func() ([]int, error) {
	return map[string]func() ([]int, error){
		"Map": func() ([]int, error) { return p.Map(ctx, args, opts...) },
		"MapUnordered": func() ([]int, error) {
			got, err := p.MapUnordered(ctx, args, opts...)
			slices.Sort(got)
			return got, err
		},
		"IMap": func() ([]int, error) { return collect(p.IMap(ctx, slices.Values(args), opts...)) },
		"IMapUnordered": func() ([]int, error) {
			got, err := collect(p.IMapUnordered(ctx, slices.Values(args), opts...))
			slices.Sort(got)
			return got, err
		},
		"Apply": func() ([]int, error) {
			out := make([]int, len(args))
			for i, x := range args {
				var err error
				if out[i], err = p.Apply(ctx, x, opts...); err != nil {
					return nil, err
				}
			}
			return out, nil
		},
	}
}

// TestAttackExtremeOptionValues: the largest and smallest values of the
// options, alone and together, on every kind of call.
func TestAttackExtremeOptionValues(t *testing.T) {
	callOpts := [][]mpire.CallOption{
		{mpire.WithChunkSize(math.MaxInt)},
		{mpire.WithChunkSize(math.MaxInt), mpire.WithMaxTasksActive(1)},
		{mpire.WithChunkSize(math.MaxInt), mpire.WithWorkerLifespan(1)},
		{mpire.WithNSplits(math.MaxInt)},
		{mpire.WithNSplits(1), mpire.WithMaxTasksActive(1)},
		{mpire.WithMaxTasksActive(math.MaxInt), mpire.WithWorkerLifespan(math.MaxInt)},
		{mpire.WithChunkSize(1), mpire.WithWorkerLifespan(1), mpire.WithMaxTasksActive(1)},
		{mpire.WithIterableLen(1 << 50), mpire.WithChunkSize(1 << 30)},
		{mpire.WithTaskTimeout(math.MaxInt64), mpire.WithWorkerInitTimeout(math.MaxInt64), mpire.WithWorkerExitTimeout(math.MaxInt64)},
	}
	for _, pool := range [][]mpire.Option{
		{mpire.WithJobs(2)},
		{mpire.WithJobs(3), mpire.WithOrderTasks(), mpire.WithKeepAlive()},
		{mpire.WithJobs(64), mpire.WithInsights()},
	} {
		p, _ := newPool(t, spec{}, pool...)
		for _, opts := range callOpts {
			for name, call := range callAll(p, ints(37), opts...) {
				var got []int
				var err error
				bounded(t, name, func() { got, err = call() })
				if err != nil || !slices.Equal(got, squares(37)) {
					t.Errorf("%s with %d pool and %d call options: %v, %v", name, len(pool), len(opts), got, err)
				}
			}
		}
		bounded(t, "Close", func() {
			if err := p.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestAttackTinyTimeLimits: limits of a nanosecond time out some of the
// functions and not others; every call is right or an ErrTimeout.
func TestAttackTinyTimeLimits(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2), mpire.WithKeepAlive())
	for _, opts := range [][]mpire.CallOption{
		{mpire.WithTaskTimeout(1)},
		{mpire.WithWorkerInitTimeout(1), mpire.WithWorkerLifespan(2)},
		{mpire.WithWorkerExitTimeout(1), mpire.WithWorkerLifespan(1)},
	} {
		for name, call := range callAll(p, ints(20), opts...) {
			var got []int
			var err error
			bounded(t, name, func() { got, err = call() })
			if err != nil && !errors.Is(err, mpire.ErrTimeout) || err == nil && !slices.Equal(got, squares(20)) {
				t.Errorf("%s: %v, %v", name, got, err)
			}
		}
	}
	bounded(t, "Close", func() { p.Close() })
}

// TestAttackLifespanOneChunkOne: every task is a worker's whole life: one
// init and one exit per task, and one exit result each.
func TestAttackLifespanOneChunkOne(t *testing.T) {
	const n = 300
	for _, pool := range [][]mpire.Option{
		{mpire.WithJobs(2)},
		{mpire.WithJobs(3), mpire.WithOrderTasks()},
		{mpire.WithJobs(2), mpire.WithKeepAlive()},
	} {
		p, cnt := newPool(t, spec{}, pool...)
		for name, call := range callAll(p, ints(n), mpire.WithChunkSize(1), mpire.WithWorkerLifespan(1)) {
			cnt.inits.Store(0)
			cnt.exits.Store(0)
			got, err := call()
			if err != nil || !slices.Equal(got, squares(n)) {
				t.Fatalf("%s: %v", name, err)
			}
			exits := p.ExitResults()
			if name == "Apply" {
				continue // one call per task: ExitResults is the last call's
			}
			if cnt.inits.Load() != n || cnt.exits.Load() != n || len(exits) != n {
				t.Errorf("%s: %d inits, %d exits, %d exit results; want %d", name, cnt.inits.Load(), cnt.exits.Load(), len(exits), n)
			}
			for _, e := range exits {
				if e.Tasks != 1 {
					t.Errorf("%s: a life of %d tasks", name, e.Tasks)
					break
				}
			}
		}
		p.Close()
	}
}

// TestAttackCancelAtEveryStep cancels a call from inside its own work: in
// the middle of a chunk, in init, in the exit of a lifespan restart and in
// the exit at the end of the call. The call returns Canceled, or every
// result right when the work was already done, and the pool goes on.
func TestAttackCancelAtEveryStep(t *testing.T) {
	type step struct {
		name      string
		task      func(cancel func(), x int)
		init      func(cancel func())
		exit      func(cancel func())
		canFinish bool // the work may be complete when the cancellation comes
	}
	for _, st := range []step{
		{name: "mid-chunk", task: func(cancel func(), x int) {
			if x == 13 {
				cancel()
			}
		}},
		{name: "init", init: func(cancel func()) { cancel() }},
		{name: "restart exit", exit: func(cancel func()) { cancel() }, canFinish: true},
	} {
		for _, keep := range []bool{false, true} {
			var cancelMu sync.Mutex
			cancel := func() {}
			doCancel := func() {
				cancelMu.Lock()
				defer cancelMu.Unlock()
				cancel()
			}
			sp := spec{}
			if st.task != nil {
				sp.task = func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
					st.task(doCancel, x)
					return x * x, nil
				}
			}
			if st.init != nil {
				sp.init = func(context.Context, mpire.WorkerID, *state) error { st.init(doCancel); return nil }
			}
			if st.exit != nil {
				sp.exit = func(_ context.Context, id mpire.WorkerID, s *state) (life, error) {
					st.exit(doCancel)
					return life{ID: id, Tasks: s.tasks}, nil
				}
			}
			opts := []mpire.Option{mpire.WithJobs(2)}
			if keep {
				opts = append(opts, mpire.WithKeepAlive())
			}
			p, cnt := newPool(t, sp, opts...)
			for _, name := range []string{"Map", "MapUnordered", "IMap", "IMapUnordered", "Apply"} {
				cctx, c := context.WithCancel(ctx)
				cancelMu.Lock()
				cancel = c
				cancelMu.Unlock()
				var got []int
				var err error
				bounded(t, name, func() {
					switch name {
					case "Map":
						got, err = p.Map(cctx, ints(30), mpire.WithChunkSize(4), mpire.WithWorkerLifespan(6))
					case "MapUnordered":
						got, err = p.MapUnordered(cctx, ints(30), mpire.WithChunkSize(4), mpire.WithWorkerLifespan(6))
						slices.Sort(got)
					case "IMap":
						got, err = collect(p.IMap(cctx, slices.Values(ints(30)), mpire.WithChunkSize(4), mpire.WithWorkerLifespan(6)))
					case "IMapUnordered":
						got, err = collect(p.IMapUnordered(cctx, slices.Values(ints(30)), mpire.WithChunkSize(4), mpire.WithWorkerLifespan(6)))
						slices.Sort(got)
					case "Apply":
						got = squares(30)
						err = nil
						for i := range 30 {
							var r int
							if r, err = p.Apply(cctx, i, mpire.WithWorkerLifespan(6)); err != nil {
								break
							}
							got[i] = r
						}
					}
				})
				c()
				switch {
				case err == nil && !slices.Equal(got, squares(30)):
					t.Errorf("%s, cancelled at %s: success with %v", name, st.name, got)
				case err == nil && !st.canFinish && name != "Apply":
					t.Errorf("%s, cancelled at %s: success", name, st.name)
				case err != nil && !errors.Is(err, context.Canceled):
					t.Errorf("%s, cancelled at %s: %v, want Canceled", name, st.name, err)
				}
				// The pool goes on.
				if got, err := p.Map(ctx, ints(9)); err != nil || !slices.Equal(got, squares(9)) {
					t.Errorf("Map after %s cancelled at %s: %v, %v", name, st.name, got, err)
				}
			}
			bounded(t, "Close", func() { p.Close() })
			if cnt.inits.Load() != cnt.exits.Load() {
				t.Errorf("cancelled at %s: %d inits, %d exits", st.name, cnt.inits.Load(), cnt.exits.Load())
			}
		}
	}
}

// TestAttackLeavingTheLoopBodyEveryWay leaves IMap loops by break, panic and
// runtime.Goexit, at the first result, in the middle, and at the error a
// failing task yields, on pools with ordered tasks, lifespans and
// keep-alive; the pool stays usable and Close returns.
func TestAttackLeavingTheLoopBodyEveryWay(t *testing.T) {
	for _, pool := range [][]mpire.Option{
		{mpire.WithJobs(1)},
		{mpire.WithJobs(3), mpire.WithOrderTasks(), mpire.WithKeepAlive()},
		{mpire.WithJobs(2), mpire.WithKeepAlive(), mpire.WithInsights()},
	} {
		p, cnt := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
			if x == 500 {
				return 0, errInjected
			}
			return x * x, nil
		}}, pool...)
		for _, how := range []string{"break", "panic", "goexit"} {
			for _, at := range []int{0, 7, -1} { // -1: at the error
				for _, ordered := range []bool{true, false} {
					seq := p.IMap
					if !ordered {
						seq = p.IMapUnordered
					}
					bounded(t, how, func() {
						done := make(chan struct{})
						go func() {
							defer close(done)
							defer func() { recover() }()
							i := 0
							for _, err := range seq(ctx, slices.Values(ints(1000)), mpire.WithChunkSize(3), mpire.WithWorkerLifespan(5), mpire.WithMaxTasksActive(7)) {
								if (at >= 0 && i == at) || (at < 0 && err != nil) {
									switch how {
									case "break":
										return
									case "panic":
										panic("in the loop body")
									case "goexit":
										runtime.Goexit()
									}
								}
								i++
							}
						}()
						<-done
					})
					if got, err := p.Map(ctx, ints(9)); err != nil || !slices.Equal(got, squares(9)) {
						t.Fatalf("Map after leaving by %s at %d: %v, %v", how, at, got, err)
					}
				}
			}
		}
		bounded(t, "Close", func() { p.Close() })
		if cnt.inits.Load() != cnt.exits.Load() {
			t.Errorf("%d inits, %d exits", cnt.inits.Load(), cnt.exits.Load())
		}
	}
}

// TestAttackCallFromTheLoopBody: the body of an IMap loop calls the same
// pool, even with one worker: the caller is not a worker, so it is served
// once the loop's chunks are done.
func TestAttackCallFromTheLoopBody(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(1), mpire.WithKeepAlive())
	defer p.Close()
	n := 0
	bounded(t, "IMap", func() {
		for r, err := range p.IMap(ctx, slices.Values(ints(50)), mpire.WithChunkSize(2), mpire.WithMaxTasksActive(4)) {
			if err != nil {
				t.Fatal(err)
			}
			inner, err := collect(p.IMapUnordered(ctx, slices.Values([]int{r})))
			if err != nil || len(inner) != 1 || inner[0] != r*r {
				t.Fatalf("inner call = %v, %v", inner, err)
			}
			if _, err := p.Apply(ctx, r); err != nil {
				t.Fatal(err)
			}
			n++
		}
	})
	if n != 50 {
		t.Fatalf("%d results, want 50", n)
	}
}

// TestAttackEmptyInputOnAClosedPool: every call on a closed pool fails with
// ErrClosed, whatever its input.
func TestAttackEmptyInputOnAClosedPool(t *testing.T) {
	p, _ := newPool(t, spec{})
	p.Close()
	if _, err := p.Map(ctx, nil); !errors.Is(err, mpire.ErrClosed) {
		t.Errorf("Map(nil) on a closed pool = %v, want ErrClosed", err)
	}
	if _, err := collect(p.IMap(ctx, slices.Values([]int(nil)))); !errors.Is(err, mpire.ErrClosed) {
		t.Errorf("IMap(empty) on a closed pool = %v, want ErrClosed", err)
	}
}

// TestAttackStringMethodUnderInsights: insights format the arguments of the
// longest tasks, on calls that succeed; a String method that panics must
// not change the answer.
func TestAttackStringMethodUnderInsights(t *testing.T) {
	p := newStringerPool(mpire.WithJobs(2), mpire.WithInsights())
	in := []stringer{{n: 1, kind: "panic"}, {n: 2, kind: "panic"}, {n: 3}}
	for _, opts := range [][]mpire.CallOption{nil, {mpire.WithTaskTimeout(time.Minute)}} {
		var got []int
		var err error
		bounded(t, "Map", func() { got, err = p.Map(ctx, in, opts...) })
		if err != nil || !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("Map = %v, %v", got, err)
		}
	}
	_ = p.Insights().String()
	p.Close()
}

// TestAttackStringMethodGoexitUnderInsights: the same with a String method
// that ends the goroutine, on a call where no task fails: the call returns,
// right or with an error, and the pool goes on.
func TestAttackStringMethodGoexitUnderInsights(t *testing.T) {
	p := newStringerPool(mpire.WithJobs(1), mpire.WithInsights(), mpire.WithKeepAlive())
	var got []int
	var err error
	bounded(t, "Map", func() { got, err = p.Map(ctx, []stringer{{n: 1, kind: "goexit"}, {n: 2}, {n: 3, kind: "goexit"}}) })
	if err == nil && !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("Map = %v", got)
	}
	if got, err := p.Map(ctx, []stringer{{n: 4}}); err != nil || !slices.Equal(got, []int{4}) {
		t.Errorf("Map after = %v, %v", got, err)
	}
	bounded(t, "Close", func() { p.Close() })
}

// TestAttackStringMethodPanicsTwiceUnderInsights: with insights, the
// arguments of a long task are formatted even though no task fails.
func TestAttackStringMethodPanicsTwiceUnderInsights(t *testing.T) {
	p := newStringerPool(mpire.WithJobs(1), mpire.WithInsights())
	got, err := p.Map(ctx, []stringer{{n: 1, kind: "panic-twice"}})
	if err == nil && !slices.Equal(got, []int{1}) {
		t.Errorf("Map = %v", got)
	}
}

// TestAttackApplyAsyncStorm: thousands of ApplyAsync, some failing every
// way, some cancelled, then Close while results are still awaited: every
// result is right or an error, and every Get returns.
func TestAttackApplyAsyncStorm(t *testing.T) {
	for _, keep := range []bool{false, true} {
		l := newLives(0)
		opts := []mpire.Option{mpire.WithJobs(3)}
		if keep {
			opts = append(opts, mpire.WithKeepAlive())
		}
		p, _ := newPool(t, l.spec(), opts...)
		var res []*mpire.AsyncResult[int]
		var args []int
		var cancels []context.CancelFunc
		for i := range 2000 {
			x := i
			if i%97 == 3 {
				x = -1 - i%3
			}
			cctx, cancel := context.WithCancel(ctx)
			if i%11 == 0 {
				cancel()
			}
			cancels = append(cancels, cancel)
			args = append(args, x)
			res = append(res, p.ApplyAsync(cctx, x, mpire.WithWorkerLifespan(1+i%7)))
		}
		for _, cancel := range cancels[len(cancels)/2:] {
			cancel()
		}
		bounded(t, "Get", func() {
			for _, r := range res[:len(res)/4] {
				r.Wait()
			}
		})
		bounded(t, "Close", func() { p.Close() })
		var okN, closedN, otherN int
		bounded(t, "Get", func() {
			for i, r := range res {
				v, err := r.Get()
				switch {
				case err == nil:
					okN++
				case errors.Is(err, mpire.ErrClosed):
					closedN++
				default:
					otherN++
				}
				switch {
				case err == nil && (args[i] < 0 || v != 2*args[i]+1):
					t.Errorf("ApplyAsync(%d) = %d, nil", args[i], v)
				case err == nil && !r.Successful():
					t.Errorf("ApplyAsync(%d) succeeded but not Successful", args[i])
				case err != nil && r.Successful():
					t.Errorf("ApplyAsync(%d) failed with %v but Successful", args[i], err)
				}
			}
		})
		t.Logf("keep-alive %v: %d succeeded, %d closed, %d failed", keep, okN, closedN, otherN)
		for _, cancel := range cancels {
			cancel()
		}
		l.check(t)
	}
}

// TestAttackRecursionOnItsOwnPool: tasks call their own pool recursively,
// with their context, on pools of 1 to 4 workers: every call returns the
// right answer or ErrDeadlock, never waits forever.
func TestAttackRecursionOnItsOwnPool(t *testing.T) {
	for jobs := 1; jobs <= 4; jobs++ {
		var p *mpireimpl.Pool[state, int, int, life]
		var deadlocks atomic.Int64
		// f(x) = x + f(x-1) + ..., computed by calling the pool.
		p, _ = newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
			if x <= 0 {
				return 0, nil
			}
			sub, err := p.Map(ctx, []int{x - 1})
			if errors.Is(err, mpire.ErrDeadlock) {
				deadlocks.Add(1)
			}
			if err != nil {
				return 0, err
			}
			return x + sub[0], nil
		}}, mpire.WithJobs(jobs))
		for depth := range 6 {
			var got []int
			var err error
			bounded(t, "a recursive Map", func() { got, err = p.Map(ctx, []int{depth, depth}) })
			if err != nil && !errors.Is(err, mpire.ErrDeadlock) {
				t.Errorf("jobs %d depth %d: %v", jobs, depth, err)
			}
			if err == nil && !slices.Equal(got, []int{depth * (depth + 1) / 2, depth * (depth + 1) / 2}) {
				t.Errorf("jobs %d depth %d: %v", jobs, depth, got)
			}
		}
		bounded(t, "Close", func() { p.Close() })
	}
}

// TestAttackNestedPoolsCancelled: a task of one pool maps on a second pool,
// whose tasks map on a third; the outer call is cancelled at random moments.
func TestAttackNestedPoolsCancelled(t *testing.T) {
	inner, _ := newPool(t, spec{}, mpire.WithJobs(2), mpire.WithKeepAlive())
	mid, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		got, err := inner.Map(ctx, ints(x%5+1))
		if err != nil {
			return 0, err
		}
		return got[len(got)-1], nil
	}}, mpire.WithJobs(2))
	outer, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		var sum int
		for r, err := range mid.IMapUnordered(ctx, slices.Values(ints(x%4+1))) {
			if err != nil {
				return 0, err
			}
			sum += r
		}
		return sum, nil
	}}, mpire.WithJobs(2))
	wantOf := func(x int) int {
		sum := 0
		for y := range x%4 + 1 {
			sum += (y % 5) * (y % 5)
		}
		return sum
	}
	var calls sync.WaitGroup
	for i := range 30 {
		calls.Go(func() {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			if i%3 != 0 {
				time.AfterFunc(time.Duration(i*i*20)*time.Microsecond, cancel)
			}
			got, err := outer.Map(cctx, ints(12))
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("outer Map = %v, want Canceled", err)
				}
				return
			}
			for x, r := range got {
				if r != wantOf(x) {
					t.Errorf("outer Map = %v", got)
					return
				}
			}
		})
	}
	bounded(t, "the calls", calls.Wait)
	for _, p := range []*mpireimpl.Pool[state, int, int, life]{outer, mid, inner} {
		bounded(t, "Close", func() { p.Close() })
	}
}

// TestAttackHostileInputs: inputs that panic, end their goroutine, or go on
// yielding after being told to stop, at every point, on ordered and
// unordered IMap: an error or every result right, and the pool goes on.
func TestAttackHostileInputs(t *testing.T) {
	hostile := func(how string, at, n int) func(func(int) bool) {
		return func(yield func(int) bool) {
			for i := range n {
				if i == at {
					switch how {
					case "panic":
						panic("in the input")
					case "goexit":
						runtime.Goexit()
					}
				}
				if !yield(i) && how != "deaf" {
					return
				}
			}
		}
	}
	for _, pool := range [][]mpire.Option{
		{mpire.WithJobs(1), mpire.WithKeepAlive()},
		{mpire.WithJobs(3), mpire.WithOrderTasks()},
	} {
		p, cnt := newPool(t, spec{}, pool...)
		for _, how := range []string{"panic", "goexit", "deaf"} {
			for _, at := range []int{0, 1, 5, 19} {
				for _, tc := range []struct {
					opts  []mpire.CallOption
					limit int // inputs read
				}{
					{[]mpire.CallOption{mpire.WithChunkSize(2)}, 20},
					{[]mpire.CallOption{mpire.WithIterableLen(3)}, 3},
					{[]mpire.CallOption{mpire.WithMaxTasksActive(1), mpire.WithWorkerLifespan(2)}, 20},
				} {
					opts := tc.opts
					for _, ordered := range []bool{true, false} {
						seq := p.IMap
						if !ordered {
							seq = p.IMapUnordered
						}
						var got []int
						var err error
						bounded(t, how, func() { got, err = collect(seq(ctx, hostile(how, at, 20), opts...)) })
						if !ordered {
							slices.Sort(got)
						}
						if err == nil && !slices.Equal(got, squares(len(got))) {
							t.Errorf("%s at %d: %v", how, at, got)
						}
						if err == nil && how != "deaf" && at < tc.limit {
							t.Errorf("%s at %d: success with %v", how, at, got)
						}
						// A deaf input is only told to stop by WithIterableLen.
						if how == "deaf" && tc.limit == 20 && err != nil {
							t.Errorf("deaf input read to its end: %v", err)
						}
					}
				}
			}
		}
		bounded(t, "Close", func() { p.Close() })
		if cnt.inits.Load() != cnt.exits.Load() {
			t.Errorf("%d inits, %d exits", cnt.inits.Load(), cnt.exits.Load())
		}
	}
}

// TestAttackEveryTaskBelongsToOneLife: over calls of every kind with random
// lifespans and chunk sizes, the exit results of the calls and of Close
// account for every task exactly once, and insights count every task.
func TestAttackEveryTaskBelongsToOneLife(t *testing.T) {
	for _, cfg := range []struct {
		keep bool
		pool []mpire.Option
	}{
		{false, []mpire.Option{mpire.WithJobs(2), mpire.WithInsights()}},
		{true, []mpire.Option{mpire.WithJobs(3), mpire.WithKeepAlive(), mpire.WithInsights()}},
		{true, []mpire.Option{mpire.WithJobs(2), mpire.WithKeepAlive(), mpire.WithOrderTasks(), mpire.WithInsights()}},
	} {
		p, cnt := newPool(t, spec{}, cfg.pool...)
		accounted, run := 0, 0
		for i := range 40 {
			opts := []mpire.CallOption{mpire.WithChunkSize(1 + i%5), mpire.WithWorkerLifespan(1 + i%7)}
			if i%3 == 0 {
				opts = append(opts, mpire.WithTaskTimeout(time.Minute))
			}
			n := (i * 7) % 50
			for name, call := range callAll(p, ints(n), opts...) {
				if name == "Apply" {
					continue // ExitResults is only the last Apply's
				}
				before := p.Insights().CompletedTasks()
				got, err := call()
				if err != nil || !slices.Equal(got, squares(n)) {
					t.Fatalf("%s: %v, %v", name, got, err)
				}
				run += n
				for _, e := range p.ExitResults() {
					accounted += e.Tasks
				}
				if !cfg.keep {
					before = 0 // without keep-alive, insights start afresh with each call's workers
				}
				if done := p.Insights().CompletedTasks(); n > 0 && done-before != n {
					t.Errorf("%s of %d tasks: insights count %d", name, n, done-before)
				}
			}
		}
		p.Close()
		if cfg.keep {
			// Without keep-alive no worker runs at Close, and ExitResults
			// stays the last call's.
			for _, e := range p.ExitResults() {
				accounted += e.Tasks
			}
		}
		if accounted != run || int(cnt.tasks.Load()) != run {
			t.Errorf("%d tasks run, %d counted, %d accounted for by exit results", run, cnt.tasks.Load(), accounted)
		}
	}
}

// TestAttackDeadlineWhileWorkersExit: a call made while the last call's
// workers still run their exit waits for them; its deadline still holds.
func TestAttackDeadlineWhileWorkersExit(t *testing.T) {
	exiting, release := make(chan struct{}), newGate()
	var once sync.Once
	p, _ := newPool(t, spec{exit: func(_ context.Context, id mpire.WorkerID, st *state) (life, error) {
		once.Do(func() { close(exiting) })
		release.wait()
		return life{ID: id, Tasks: st.tasks}, nil
	}}, mpire.WithJobs(1))
	first := make(chan error)
	go func() {
		_, err := p.Map(ctx, ints(3))
		first <- err
	}()
	<-exiting
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var err error
	bounded(t, "Map while the workers exit", func() { _, err = p.Map(dctx, ints(3)) })
	release.open()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Map = %v, want DeadlineExceeded", err)
	}
	if err := <-first; err != nil {
		t.Error(err)
	}
	p.Close()
}

// TestAttackExitCallsItsOwnPool: exit, given its context, calls its own
// pool; nothing could serve it while the workers stop.
func TestAttackExitCallsItsOwnPool(t *testing.T) {
	var p *mpireimpl.Pool[state, int, int, life]
	var mu sync.Mutex
	var inner []error // one per worker's exit, which run at once
	p, _ = newPool(t, spec{exit: func(ctx context.Context, id mpire.WorkerID, _ *state) (life, error) {
		_, err := p.Apply(ctx, 1)
		mu.Lock()
		inner = append(inner, err)
		mu.Unlock()
		return life{ID: id}, nil
	}}, mpire.WithJobs(2))
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	bounded(t, "Map", func() { p.Map(dctx, ints(2)) })
	mu.Lock()
	defer mu.Unlock()
	if len(inner) == 0 || slices.Contains(inner, nil) {
		t.Fatalf("Apply from exit: %v, want errors", inner)
	}
	p.Close()
}

// TestAttackCloseWhileExitsFail: Close from several goroutines while the
// kept-alive workers' exits fail every way; the first Close returns the
// failure, the others nil, calls after Close get ErrClosed, and nothing
// hangs.
func TestAttackCloseWhileExitsFail(t *testing.T) {
	for _, tc := range []struct {
		how  string
		want error
	}{
		{"error", errInjected},
		{"panic", errInjected},
		{"goexit", mpire.ErrWorkerDied},
		{"stuck", mpire.ErrTimeout},
	} {
		release := newGate()
		p, cnt := newPool(t, spec{exit: func(_ context.Context, id mpire.WorkerID, st *state) (life, error) {
			switch tc.how {
			case "error":
				return life{}, errInjected
			case "panic":
				panic(errInjected)
			case "goexit":
				runtime.Goexit()
			case "stuck":
				release.wait() // ignores its context
			}
			return life{ID: id, Tasks: st.tasks}, nil
		}}, mpire.WithJobs(3), mpire.WithKeepAlive(), mpire.WithWorkerExitTimeout(20*time.Millisecond))
		if got, err := p.Map(ctx, ints(30), mpire.WithChunkSize(1)); err != nil || !slices.Equal(got, squares(30)) {
			t.Fatalf("Map = %v, %v", got, err)
		}
		var errs []error
		var mu sync.Mutex
		var closers sync.WaitGroup
		for range 4 {
			closers.Go(func() {
				err := p.Close()
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			})
		}
		bounded(t, "Close", closers.Wait)
		release.open()
		failures := 0
		for _, err := range errs {
			if err == nil {
				continue
			}
			failures++
			if !errors.Is(err, tc.want) || taskErr(t, err).Phase != mpire.PhaseExit {
				t.Errorf("exit %s: Close = %v, want %v in an exit TaskError", tc.how, err, tc.want)
			}
		}
		if failures != 1 {
			t.Errorf("exit %s: %d of 4 Close calls failed, want 1", tc.how, failures)
		}
		if _, err := p.Apply(ctx, 1); !errors.Is(err, mpire.ErrClosed) {
			t.Errorf("Apply after Close = %v", err)
		}
		if cnt.inits.Load() != cnt.exits.Load() {
			t.Errorf("exit %s: %d inits, %d exits", tc.how, cnt.inits.Load(), cnt.exits.Load())
		}
	}
	time.Sleep(10 * time.Millisecond) // the abandoned exits return
}

// TestAttackInsightsWhileEverythingRuns reads insights, with their report,
// while calls of every kind run, restart workers and fail.
func TestAttackInsightsWhileEverythingRuns(t *testing.T) {
	l := newLives(50)
	p, _ := newPool(t, l.spec(), mpire.WithJobs(3), mpire.WithInsights())
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				in := p.Insights()
				_ = in.String()
				if in.CompletedTasks() < 0 {
					t.Error("negative task count")
				}
			}
		})
	}
	var callers sync.WaitGroup
	for range 4 {
		callers.Go(func() {
			for range 30 {
				stormCall(t, p, 30, []mpire.CallOption{mpire.WithWorkerLifespan(3), mpire.WithChunkSize(2)})
			}
		})
	}
	bounded(t, "the calls", callers.Wait)
	close(stop)
	readers.Wait()
	bounded(t, "Close", func() { p.Close() })
	l.check(t)
}

// panicWriter is a progress bar writer that panics.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("the progress bar's writer") }

// TestAttackProgressBarWriterPanics: the caller's writer panics while the
// bar is drawn; the process must not die of it.
func TestAttackProgressBarWriterPanics(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		time.Sleep(time.Millisecond)
		return x * x, nil
	}}, mpire.WithJobs(2))
	func() {
		defer func() { recover() }() // a panic on the caller's goroutine is the caller's
		p.Map(ctx, ints(400), mpire.WithProgressBarWriter(panicWriter{}))
	}()
	p.Close()
}

// TestAttackProgressBarsOnConcurrentFailingCalls draws progress bars of
// concurrent calls that fail, are cancelled, or have more inputs than
// WithIterableLen says.
func TestAttackProgressBarsOnConcurrentFailingCalls(t *testing.T) {
	p, _ := newPool(t, newLives(0).spec(), mpire.WithJobs(2), mpire.WithKeepAlive())
	var callers sync.WaitGroup
	for i := range 6 {
		callers.Go(func() {
			var buf syncBuffer
			opts := []mpire.CallOption{mpire.WithProgressBarWriter(&buf), mpire.WithProgressBarTitle(fmt.Sprint("call ", i))}
			for range 10 {
				stormCall(t, p, 15, opts)
				got, err := collect(p.IMap(ctx, slices.Values(ints(40)), append(opts, mpire.WithIterableLen(1+i))...))
				if err != nil || !slices.Equal(got, want(ints(1+i))) {
					t.Errorf("IMap with WithIterableLen(%d) = %v, %v", 1+i, got, err)
				}
			}
		})
	}
	bounded(t, "the calls", callers.Wait)
	p.Close()
}

// TestAttackGoexitInExitAfterTimeLimitedTasks: a kept-alive worker that
// ran tasks under a time limit dies in its exit at Close; nothing of it may
// outlive Close (goleak checks at the end of the package's tests).
func TestAttackGoexitInExitAfterTimeLimitedTasks(t *testing.T) {
	p, _ := newPool(t, spec{exit: func(context.Context, mpire.WorkerID, *state) (life, error) {
		runtime.Goexit()
		return life{}, nil
	}}, mpire.WithJobs(2), mpire.WithKeepAlive())
	if got, err := p.Map(ctx, ints(10), mpire.WithTaskTimeout(time.Minute)); err != nil || !slices.Equal(got, squares(10)) {
		t.Fatalf("Map = %v, %v", got, err)
	}
	var err error
	bounded(t, "Close", func() { err = p.Close() })
	if !errors.Is(err, mpire.ErrWorkerDied) {
		t.Errorf("Close = %v, want ErrWorkerDied", err)
	}
	leaked := func() bool {
		buf := make([]byte, 1<<20)
		return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "limitRunner")
	}
	for i := 0; i < 100 && leaked(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if leaked() {
		t.Error("a time limit's goroutine outlives Close")
	}
}

// TestAttackIterableLenOnASlice: API.md says a call processes the first
// min(n, inputs) with WithIterableLen(n), as MPIRE does for any iterable.
func TestAttackIterableLenOnASlice(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	if got, err := p.Map(ctx, ints(10), mpire.WithIterableLen(3)); err != nil || !slices.Equal(got, squares(3)) {
		t.Errorf("Map over 10 with WithIterableLen(3) = %v, %v", got, err)
	}
}

// TestAttackInputPanicsWithAPanickyValue: the input panics with a value
// whose String panics; the call fails, the process lives.
func TestAttackInputPanicsWithAPanickyValue(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	_, err := collect(p.IMap(ctx, func(yield func(int) bool) {
		yield(1)
		panic(panicky{})
	}))
	if err == nil {
		t.Fatal("IMap succeeded")
	}
}

// TestAttackManyWorkersShortLives: 64 workers on a small machine, each task
// a whole worker life, on every kind of call.
func TestAttackManyWorkersShortLives(t *testing.T) {
	const n = 3000
	p, cnt := newPool(t, spec{}, mpire.WithJobs(64), mpire.WithKeepAlive(), mpire.WithInsights())
	for name, call := range callAll(p, ints(n), mpire.WithChunkSize(1), mpire.WithWorkerLifespan(1), mpire.WithMaxTasksActive(64)) {
		if name == "Apply" {
			continue
		}
		cnt.inits.Store(0)
		cnt.exits.Store(0)
		var got []int
		var err error
		bounded(t, name, func() { got, err = call() })
		if err != nil || !slices.Equal(got, squares(n)) {
			t.Fatalf("%s: %v", name, err)
		}
		if cnt.inits.Load() != n || cnt.exits.Load() != n || len(p.ExitResults()) != n {
			t.Errorf("%s: %d inits, %d exits, %d exit results; want %d", name, cnt.inits.Load(), cnt.exits.Load(), len(p.ExitResults()), n)
		}
	}
	bounded(t, "Close", func() { p.Close() })
	if got := p.Insights().CompletedTasks(); got != 4*n {
		t.Errorf("insights count %d tasks, want %d", got, 4*n)
	}
}
