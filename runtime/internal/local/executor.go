// Package local runs a pool's workers on goroutines of this process: the
// goroutine executor. A worker's functions run on its slot's goroutine,
// or, under a time limit, on a goroutine of their own that the worker can
// abandon when they outlive it.
package local

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/catch"
	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// An Executor runs a worker's functions in this process.
type Executor[St, A, R, E any] struct {
	fn    *engine.Func[St, A, R, E]
	id    engine.WorkerID
	pin   []int
	stats *engine.Stats
	pool  any // the pool the worker belongs to, for its context

	w       *engine.Worker[St] // replaced when the worker is abandoned or ends
	life    context.Context    // the worker's life: given to init and exit
	endLife context.CancelFunc //
	limits  *limitRunner       // runs functions under a time limit; nil until needed

	// The goroutines of functions abandoned at their time limit, which end
	// when they return; guarded by mu, for WaitAbandoned.
	mu        sync.Mutex
	abandoned []chan struct{}

	// What runs now, for the report of a worker that died.
	t    *engine.Tasks[A, R]
	base int // tasks of t completed before the current call of Run
}

// New returns the executor of slot cfg.ID for fn.
func New[St, A, R, E any](fn *engine.Func[St, A, R, E], cfg engine.ExecutorConfig) *Executor[St, A, R, E] {
	x := &Executor[St, A, R, E]{fn: fn, id: cfg.ID, pin: cfg.CPUs, stats: cfg.Stats, pool: cfg.Pool}
	x.End()
	return x
}

// NewExecutor is the engine.NewExecutor of pools whose workers are
// goroutines.
func NewExecutor[St, A, R, E any](fn *engine.Func[St, A, R, E], cfg engine.ExecutorConfig) engine.Executor[St, A, R, E] {
	return New(fn, cfg)
}

// End gives the slot a fresh worker: new state, a new life.
func (x *Executor[St, A, R, E]) End() {
	if x.endLife != nil {
		x.endLife()
	}
	life, end := context.WithCancel(context.Background())
	x.life, x.endLife = engine.WorkerContext(life, x.pool, x.id), end
	x.w = engine.NewWorker[St](x.life, x.id)
}

// SlotCPUs returns the worker's CPUs: its functions run on the slot's
// goroutine.
func (x *Executor[St, A, R, E]) SlotCPUs() []int { return x.pin }

// Init runs the worker's init function with the worker's life as its
// context, so that what init opens lives as long as the worker; the call
// that needs the worker may give up while init runs, and then cancels it.
func (x *Executor[St, A, R, E]) Init(ctx context.Context, limit time.Duration) error {
	if x.fn.Init == nil {
		return nil
	}
	// Not cancelled when init returns: what it started keeps its context
	// for the worker's life.
	initCtx, cancel := context.WithCancelCause(x.life)
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	defer stop()
	return x.guarded(initCtx, limit, x.fn.Init)
}

// Run runs t's tasks: one at a time under a task time limit, in timed
// pieces for insights, else in one call of the generated loop.
func (x *Executor[St, A, R, E]) Run(t *engine.Tasks[A, R]) (n int, err error) {
	// x.t stays set while t runs, and after a Goexit, for Died: it is not
	// cleared by a deferred call.
	x.t, x.base = t, 0
	switch {
	case t.S.TaskTimeout > 0:
		n, err = x.runEach(t)
	case x.stats != nil:
		n, err = x.runTimed(t)
	default:
		w := x.w
		w.Serve(t.Ctx, t.Stop, t.Track, 0)
		n, err = x.fn.Run(w, t.Args, t.Out)
		w.Rest(x.life)
	}
	x.t = nil
	return n, err
}

// runEach runs t one task at a time, each under the task time limit.
func (x *Executor[St, A, R, E]) runEach(t *engine.Tasks[A, R]) (int, error) {
	for i := range t.Args {
		if t.Stop.Load() {
			return i, nil
		}
		x.base = i
		begin := x.stats.Now()
		// The task gets its own copies of its argument and result: if it is
		// abandoned, it never touches what the slot or the call reuse.
		task := &limitedTask[A, R]{}
		task.args[0] = t.Args[i]
		stop, track := t.Stop, t.Track
		err := x.guarded(t.Ctx, t.S.TaskTimeout, func(w *engine.Worker[St]) (err error) {
			// Tracked here, where a panic is the task's failure, not in a
			// run that may be abandoned.
			if track != nil {
				track.Track(i)
			}
			w.Serve(w.Context(), stop, nil, 0)
			task.n, err = x.fn.Run(w, task.args[:], task.out[:])
			return err
		})
		if err != nil {
			return i, err
		}
		if task.n == 0 {
			return i, nil // the call stopped
		}
		t.Out[i] = task.out[0]
		x.stats.AddTask(begin, x.id, t.Start+i, 1, func() string { return x.fn.FormatArgs(&t.Args[i]) })
	}
	return len(t.Args), nil
}

// limitedTask is a task run under a time limit, on its own memory.
type limitedTask[A, R any] struct {
	args [1]A
	out  [1]R
	n    int
}

