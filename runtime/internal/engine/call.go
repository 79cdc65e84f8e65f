package engine

import (
	"context"
	"sync"
	"sync/atomic"
)

// A call is one Map, IMap, Apply... on a pool: its settings, its context,
// its first error, and the work it hands out to the pool's worker slots.
type call[St, A, R, E any] struct {
	p      *Pool[St, A, R, E]
	s      Settings
	parent context.Context
	ctx    context.Context // cancelled when the call stops; each slot's tasks get it through a workerContext
	cancel context.CancelCauseFunc

	method   string        // Map, IMap, Apply...
	serial   uint64        // the call's number among the pool's calls: a reused call has a new one
	observed *ObservedCall // nil unless the pool has an observer

	stopped atomic.Bool  // set by the first failure; tasks check it between tasks
	done    atomic.Int64 // tasks completed
	wake    chan struct{}

	mu       sync.Mutex
	err      error        // the first failure
	exits    []E          // exit values of the workers restarted during the call
	attempts map[int]int  // WithRetries: the failed attempts of each task that runs again, by index
	failed   []*TaskError // WithContinueOnError: the failures of a slice input's tasks

	shown *Progress // the counters dashboards read; nil without a dashboard

	// The call's work: in, as the slots take it, and chunks when it is
	// made of chunks (IMap, IMapUnordered, Apply). The pool hands it out
	// under p.mu, which guards these.
	in       input[A, R]
	chunks   *chunkInput[A, R]
	queued   bool      // in p.queue
	nestedIn *WorkerID // made from inside a function of a worker of the same pool: its slot
	running  int       // pieces taken by slots and not yet done
	redos    fifo[*redo[A, R]]
	backoffs map[*backoff[A, R]]bool // tasks waiting to run again
}

func newCall[St, A, R, E any](p *Pool[St, A, R, E], parent context.Context, s Settings) *call[St, A, R, E] {
	c := &call[St, A, R, E]{wake: make(chan struct{}, 1)}
	c.init(p, parent, s)
	return c
}

// init makes c a call of p with settings s, whose context, derived from
// parent, is cancelled when the call stops.
func (c *call[St, A, R, E]) init(p *Pool[St, A, R, E], parent context.Context, s Settings) {
	c.p, c.s, c.parent = p, s, parent
	c.ctx, c.cancel = context.WithCancelCause(parent)
}

// workerContext is the context of a worker's functions. It knows the pool
// and the slot they run in, so that a call made from inside them on their
// own pool, which could wait forever, is recognised.
type workerContext struct {
	context.Context
	in workerOf
}

// workerOf is the value of workerOfKey in a worker's context.
type workerOf struct {
	pool any
	slot WorkerID
}

type workerOfKey struct{}

func (c *workerContext) Value(key any) any {
	if key == (workerOfKey{}) {
		return c.in
	}
	return c.Context.Value(key)
}

// fail records the call's first failure and stops it. A failure that follows
// the caller's cancellation is reported as that cancellation.
func (c *call[St, A, R, E]) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		if cause := context.Cause(c.parent); cause != nil {
			err = cause
		}
		c.err = err
		c.stopped.Store(true)
		if c.cancel != nil {
			c.cancel(err)
		}
	}
	c.mu.Unlock()
	c.notify()
}

// notify wakes the caller waiting for the call.
func (c *call[St, A, R, E]) notify() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// release frees the call's context once no slot serves the call any more.
func (c *call[St, A, R, E]) release() {
	if c.cancel != nil {
		c.cancel(context.Canceled)
	}
}

// take hands out a piece of the call's work to slot, if there is one for
// it; more tells whether work is left to hand out. The caller holds p.mu.
// Tasks to run again come first, to whichever slot is free.
func (c *call[St, A, R, E]) take(slot WorkerID) (w piece[A, R], more, ok bool) {
	if c.stopped.Load() {
		return w, false, false
	}
	if rd, ok := c.redos.pop(); ok {
		return piece[A, R]{chunk: rd.chunk, redo: rd}, c.redos.len() > 0 || c.in.pending(), true
	}
	return c.in.take(slot)
}

