package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/catch"
)

// A Lifecycle is the life of the workers of one slot, wherever they run:
// the init before a worker's first task, its restart when it reaches its
// lifespan, one exit for every successful init, the end of a worker that
// failed in a way that leaves it unusable, insights' timing of init and exit,
// and the *TaskError of every failure, with the failing task's arguments.
// The slot's Executor carries each step out.
//
// A worker process and a cluster worker run a Lifecycle too, around a
// goroutine executor, to serve their parent's requests.
type Lifecycle[St, A, R, E any] struct {
	fn    *Func[St, A, R, E]
	exec  Executor[St, A, R, E]
	id    WorkerID
	stats *Stats
	obs   Observer // told of the workers' lives; nil: none is
	runs  bool     // obs is told of each run too

	observing context.Context // the context of the run obs is told of; nil: none
	observed  ObservedRun     // that run

	ready bool // init ran, and exit has not
	tasks int  // tasks completed since init

	// What runs now, for the report of a worker that died.
	phase Phase
	t     *Tasks[A, R]
	n     int // tasks of t completed; -1 while its executor runs them
}

// NewLifecycle returns the lifecycle of slot id's workers, run by exec.
func NewLifecycle[St, A, R, E any](fn *Func[St, A, R, E], exec Executor[St, A, R, E], id WorkerID, stats *Stats) *Lifecycle[St, A, R, E] {
	return &Lifecycle[St, A, R, E]{fn: fn, exec: exec, id: id, stats: stats}
}

// Init runs the worker's init now unless it has run: ctx is the call that
// needs the worker, limit the init time limit. The error is a *TaskError.
func (l *Lifecycle[St, A, R, E]) Init(ctx context.Context, limit time.Duration) error {
	if l.ready {
		return nil
	}
	l.phase, l.t = PhaseInit, nil
	begin := time.Now()
	err := catch.CheckError(l.exec.Init(ctx, limit))
	l.stats.addInit(time.Since(begin))
	if err != nil {
		// What the failed init left goes: the next init starts afresh.
		l.exec.End()
		te := l.failure(PhaseInit, nil, 0, err)
		l.observe(ctx, WorkerInitFailed, te, false)
		return te
	}
	l.ready, l.tasks = true, 0
	l.observe(ctx, WorkerStarted, nil, false)
	return nil
}

// Run runs the tasks of t, after the worker's init if it has not run. When
// the worker reaches its lifespan at the end of the run, it restarts: exit,
// then a fresh worker, whose init runs before its next task.
func (l *Lifecycle[St, A, R, E]) Run(t *Tasks[A, R]) (comp Completion[E]) {
	if l.runs {
		return l.observedRun(t)
	}
	return l.run(t, false)
}

func (l *Lifecycle[St, A, R, E]) run(t *Tasks[A, R], retried bool) (comp Completion[E]) {
	if l.ready && !l.exec.Alive() {
		// It died while idle: none of these tasks is to blame.
		l.ready = false
		l.exec.End()
		l.observe(t.Ctx, WorkerDied, errIdleDeath, true)
	}
	if err := l.Init(t.Ctx, t.S.InitTimeout); err != nil {
		comp.Err = err
		return comp
	}
	l.phase, l.t, l.n = PhaseTask, t, -1
	n, err := l.exec.Run(t)
	if err != nil {
		// A broken error that ends the goroutine is its task's failure.
		l.n = n
		err = catch.CheckError(err)
	}
	if err != nil && n == 0 && !retried && errors.Is(err, ErrUndelivered) {
		// It died while idle, found only now: none of these tasks ran.
		l.ready, l.t = false, nil
		l.exec.End()
		l.observe(t.Ctx, WorkerDied, err, true)
		return l.run(t, true)
	}
	l.n = n
	comp.N = n
	l.tasks += n
	if err != nil {
		phase, ev := PhaseTask, WorkerEvent(-1)
		if ie := (*InitError)(nil); errors.As(err, &ie) {
			phase, err, ev = PhaseInit, ie.Err, WorkerInitFailed
			l.ready = false
		}
		if unusable(err) {
			l.ready, ev = false, ending(err)
			l.exec.End()
		}
		// Formatting the failure runs the user's String methods, which
		// may end the goroutine: Died then reports t, so it stays set until
		// here, and is not cleared by a deferred call, which would run first.
		comp.Err = l.failure(phase, t, n, err)
		l.t = nil
		if ev >= 0 {
			l.observe(t.Ctx, ev, comp.Err, true)
		}
		return comp
	}
	l.t = nil
	if n == len(t.Args) && t.S.Lifespan > 0 && l.tasks >= t.S.Lifespan {
		// As MPIRE, checked at the end of a chunk.
		ex := l.exit(t.Ctx, t.S.ExitTimeout, WorkerRestarted)
		l.exec.End()
		if ex.Has {
			comp.Exits = append(comp.Exits, ex.Value)
		}
		comp.Err = ex.Err
	}
	return comp
}

