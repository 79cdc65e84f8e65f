package mpire_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

var errUnlucky = errors.New("unlucky number")

func TestTaskErrorNamesTheTask(t *testing.T) {
	p, cnt := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 7 {
			return 0, errUnlucky
		}
		return x, nil
	}}, mpire.WithJobs(1))
	_, err := p.Map(ctx, ints(100), mpire.WithChunkSize(1))
	var te *mpire.TaskError
	if !errors.As(err, &te) {
		t.Fatalf("Map error = %v, want a *TaskError", err)
	}
	if te.Phase != mpire.PhaseTask || te.Index != 7 || te.Args != "x=7" || te.WorkerID != 0 || te.Func != "square" {
		t.Fatalf("TaskError = %+v", te)
	}
	if !errors.Is(err, errUnlucky) {
		t.Fatal("errors.Is does not see the task's error")
	}
	for _, want := range []string{"square", "worker 0", "index 7", "x=7", "unlucky number"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// One worker, chunks of one: nothing after the failure was started.
	if n := cnt.tasks.Load(); n != 8 {
		t.Fatalf("%d tasks ran, want 8: tasks after the failure must not start", n)
	}
	if cnt.inits.Load() != cnt.exits.Load() {
		t.Fatalf("%d inits, %d exits", cnt.inits.Load(), cnt.exits.Load())
	}
}

func TestFailureStopsEveryCallKind(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 50 {
			return 0, errUnlucky
		}
		return x, nil
	}}, mpire.WithJobs(2))
	if _, err := p.MapUnordered(ctx, ints(100)); !errors.Is(err, errUnlucky) {
		t.Errorf("MapUnordered: %v", err)
	}
	for _, ordered := range []bool{true, false} {
		seq := p.IMapUnordered
		if ordered {
			seq = p.IMap
		}
		errs := 0
		for _, err := range seq(ctx, slices.Values(ints(100))) {
			if err != nil {
				errs++
				if !errors.Is(err, errUnlucky) {
					t.Errorf("IMap error %v", err)
				}
			}
		}
		if errs != 1 {
			t.Errorf("ordered=%v: %d errors yielded, want exactly 1", ordered, errs)
		}
	}
}

func TestPanicBecomesPanicError(t *testing.T) {
	p, cnt := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 3 {
			panic("boom")
		}
		return x, nil
	}})
	_, err := p.Map(ctx, ints(10))
	var te *mpire.TaskError
	var pe *mpire.PanicError
	if !errors.As(err, &te) || !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *TaskError holding a *PanicError", err)
	}
	if te.Index != 3 || pe.Value != "boom" || !strings.Contains(string(pe.Stack), "TestPanicBecomesPanicError") {
		t.Fatalf("index %d, value %v, stack:\n%s", te.Index, pe.Value, pe.Stack)
	}
	if cnt.inits.Load() != cnt.exits.Load() {
		t.Fatalf("%d inits, %d exits", cnt.inits.Load(), cnt.exits.Load())
	}
}

func TestInitAndExitFailuresNameTheirPhase(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sp    spec
		phase mpire.Phase
	}{
		{"init error", spec{init: func(context.Context, mpire.WorkerID, *state) error { return errUnlucky }}, mpire.PhaseInit},
		{"init panic", spec{init: func(context.Context, mpire.WorkerID, *state) error { panic(errUnlucky) }}, mpire.PhaseInit},
		{"exit error", spec{exit: func(context.Context, mpire.WorkerID, *state) (life, error) { return life{}, errUnlucky }}, mpire.PhaseExit},
		{"exit panic", spec{exit: func(context.Context, mpire.WorkerID, *state) (life, error) { panic(errUnlucky) }}, mpire.PhaseExit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newPool(t, tc.sp, mpire.WithJobs(2))
			_, err := p.Map(ctx, ints(10))
			var te *mpire.TaskError
			if !errors.As(err, &te) || te.Phase != tc.phase || te.Index != -1 || !errors.Is(err, errUnlucky) {
				t.Fatalf("err = %#v, want a %v TaskError wrapping errUnlucky", err, tc.phase)
			}
			if !strings.Contains(err.Error(), tc.phase.String()) {
				t.Fatalf("message %q does not name the phase", err)
			}
		})
	}
}

func TestCloseReturnsTheFirstExitError(t *testing.T) {
	p, _ := newPool(t, spec{exit: func(context.Context, mpire.WorkerID, *state) (life, error) { return life{}, errUnlucky }},
		mpire.WithJobs(2), mpire.WithKeepAlive())
	if _, err := p.Map(ctx, ints(10)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); !errors.Is(err, errUnlucky) {
		t.Fatalf("Close = %v, want the exit error", err)
	}
}

