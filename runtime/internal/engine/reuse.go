package engine

import "context"

// A keptCall is a call of Map, MapUnordered or Apply with its input and
// Apply's one task, in one allocation that the pool keeps for the next such
// call: a pool serving a stream of calls allocates per call only what the
// call hands out (a Map's result slice, the context of its tasks).
type keptCall[St, A, R, E any] struct {
	call   call[St, A, R, E]
	slice  sliceInput[A, R] // Map, MapUnordered
	chunks chunkInput[A, R] // Apply
	chunk  chunk[A, R]      // Apply's one task
	args   [1]A
	out    [1]R
}

// keptCall returns a call kept by the pool, or a new one.
func (p *Pool[St, A, R, E]) keptCall() *keptCall[St, A, R, E] {
	if k, ok := p.kept.Get().(*keptCall[St, A, R, E]); ok {
		return k
	}
	k := &keptCall[St, A, R, E]{}
	k.call.wake = make(chan struct{}, 1)
	return k
}

// startMap makes k the call of a Map or MapUnordered: a call of its own
// context, cancelled when the call stops.
func (k *keptCall[St, A, R, E]) startMap(p *Pool[St, A, R, E], parent context.Context, s Settings) *call[St, A, R, E] {
	c := &k.call
	c.init(p, parent, s)
	return c
}

// startApply makes k the call of one task. The task's failure cannot stop
// other tasks, and it sees its caller's cancellation in the caller's
// context: it runs with that context, which spares a derived one.
func (k *keptCall[St, A, R, E]) startApply(p *Pool[St, A, R, E], parent context.Context, s Settings) *call[St, A, R, E] {
	c := &k.call
	c.p, c.s, c.parent, c.ctx = p, s, parent, parent
	k.chunks.queue.items = k.chunks.one[:0]
	if p.s.OrderTasks {
		k.chunks.bySlot = make([]fifo[*chunk[A, R]], p.s.Jobs)
	}
	c.chunks = &k.chunks
	c.in = c.chunks
	return c
}

// finish hands k back to its pool for another call, once the call has
// ended, unless something may still reach it: a task abandoned at its time
// limit keeps the call's stop flag, a retry's timer the call, and a worker
// outside this process is another executor's business. Nothing else does:
// the slot that served a piece of the call let go of it before the caller
// saw the call end (Pool.done).
func (k *keptCall[St, A, R, E]) finish() {
	c := &k.call
	p := c.p
	if c.s.TaskTimeout > 0 || c.backoffs != nil || c.s.Outside() {
		return
	}
	wake, finished := c.wake, k.chunks.finished
	clear(finished)
	*k = keptCall[St, A, R, E]{} // what the call held goes
	select {
	case <-wake: // a wake-up no one waited for
	default:
	}
	c.wake, k.chunks.finished = wake, finished[:0]
	p.kept.Put(k)
}
