package engine

import (
	"context"
	"fmt"
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
}

// Context returns the context of the running call: cancelled when the call
// is cancelled or fails, or when the running task reaches its time limit.
func (w *Worker[St]) Context() context.Context { return w.ctx }

// ID returns the worker's slot, 0 to jobs-1.
func (w *Worker[St]) ID() WorkerID { return w.id }

// State returns the worker's state: the zero value when the worker starts,
// kept across its tasks, fresh after a restart.
func (w *Worker[St]) State() *St { return w.state }

// Stopped reports whether the running call has stopped, so that a chunk ends
// early after a failure elsewhere.
func (w *Worker[St]) Stopped() bool { return w.stop.Load() }

// noStop is the stop flag of a worker outside any call.
var noStop atomic.Bool

// A worker is one slot's goroutine. Everything in it is touched only by
// that goroutine, except what insights read through atomics.
type worker[St, A, R, E any] struct {
	cr    *crew[St, A, R, E]
	fn    *Func[St, A, R, E]
	view  *Worker[St] // replaced, never reused, when the worker is abandoned
	ready bool        // init has run and exit has not
	tasks int         // tasks completed since init
	exec  *executor   // runs functions under a time limit; nil until needed
	pin   []int       // the CPUs the worker is pinned to; nil when not pinned
	stats *workerStats
}

func newWorker[St, A, R, E any](cr *crew[St, A, R, E], id WorkerID) *worker[St, A, R, E] {
	w := &worker[St, A, R, E]{cr: cr, fn: &cr.p.fn}
	w.view = &Worker[St]{ctx: context.Background(), id: id, state: new(St), stop: &noStop}
	if cr.p.insights != nil {
		w.stats = cr.p.insights.stats(id)
	}
	return w
}

func (w *worker[St, A, R, E]) loop(pin []int, pinned chan<- error) {
	defer w.cr.wg.Done()
	w.pin = pin
	unpin, err := pinThread(pin)
	pinned <- err
	if err != nil {
		return
	}
	defer unpin()
	w.stats.addStartUp(time.Since(w.cr.started))

	own := w.cr.own[w.view.id]
	for {
		waitStart := time.Now()
		var u unit[St, A, R, E]
		select {
		case u = <-w.cr.inbox:
		case u = <-own:
		case <-w.cr.quit:
			w.stats.addWaiting(time.Since(waitStart))
			w.quit()
			return
		}
		w.stats.addWaiting(time.Since(waitStart))
		w.serve(u)
	}
}

// quit runs the worker's exit at crew stop.
func (w *worker[St, A, R, E]) quit() {
	e, has, err := w.exit(w.cr.exitTimeout)
	w.cr.addExit(e, has, err)
	if w.exec != nil {
		w.exec.close()
	}
}

func (w *worker[St, A, R, E]) serve(u unit[St, A, R, E]) {
	c := u.c
	defer c.pending.Done()
	if u.ch != nil {
		if w.runChunk(c, u.ch.start, u.ch.args, u.ch.out) {
			c.results.put(u.ch)
		}
		return
	}
	// A slice ticket: take runs of tasks until none is left.
	jobs := len(w.cr.own)
	var scratch []R // MapUnordered: a run's results before they take their place
	for k := u.slot; !c.failed(); k += jobs {
		lo, hi, ok := c.take(u.slot, k, jobs)
		if !ok {
			return
		}
		out := c.out[lo:hi]
		if c.unordered {
			if cap(scratch) < hi-lo {
				scratch = make([]R, hi-lo)
			}
			out = scratch[:hi-lo]
		}
		if !w.runChunk(c, lo, c.args[lo:hi], out) {
			return
		}
		if c.unordered {
			end := int(c.filled.Add(int64(len(out))))
			copy(c.out[end-len(out):end], out)
		}
	}
}

// runChunk runs the tasks of one chunk and reports whether all completed.
func (w *worker[St, A, R, E]) runChunk(c *call[St, A, R, E], start int, args []A, out []R) bool {
	if c.failed() || (!w.ready && !w.init(c)) {
		return false
	}
	w.view.ctx, w.view.stop = c.ctx, &c.stop
	var n int
	var err error
	switch {
	case c.s.TaskTimeout > 0:
		n, err = w.runEach(c, args, out)
	case w.stats != nil:
		n, err = w.runTimed(start, args, out)
	default:
		n, err = w.fn.Run(w.view, args, out)
	}
	// Read w.view again: a time limit may have replaced it, and the
	// abandoned one belongs to the task still running with it.
	w.view.ctx, w.view.stop = context.Background(), &noStop
	w.tasks += n
	c.done.Add(int64(n))
	if err != nil {
		c.fail(&TaskError{Func: w.fn.Name, Phase: PhaseTask, WorkerID: w.view.id, Index: start + n, Args: w.format(&args[n]), Err: err})
		return false
	}
	if n < len(args) {
		return false
	}
	if c.s.Lifespan > 0 && w.tasks >= c.s.Lifespan {
		w.restart(c)
	}
	return !c.failed()
}

