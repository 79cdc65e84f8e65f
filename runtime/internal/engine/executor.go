package engine

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// A Worker is what generated code sees of the worker running a task: its
// context, its slot and its state.
type Worker[St any] struct {
	ctx   context.Context
	id    WorkerID
	state *St
	stop  *atomic.Bool
	ran   int // tasks the last Run completed, recorded even if it never returned
}

// Context returns the context of the running call while tasks run, and of
// the worker's life in init and exit: cancelled when the call is cancelled
// or fails, when the running task reaches its time limit, or, for init and
// exit, when the worker stops.
func (w *Worker[St]) Context() context.Context { return w.ctx }

// ID returns the worker's slot, 0 to jobs-1.
func (w *Worker[St]) ID() WorkerID { return w.id }

// State returns the worker's state: the zero value when the worker starts,
// kept across its tasks, fresh after a restart.
func (w *Worker[St]) State() *St { return w.state }

// Stopped reports whether the running call has stopped, so that a run of
// tasks ends early after a failure elsewhere.
func (w *Worker[St]) Stopped() bool { return w.stop.Load() }

// Recover, deferred by Func.Run with its results, turns a panic into a
// *PanicError and records how many tasks completed, even when a task ended
// the goroutine with runtime.Goexit. It must be deferred directly:
//
//	defer w.Recover(&n, &err)
func (w *Worker[St]) Recover(n *int, err *error) {
	w.ran = *n
	if v := recover(); v != nil {
		*err = &PanicError{Value: v, Stack: debug.Stack()}
	}
}

// noStop is the stop flag of a worker outside any call.
var noStop atomic.Bool

// goroutineExecutor runs a worker's functions on the goroutine of its slot,
// or, under a time limit, on a goroutine of its own that it can abandon.
type goroutineExecutor[St, A, R, E any] struct {
	fn    *Func[St, A, R, E]
	id    WorkerID
	pin   []int
	stats *workerStats
	pool  any // the pool the worker belongs to, for its context

	w       *Worker[St]        // replaced when the worker is abandoned or dies
	life    context.Context    // the worker's life: given to init and exit
	endLife context.CancelFunc //
	ready   bool               // init has run, and exit has not
	tasks   int                // tasks completed since init
	limits  *limitRunner       // runs functions under a time limit; nil until needed

	// What runs now, for the report of a worker that died.
	phase Phase
	r     *run[A, R]
	base  int // tasks of r completed before the current call of Run
}

func newGoroutineExecutor[St, A, R, E any](fn *Func[St, A, R, E], id WorkerID, pin []int, stats *workerStats, pool any) *goroutineExecutor[St, A, R, E] {
	x := &goroutineExecutor[St, A, R, E]{fn: fn, id: id, pin: pin, stats: stats, pool: pool}
	x.fresh()
	return x
}

// fresh gives the slot a new worker: new state, a new life, init to run.
func (x *goroutineExecutor[St, A, R, E]) fresh() {
	if x.endLife != nil {
		x.endLife()
	}
	life, end := context.WithCancel(context.Background())
	x.life, x.endLife = &workerContext{Context: life, in: workerOf{pool: x.pool, slot: x.id}}, end
	x.w = &Worker[St]{ctx: x.life, id: x.id, state: new(St), stop: &noStop}
	x.ready, x.tasks = false, 0
}

func (x *goroutineExecutor[St, A, R, E]) run(r *run[A, R]) (comp completion[E]) {
	x.r = r
	if !x.ready {
		if err := x.init(r); err != nil {
			comp.err = err
			return comp
		}
	}
	x.phase, x.base = PhaseTask, 0
	var err error
	switch {
	case r.s.TaskTimeout > 0:
		comp.n, err = x.runEach(r)
	case x.stats != nil:
		comp.n, err = x.runTimed(r)
	default:
		w := x.w
		w.ctx, w.stop, w.ran = r.ctx, r.stop, 0
		comp.n, err = x.fn.Run(w, r.args, r.out)
		w.ctx, w.stop = x.life, &noStop
	}
	x.tasks += comp.n
	if err != nil {
		comp.err = x.taskError(r, comp.n, err)
		return comp
	}
	if lifeEnds(r, comp.n, x.tasks) {
		// Exit, and a fresh worker whose init runs before its next task.
		comp.restarted(x.exit(r.s.ExitTimeout))
		x.fresh()
	}
	return comp
}

