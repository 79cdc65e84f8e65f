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
	observed *ObservedCall // nil unless the pool has an observer

	stopped atomic.Bool  // set by the first failure; tasks check it between tasks
	done    atomic.Int64 // tasks completed
	wake    chan struct{}

	mu    sync.Mutex
	err   error // the first failure
	exits []E   // exit values of the workers restarted during the call

	// The call's work: in, as the slots take it, and chunks when it is
	// made of chunks (IMap, IMapUnordered, Apply). The pool hands it out
	// under p.mu, which guards these.
	in       input[A, R]
	chunks   *chunkInput[A, R]
	queued   bool      // in p.queue
	nestedIn *WorkerID // made from inside a function of a worker of the same pool: its slot
	running  int       // pieces taken by slots and not yet done
}

func newCall[St, A, R, E any](p *Pool[St, A, R, E], parent context.Context, s Settings) *call[St, A, R, E] {
	c := &call[St, A, R, E]{p: p, s: s, parent: parent, wake: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancelCause(parent)
	return c
}

// newApplyCall returns the call of one task. The task's failure cannot
// stop other tasks, and it sees its caller's cancellation in the caller's
// context: it runs with that context, which spares a derived one.
func newApplyCall[St, A, R, E any](p *Pool[St, A, R, E], parent context.Context, s Settings) *call[St, A, R, E] {
	return &call[St, A, R, E]{p: p, s: s, parent: parent, ctx: parent, wake: make(chan struct{}, 1)}
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

// result returns the call's error, once no slot serves it any more.
func (c *call[St, A, R, E]) result() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
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
func (c *call[St, A, R, E]) take(slot WorkerID) (w piece[A, R], more, ok bool) {
	if c.stopped.Load() {
		return w, false, false
	}
	return c.in.take(slot)
}

// hasWork tells whether work is left to hand out. The caller holds p.mu.
func (c *call[St, A, R, E]) hasWork() bool {
	return !c.stopped.Load() && c.in.pending()
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
	return c.in.next(w, r, scratch)
}

// complete takes back what a slot's lifecycle reported of run r of piece w.
func (c *call[St, A, R, E]) complete(w *piece[A, R], r *Tasks[A, R], comp Completion[E]) {
	c.done.Add(int64(comp.N))
	c.in.complete(w, r, comp.N, comp.Err != nil)
	if len(comp.Exits) > 0 {
		c.mu.Lock()
		c.exits = append(c.exits, comp.Exits...)
		c.mu.Unlock()
	}
	if comp.Err != nil {
		c.fail(comp.Err)
	}
}

// wait returns once no slot holds a piece of the call and none is left to
// take: the work is done, or the call has stopped. A cancelled parent
// context stops the call at once: work not yet taken is dropped, and only
// the tasks running are waited for.
func (c *call[St, A, R, E]) wait() {
	parentDone := c.parent.Done()
	for {
		c.p.mu.Lock()
		over := c.running == 0 && !c.hasWork()
		c.p.mu.Unlock()
		if over {
			return
		}
		select {
		case <-c.wake:
		case <-parentDone:
			c.fail(context.Cause(c.parent))
			parentDone = nil
		}
	}
}