// runEach runs a chunk one task at a time under a task time limit.
func (w *worker[St, A, R, E]) runEach(c *call[St, A, R, E], args []A, out []R) (int, error) {
	for i := range args {
		if c.failed() {
			return i, nil
		}
		err := w.guarded(c.ctx, c.s.TaskTimeout, func(v *Worker[St]) error {
			_, err := w.fn.Run(v, args[i:i+1], out[i:i+1])
			return err
		})
		if err != nil {
			return i, err
		}
	}
	return len(args), nil
}

// runTimed runs a chunk for insights: in pieces of consecutive tasks, each
// timed with one clock reading. Pieces are sized to last about pieceTime,
// so tasks longer than that are timed one by one, and a clock reading never
// costs more than a few percent of the work.
func (w *worker[St, A, R, E]) runTimed(start int, args []A, out []R) (n int, err error) {
	st := w.stats
	var working time.Duration
	defer func() { st.addWorking(working, n) }()
	last := st.clock()
	for n < len(args) {
		size := min(st.piece, len(args)-n)
		done, err := w.fn.Run(w.view, args[n:n+size], out[n:n+size])
		now := st.clock()
		d := now - last
		last = now
		working += d
		if done == size && d > st.topMin {
			st.addTop(TaskInsight{Duration: d, WorkerID: w.view.id, Index: start + n, Args: w.format(&args[n]), Tasks: done})
		}
		st.adapt(d, done)
		n += done
		if err != nil || done < size {
			return n, err
		}
	}
	return n, nil
}

// init runs the worker's init function, reporting a failure to c.
func (w *worker[St, A, R, E]) init(c *call[St, A, R, E]) bool {
	w.tasks = 0
	if w.fn.Init == nil {
		w.ready = true
		return true
	}
	begin := time.Now()
	err := w.guarded(c.ctx, c.s.InitTimeout, w.fn.Init)
	w.stats.addInit(time.Since(begin))
	if err != nil {
		c.fail(&TaskError{Func: w.fn.Name, Phase: PhaseInit, WorkerID: w.view.id, Index: -1, Err: err})
		return false
	}
	w.ready = true
	return true
}

// exit runs the worker's exit function if its init ran. has tells whether
// the exit function returned a value to collect.
func (w *worker[St, A, R, E]) exit(timeout time.Duration) (e E, has bool, err error) {
	if !w.ready {
		return e, false, nil
	}
	w.ready = false
	if w.fn.Exit == nil {
		return e, false, nil
	}
	begin := time.Now()
	var value E
	err = w.guarded(context.Background(), timeout, func(v *Worker[St]) error {
		var err error
		value, err = w.fn.Exit(v)
		return err
	})
	w.stats.addExit(time.Since(begin))
	if err != nil {
		// value may still be written by an abandoned exit: leave it.
		return e, false, &TaskError{Func: w.fn.Name, Phase: PhaseExit, WorkerID: w.view.id, Index: -1, Err: err}
	}
	return value, true, nil
}

// restart ends the worker's life after its lifespan: exit, fresh state; init
// runs again before the next task.
func (w *worker[St, A, R, E]) restart(c *call[St, A, R, E]) {
	e, has, err := w.exit(c.s.ExitTimeout)
	if has {
		c.addExit(e)
	}
	if err != nil {
		c.fail(err)
	}
	w.view.state = new(St)
}

// guarded runs f with ctx, catching a panic, and, when limit > 0, giving up
// after limit: then the worker is replaced by a fresh one and ErrTimeout is
// returned, while f goes on, abandoned, on the executor's goroutine.
func (w *worker[St, A, R, E]) guarded(ctx context.Context, limit time.Duration, f func(*Worker[St]) error) error {
	v := w.view
	if limit <= 0 {
		saved := v.ctx
		v.ctx = ctx
		err := callCatching(func() error { return f(v) })
		v.ctx = saved
		return err
	}
	if w.exec == nil {
		w.exec = newExecutor(w.pin)
	}
	tctx, cancel := context.WithTimeoutCause(ctx, limit, ErrTimeout)
	defer cancel()
	saved := v.ctx
	v.ctx = tctx
	var err error
	finished := w.exec.within(limit, func() { err = callCatching(func() error { return f(v) }) })
	if !finished {
		// f still runs with v: leave v to it and give the slot a fresh
		// worker view, whose init will run before its next task. No exit
		// runs for the abandoned state.
		w.exec = nil
		w.ready = false
		w.view = &Worker[St]{ctx: saved, id: v.id, state: new(St), stop: v.stop}
		return fmt.Errorf("%w: still running after %v", ErrTimeout, limit)
	}
	v.ctx = saved
	if err != nil && context.Cause(tctx) == ErrTimeout && ctx.Err() == nil {
		return fmt.Errorf("%w: %v after %v", ErrTimeout, err, limit)
	}
	return err
}

// format formats a task's arguments. fmt recovers a panic in their String
// methods and shows it.
func (w *worker[St, A, R, E]) format(a *A) string {
	if w.fn.Format == nil {
		return fmt.Sprintf("%v", *a)
	}
	return w.fn.Format(a)
}