// runEach runs r one task at a time, each under the task time limit.
func (x *goroutineExecutor[St, A, R, E]) runEach(r *run[A, R]) (int, error) {
	for i := range r.args {
		if r.stop.Load() {
			return i, nil
		}
		x.base = i
		begin := x.stats.now()
		// The task gets its own copies of its argument and result: if it is
		// abandoned, it never touches what the slot or the call reuse.
		task := &limitedTask[A, R]{}
		task.args[0] = r.args[i]
		stop := r.stop
		err := x.guarded(r.ctx, r.s.TaskTimeout, func(w *Worker[St]) (err error) {
			w.stop = stop
			task.n, err = x.fn.Run(w, task.args[:], task.out[:])
			return err
		})
		if err != nil {
			return i, err
		}
		if task.n == 0 {
			return i, nil // the call stopped
		}
		r.out[i] = task.out[0]
		x.stats.addTask(begin, x.id, r.start+i, 1, func() string { return x.format(&r.args[i]) })
	}
	return len(r.args), nil
}

// limitedTask is a task run under a time limit, on its own memory.
type limitedTask[A, R any] struct {
	args [1]A
	out  [1]R
	n    int
}

// runTimed runs r for insights: in pieces of consecutive tasks, each timed
// with one clock reading. Pieces are sized to last about pieceTime, so tasks
// longer than that are timed one by one, and a clock reading never costs
// more than a few percent of the work.
func (x *goroutineExecutor[St, A, R, E]) runTimed(r *run[A, R]) (n int, err error) {
	st := x.stats
	w := x.w
	w.ctx, w.stop = r.ctx, r.stop
	defer func() { w.ctx, w.stop = x.life, &noStop }()
	var working time.Duration
	defer func() { st.addWorking(working, n) }()
	last := st.clock()
	for n < len(r.args) {
		size := min(st.piece, len(r.args)-n)
		x.base, w.ran = n, 0
		done, err := x.fn.Run(w, r.args[n:n+size], r.out[n:n+size])
		now := st.clock()
		d := now - last
		last = now
		working += d
		if done == size && d > st.topMin {
			st.addTop(TaskInsight{Duration: d, WorkerID: x.id, Index: r.start + n, Args: x.format(&r.args[n]), Tasks: done})
		}
		st.adapt(d, done)
		n += done
		if err != nil || done < size {
			return n, err
		}
	}
	return n, nil
}

// init runs the worker's init function with the worker's life as its
// context, so that what init opens lives as long as the worker.
func (x *goroutineExecutor[St, A, R, E]) init(r *run[A, R]) error {
	x.phase, x.tasks = PhaseInit, 0
	if x.fn.Init == nil {
		x.ready = true
		return nil
	}
	begin := time.Now()
	// Init's context lives as long as the worker, but the call that needs
	// the worker may give up while init runs: then it is cancelled too.
	ctx, cancel := context.WithCancelCause(x.life)
	callCtx := r.ctx
	interrupt := context.AfterFunc(callCtx, func() { cancel(context.Cause(callCtx)) })
	err := x.guarded(ctx, r.s.InitTimeout, x.fn.Init)
	interrupt()
	x.stats.addInit(time.Since(begin))
	if err != nil {
		// What the failed init left in the state goes: the next init starts
		// from the zero value.
		x.fresh()
		return &TaskError{Func: x.fn.Name, Phase: PhaseInit, WorkerID: x.id, Index: -1, Err: err}
	}
	x.ready = true
	return nil
}

// exit runs the worker's exit function if its init ran.
func (x *goroutineExecutor[St, A, R, E]) exit(limit time.Duration) exitResult[E] {
	if !x.ready {
		return exitResult[E]{}
	}
	x.ready = false
	if x.fn.Exit == nil {
		return exitResult[E]{}
	}
	x.phase = PhaseExit
	begin := time.Now()
	var value E
	err := x.guarded(x.life, limit, func(w *Worker[St]) error {
		var err error
		value, err = x.fn.Exit(w)
		return err
	})
	x.stats.addExit(time.Since(begin))
	if err != nil {
		// value may still be written by an abandoned exit: leave it.
		return exitResult[E]{err: &TaskError{Func: x.fn.Name, Phase: PhaseExit, WorkerID: x.id, Index: -1, Err: err}}
	}
	return exitResult[E]{value: value, has: true}
}