// runTimed runs t for insights: in pieces of consecutive tasks, each timed
// with one clock reading. Pieces are sized to last about ten microseconds
// (see engine.NextPiece), so tasks longer than that are timed one by one,
// and a clock reading never costs more than about 1% of the work. The first
// task of a run is timed alone: the run may be of another call, whose tasks
// are not as short as the last run's. What a piece measures stays in local
// variables until the run ends: the worker's Stats are written once per run,
// counting, when a task ended the goroutine (runtime.Goexit), the tasks of
// its piece that completed before it.
func (x *Executor[St, A, R, E]) runTimed(t *engine.Tasks[A, R]) (n int, err error) {
	st := x.stats
	w := x.w
	piece := 1
	var working time.Duration
	last := st.Clock()
	inRun := false // in Func.Run, which a task may leave by runtime.Goexit
	defer func() {
		if inRun {
			n += w.Ran()
			working += st.Clock() - last
		}
		w.Rest(x.life)
		st.AddWorking(working, n)
	}()
	for n < len(t.Args) {
		size := min(piece, len(t.Args)-n)
		x.base = n
		w.Serve(t.Ctx, t.Stop, t.Track, n)
		var done int
		inRun = true
		done, err = x.fn.Run(w, t.Args[n:n+size], t.Out[n:n+size])
		inRun = false
		now := st.Clock()
		d := now - last
		last = now
		working += d
		if done == size && d > st.TopMin() {
			st.AddTop(engine.TaskInsight{Duration: d, WorkerID: x.id, Index: t.Start + n, Args: x.fn.FormatArgs(&t.Args[n]), Tasks: done})
		}
		piece = engine.NextPiece(d, done, piece)
		n += done
		if err != nil || done < size {
			break
		}
	}
	return n, err
}

// Exit runs the worker's exit function.
func (x *Executor[St, A, R, E]) Exit(limit time.Duration) (value E, has bool, err error) {
	if x.fn.Exit == nil {
		return value, false, nil
	}
	var v E
	err = x.guarded(x.life, limit, func(w *engine.Worker[St]) error {
		var err error
		v, err = x.fn.Exit(w)
		return err
	})
	if err != nil {
		// v may still be written by an abandoned exit: leave it.
		return value, false, err
	}
	return v, true, nil
}

// Alive is true: a goroutine's worker ends only with what it runs.
func (x *Executor[St, A, R, E]) Alive() bool { return true }

// Close ends the worker's life and the goroutine of its time limits.
func (x *Executor[St, A, R, E]) Close() {
	x.endLife()
	x.closeLimits()
}

// Died returns the tasks of the run in progress that completed before the
// slot's goroutine ended; the runner of time limits went with it.
func (x *Executor[St, A, R, E]) Died() int {
	x.closeLimits()
	if x.t == nil {
		return 0
	}
	n := x.base + x.w.Ran()
	x.t = nil
	return n
}

// WaitAbandoned waits until every function the executor abandoned at its
// time limit has returned: a cluster worker's slot takes no other chunk
// meanwhile. It may be called from any goroutine.
func (x *Executor[St, A, R, E]) WaitAbandoned() {
	x.mu.Lock()
	abandoned := x.abandoned
	x.abandoned = nil
	x.mu.Unlock()
	for _, ended := range abandoned {
		<-ended
	}
}

func (x *Executor[St, A, R, E]) closeLimits() {
	if x.limits != nil {
		x.limits.close()
		x.limits = nil
	}
}

// guarded runs f with the worker's view and ctx, catching a panic, and,
// when limit > 0, giving up after limit: then the worker is replaced by a
// fresh one and ErrTimeout is returned, while f goes on, abandoned, on the
// limit runner's goroutine. A runtime.Goexit in f is then ErrWorkerDied.
func (x *Executor[St, A, R, E]) guarded(ctx context.Context, limit time.Duration, f func(*engine.Worker[St]) error) error {
	w := x.w
	call := func() error { return engine.Catching(func() error { return f(w) }) }
	if limit <= 0 {
		saved := w.SetContext(ctx)
		err := call()
		w.SetContext(saved)
		return err
	}
	if x.limits == nil {
		x.limits = newLimitRunner(x.pin)
	}
	tctx, cancel := context.WithTimeoutCause(ctx, limit, engine.ErrTimeout)
	defer cancel()
	saved := w.SetContext(tctx)
	var err error
	switch x.limits.within(limit, func() { err = call() }) {
	case abandoned:
		// f still runs with w: leave w to it and give the slot a fresh
		// worker. No exit runs for the abandoned state.
		x.mu.Lock()
		x.abandoned = append(x.abandoned, x.limits.ended)
		x.mu.Unlock()
		x.limits = nil
		x.End()
		return fmt.Errorf("%w: still running after %v", engine.ErrTimeout, limit)
	case goexited:
		x.limits = nil
		x.End()
		return fmt.Errorf("%w: it %v", engine.ErrWorkerDied, catch.ErrGoexit)
	}
	w.SetContext(saved)
	if err != nil && context.Cause(tctx) == engine.ErrTimeout && ctx.Err() == nil {
		return fmt.Errorf("%w: %v after %v", engine.ErrTimeout, err, limit)
	}
	return err
}