// unusable reports whether a failure leaves the worker unusable: a time
// limit reached (the function may still run) or a worker that died.
func unusable(err error) bool {
	return errors.Is(err, ErrTimeout) || errors.Is(err, ErrWorkerDied)
}

// ending returns the event of a worker that a failure left unusable.
func ending(err error) WorkerEvent {
	if errors.Is(err, ErrTimeout) {
		return WorkerTimedOut
	}
	return WorkerDied
}

// errIdleDeath is what observers are told of a worker found dead between
// two runs.
var errIdleDeath = fmt.Errorf("%w while idle", ErrWorkerDied)

// Exit runs the worker's exit if its init ran.
func (l *Lifecycle[St, A, R, E]) Exit(limit time.Duration) ExitResult[E] {
	return l.exit(context.Background(), limit, WorkerStopped)
}

// exit runs the worker's exit if its init ran; observers are told ev, or
// how the exit failed, with ctx.
func (l *Lifecycle[St, A, R, E]) exit(ctx context.Context, limit time.Duration, ev WorkerEvent) ExitResult[E] {
	if !l.ready {
		return ExitResult[E]{}
	}
	l.ready = false
	l.phase = PhaseExit
	begin := time.Now()
	value, has, err := l.exec.Exit(limit)
	err = catch.CheckError(err)
	l.stats.addExit(time.Since(begin))
	if err != nil {
		l.exec.End()
		te := l.failure(PhaseExit, nil, 0, err)
		if unusable(err) {
			ev = ending(err)
		}
		l.observe(ctx, ev, te, true)
		return ExitResult[E]{Err: te}
	}
	l.observe(ctx, ev, nil, true)
	return ExitResult[E]{Value: value, Has: has}
}

// Stop runs the worker's exit, if its init ran, within limit, and closes
// the executor.
func (l *Lifecycle[St, A, R, E]) Stop(limit time.Duration) ExitResult[E] {
	ex := l.Exit(limit)
	l.exec.Close()
	return ex
}

// Died reports what was running when the slot's goroutine ended in the
// user's code (runtime.Goexit): a completion whose error wraps
// ErrWorkerDied and names the task. The dead worker's exit does not run, as
// for a crashed process: its state may be half-written.
func (l *Lifecycle[St, A, R, E]) Died() (comp Completion[E]) {
	n := l.exec.Died()
	if l.n >= 0 {
		n = l.n // the run had returned: its failure was being described
	}
	err := fmt.Errorf("%w: the %s function %v", ErrWorkerDied, l.phase, catch.ErrGoexit)
	ctx := context.Background()
	if l.phase == PhaseTask && l.t != nil {
		comp.N = n
		comp.Err = l.failure(PhaseTask, l.t, n, err)
		ctx = l.t.Ctx
	} else {
		comp.Err = l.failure(l.phase, nil, 0, err)
	}
	ended := l.ready
	l.ready, l.t = false, nil
	l.exec.End()
	l.observe(ctx, WorkerDied, comp.Err, ended)
	l.endRun(comp)
	return comp
}

// An ExitResult is what a worker's exit returned.
type ExitResult[E any] struct {
	Value E
	Has   bool  // the exit function ran and returned a value to collect
	Err   error // a *TaskError
}

// failure describes the failure of a worker's function as a *TaskError:
// of init or exit, or of the task of t after the n that completed. When the
// arguments' own String method ends the goroutine that formats them, the
// worker counts as dead, as for any function of the user's that does.
func (l *Lifecycle[St, A, R, E]) failure(phase Phase, t *Tasks[A, R], n int, err error) *TaskError {
	te := &TaskError{Func: l.fn.Name, Phase: phase, WorkerID: l.id, Index: -1, Err: err}
	if phase == PhaseTask && t != nil && n < len(t.Args) {
		te.Index = t.Start + n
		if errors.Is(err, ErrWorkerDied) {
			// The goroutine may be ending: format apart.
			te.Args = l.fn.formatArgs(&t.Args[n], catch.Apart)
		} else {
			te.Args = l.fn.FormatArgs(&t.Args[n])
		}
	}
	return te
}

// FormatArgs formats a task's arguments for errors and insights, bounded.
// A String method that panics leaves a note instead; one that ends its
// goroutine ends the worker's, as any function of the user's does.
func (fn *Func[St, A, R, E]) FormatArgs(a *A) string {
	return fn.formatArgs(a, func(f func()) catch.Outcome { return catch.Do(f, nil) })
}

// formatArgs formats a's arguments with run, catch.Do or catch.Apart.
func (fn *Func[St, A, R, E]) formatArgs(a *A, run func(func()) catch.Outcome) string {
	s := "(not formatted: formatting ended its goroutine)"
	o := run(func() {
		if fn.Format == nil {
			s = FormatValue(*a)
		} else {
			s = fn.Format(a)
		}
	})
	if o.Panicked {
		s = fmt.Sprintf("(not formatted: formatting panicked: %v)", o.Value)
	}
	return s
}