func (x *goroutineExecutor[St, A, R, E]) stop(limit time.Duration) exitResult[E] {
	ex := x.exit(limit)
	x.endLife()
	if x.limits != nil {
		x.limits.close()
		x.limits = nil
	}
	return ex
}

func (x *goroutineExecutor[St, A, R, E]) died() completion[E] {
	var comp completion[E]
	te := &TaskError{Func: x.fn.Name, Phase: x.phase, WorkerID: x.id, Index: -1,
		Err: fmt.Errorf("%w: the %s function ended its goroutine (runtime.Goexit, as t.FailNow does)", ErrWorkerDied, x.phase)}
	if x.phase == PhaseTask && x.r != nil {
		comp.n = x.base + x.w.ran
		if comp.n < len(x.r.args) {
			a := &x.r.args[comp.n]
			te.Index, te.Args = x.r.start+comp.n, formatApart(func() string { return x.format(a) })
		}
	}
	comp.err = te
	// The dead worker's exit does not run, as for a crashed process: its
	// state may be half-written.
	if x.limits != nil {
		x.limits.close()
		x.limits = nil
	}
	x.fresh()
	return comp
}

// guarded runs f with the worker's view and ctx, catching a panic, and,
// when limit > 0, giving up after limit: then the worker is replaced by a
// fresh one and ErrTimeout is returned, while f goes on, abandoned, on the
// limit runner's goroutine. A runtime.Goexit in f is ErrWorkerDied.
func (x *goroutineExecutor[St, A, R, E]) guarded(ctx context.Context, limit time.Duration, f func(*Worker[St]) error) error {
	w := x.w
	saved := w.ctx
	if limit <= 0 {
		w.ctx = ctx
		err := callCatching(func() error { return f(w) })
		w.ctx = saved
		return err
	}
	if x.limits == nil {
		x.limits = newLimitRunner(x.pin)
	}
	tctx, cancel := context.WithTimeoutCause(ctx, limit, ErrTimeout)
	defer cancel()
	w.ctx = tctx
	var err error
	switch x.limits.within(limit, func() { err = callCatching(func() error { return f(w) }) }) {
	case abandoned:
		// f still runs with w: leave w to it and give the slot a fresh
		// worker, whose init runs before its next task. No exit runs for
		// the abandoned state.
		x.limits = nil
		x.fresh()
		return fmt.Errorf("%w: still running after %v", ErrTimeout, limit)
	case goexited:
		x.limits = nil
		x.fresh()
		return fmt.Errorf("%w: the %s function ended its goroutine (runtime.Goexit, as t.FailNow does)", ErrWorkerDied, x.phase)
	}
	w.ctx = saved
	if err != nil && context.Cause(tctx) == ErrTimeout && ctx.Err() == nil {
		return fmt.Errorf("%w: %v after %v", ErrTimeout, err, limit)
	}
	return err
}

// taskError describes the failure of task i of r.
func (x *goroutineExecutor[St, A, R, E]) taskError(r *run[A, R], i int, err error) *TaskError {
	return &TaskError{Func: x.fn.Name, Phase: PhaseTask, WorkerID: x.id, Index: r.start + i, Args: x.format(&r.args[i]), Err: err}
}

// format formats a task's arguments, bounded. fmt recovers a panic in their
// String methods and shows it.
func (x *goroutineExecutor[St, A, R, E]) format(a *A) string {
	if x.fn.Format == nil {
		return FormatValue(*a)
	}
	return x.fn.Format(a)
}

// formatApart runs format on a goroutine of its own: while a goroutine ends
// (runtime.Goexit), the user's String method that ended it may do so again,
// and must not stop what the runtime does then.
func formatApart(format func() string) string {
	formatted := make(chan string, 1)
	go func() {
		s := "(not formatted: formatting ended the goroutine)"
		defer func() {
			recover()
			formatted <- s
		}()
		s = format()
	}()
	return <-formatted
}