// hasWork tells whether work is left to hand out. The caller holds p.mu.
func (c *call[St, A, R, E]) hasWork() bool {
	return !c.stopped.Load() && (c.redos.len() > 0 || c.in.pending())
}

// addChunk queues a chunk of an iterator or apply call for the workers.
// It reports false, dropping the chunk, when the call has stopped.
func (c *call[St, A, R, E]) addChunk(ch *chunk[A, R]) bool {
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.stopped.Load() {
		return false
	}
	c.chunks.push(ch)
	p.enqueue(c, 1)
	return true
}

// nextRun sets r to the next run of tasks of piece w, reporting false when
// the piece has none left or the call has stopped. scratch holds a
// MapUnordered run's results.
func (c *call[St, A, R, E]) nextRun(w *piece[A, R], r *Tasks[A, R], scratch *[]R) bool {
	if c.stopped.Load() {
		return false
	}
	r.Ctx, r.Stop, r.S = c.ctx, &c.stopped, &c.s
	if rd := w.redo; rd != nil {
		if r.Args != nil {
			return false // its one run is done
		}
		r.Start, r.Args, r.Out = rd.start, rd.args, rd.out
		if rd.out == nil {
			r.Out = scratchFor(scratch, len(rd.args))
		}
		return true
	}
	return c.in.next(w, r, scratch)
}

// scratchFor returns n results' room in scratch.
func scratchFor[R any](scratch *[]R, n int) []R {
	if cap(*scratch) < n {
		*scratch = make([]R, n)
	}
	return (*scratch)[:n]
}

// complete takes back what a slot's lifecycle reported of run r of piece w;
// stats are the slot's insights. A task's failure may send it, and the
// tasks after it, to run again (WithRetries), or be kept for the caller
// (WithContinueOnError); else it stops the call.
func (c *call[St, A, R, E]) complete(w *piece[A, R], r *Tasks[A, R], comp Completion[E], stats *Stats) {
	settled, err := comp.N, comp.Err
	if te, ok := err.(*TaskError); ok && te.Phase != PhaseExit && comp.N < len(r.Args) {
		// A failed init is charged to the task that was to follow it.
		var kept int
		err, kept = c.settleFailure(w, r, comp.N, te, stats)
		settled += kept
		if o := c.s.Observer; o != nil && (kept > 0 || err != nil && te.Phase == PhaseTask) {
			// Failed for good: kept for the caller, or the call's
			// failure. A kept init failure is the task's.
			o.Failed(r.Ctx, te)
		}
	}
	c.done.Add(int64(settled))
	c.in.complete(w, r, settled)
	w.settled += settled
	if len(comp.Exits) > 0 {
		c.mu.Lock()
		c.exits = append(c.exits, comp.Exits...)
		c.mu.Unlock()
	}
	if err != nil {
		c.fail(err)
	}
}

// wait returns once no slot holds a piece of the call, none is left to
// take and no task waits to run again: the work is done, or the call has
// stopped, which ends the waits. A cancelled parent
// context stops the call at once: work not yet taken is dropped, and only
// the tasks running are waited for. notified tells that the call's state
// has not been looked at since work was queued, so that a wake-up is sure
// to come: then it waits for one before it looks.
func (c *call[St, A, R, E]) wait(notified bool) {
	parentDone := c.parent.Done()
	for {
		if notified {
			notified = false
			c.sleep(&parentDone)
		}
		c.p.mu.Lock()
		if c.stopped.Load() {
			c.dropBackoffs()
		}
		over := c.running == 0 && !c.hasWork() && len(c.backoffs) == 0
		c.p.mu.Unlock()
		if over {
			return
		}
		c.sleep(&parentDone)
	}
}

// sleep waits for a wake-up of the call or for the end of its parent
// context, whose Done channel is *parentDone: it then stops the call and
// sets *parentDone to nil.
func (c *call[St, A, R, E]) sleep(parentDone *<-chan struct{}) {
	if *parentDone == nil {
		<-c.wake // a receive costs less than a select
		return
	}
	select {
	case <-c.wake:
	case <-*parentDone:
		c.fail(context.Cause(c.parent))
		*parentDone = nil
	}
}