func TestCancelledContextStopsTheCall(t *testing.T) {
	cctx, cancel := context.WithCancel(ctx)
	var started atomic.Int64
	p, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if started.Add(1) == 2 { // both workers are busy
			cancel()
		}
		<-ctx.Done() // every task waits for the cancellation
		return 0, ctx.Err()
	}}, mpire.WithJobs(2))
	_, err := p.Map(cctx, ints(1000), mpire.WithChunkSize(1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Map = %v, want context.Canceled", err)
	}
	if n := started.Load(); n > 10 {
		t.Fatalf("%d tasks started after the cancellation", n)
	}
	if _, err := p.Map(cctx, ints(10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Map with a cancelled context = %v", err)
	}
}

func TestTaskTimeoutAbandonsAStuckTask(t *testing.T) {
	release := newGate()
	defer release.open()
	var cnt *counters
	var p *mpireimpl.Pool[state, int, int, life]
	p, cnt = newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 2 {
			release.wait() // ignores its context: only the test lets it go
		}
		return x, nil
	}}, mpire.WithJobs(1))
	_, err := p.Map(ctx, ints(5), mpire.WithTaskTimeout(50*time.Millisecond), mpire.WithChunkSize(1))
	// Map returned while the task is still stuck: it was not waited for.
	if release.opened() {
		t.Fatal("unreachable")
	}
	var te *mpire.TaskError
	if !errors.Is(err, mpire.ErrTimeout) || !errors.As(err, &te) || te.Phase != mpire.PhaseTask || te.Index != 2 {
		t.Fatalf("Map = %v, want a task ErrTimeout at index 2", err)
	}
	release.open()
	// The abandoned worker ran no exit; the others are paired.
	if cnt.exits.Load() != cnt.inits.Load()-1 {
		t.Fatalf("%d inits, %d exits: only the abandoned life goes without exit", cnt.inits.Load(), cnt.exits.Load())
	}
	// The pool carries on with a fresh worker.
	if got, err := p.Map(ctx, ints(5), mpire.WithTaskTimeout(time.Minute)); err != nil || !slices.Equal(got, ints(5)) {
		t.Fatalf("Map after a timeout = %v, %v", got, err)
	}
}

func TestTaskTimeoutCancelsTheTaskContext(t *testing.T) {
	p, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}}, mpire.WithJobs(2))
	_, err := p.Map(ctx, ints(4), mpire.WithTaskTimeout(20*time.Millisecond))
	if !errors.Is(err, mpire.ErrTimeout) {
		t.Fatalf("Map = %v, want ErrTimeout", err)
	}
}

func TestInitAndExitTimeouts(t *testing.T) {
	release := newGate()
	defer release.open()
	stuck := func(ctx context.Context) { release.wait() }
	p, _ := newPool(t, spec{init: func(ctx context.Context, _ mpire.WorkerID, _ *state) error { stuck(ctx); return nil }})
	_, err := p.Map(ctx, ints(4), mpire.WithWorkerInitTimeout(20*time.Millisecond))
	var te *mpire.TaskError
	if !errors.Is(err, mpire.ErrTimeout) || !errors.As(err, &te) || te.Phase != mpire.PhaseInit {
		t.Fatalf("init timeout: %v", err)
	}

	p, _ = newPool(t, spec{exit: func(ctx context.Context, _ mpire.WorkerID, _ *state) (life, error) { stuck(ctx); return life{}, nil }})
	_, err = p.Map(ctx, ints(4), mpire.WithWorkerExitTimeout(20*time.Millisecond))
	if !errors.Is(err, mpire.ErrTimeout) || !errors.As(err, &te) || te.Phase != mpire.PhaseExit {
		t.Fatalf("exit timeout: %v", err)
	}
	release.open()
}

func TestApplyTimeoutFailsOnlyThatTask(t *testing.T) {
	p, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 0 {
			<-ctx.Done()
			return 0, ctx.Err()
		}
		return x, nil
	}}, mpire.WithKeepAlive())
	defer p.Close()
	if _, err := p.Apply(ctx, 0, mpire.WithTaskTimeout(10*time.Millisecond)); !errors.Is(err, mpire.ErrTimeout) {
		t.Fatalf("Apply = %v, want ErrTimeout", err)
	}
	if v, err := p.Apply(ctx, 9); err != nil || v != 9 {
		t.Fatalf("Apply after a timeout = %v, %v", v, err)
	}
}

func TestAPanicInTheInputFailsTheCall(t *testing.T) {
	p, _ := newPool(t, spec{})
	seq := func(yield func(int) bool) {
		for i := range 100 {
			if i == 50 {
				panic("input broke")
			}
			if !yield(i) {
				return
			}
		}
	}
	_, err := collect(p.IMap(ctx, seq))
	var pe *mpire.PanicError
	if !errors.As(err, &pe) || pe.Value != "input broke" || !strings.Contains(err.Error(), "input of square panicked") {
		t.Fatalf("IMap = %v, want the input's panic", err)
	}
}

// badString panics when formatted.
type badString struct{}

func (badString) String() string { panic("no") }

func TestAPanicWhileFormattingArgumentsIsShown(t *testing.T) {
	p := mpireimpl.NewPool(mpireimpl.Func[struct{}, badString, int, struct{}]{
		Name: "fails",
		Run: func(w *mpireimpl.Worker[struct{}], args []badString, out []int) (int, error) {
			return 0, errUnlucky
		},
		Format: func(a *badString) string { return mpireimpl.FormatArgs("b", *a) },
	})
	_, err := p.Map(ctx, []badString{{}})
	var te *mpire.TaskError
	if !errors.As(err, &te) || !strings.Contains(te.Args, "PANIC=String method: no") {
		t.Fatalf("Map = %v", err)
	}
}
