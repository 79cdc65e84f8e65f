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

	stopped atomic.Bool // set by the first failure; tasks check it between tasks
	errMu   sync.Mutex
	err     error        // the first failure
	done    atomic.Int64 // tasks completed
	wake    chan struct{}

	// Guarded by p.mu.
	queued   bool      // in p.queue
	nestedIn *WorkerID // made from inside a function of a worker of the same pool: its slot
	running  int       // pieces taken by slots and not yet done
	exits    []E       // exit values of the workers restarted during the call

	slice  sliceInput[A, R] // Map and MapUnordered
	chunks chunkInput[A, R] // IMap, IMapUnordered and Apply
}

// sliceInput is the work of a call on a slice: workers take runs of
// consecutive tasks straight from the caller's slice and write their results
// straight into the returned one.
type sliceInput[A, R any] struct {
	args    []A
	out     []R
	chunks  chunking
	next    atomic.Int64 // the first task not yet taken (unordered)
	guided  bool         // shrink the runs taken near the end (default chunking)
	tickets int          // pieces left to take: one per worker that may take runs
	// MapUnordered: each run's results are copied to the next free place of
	// out, through filled.
	unordered bool
	filled    atomic.Int64
	// WithOrderTasks: the ticket of slot i takes chunks i, i+jobs, ...
	ordered bool
	taken   []bool
}

// chunkInput is the work of a call on chunks: the chunks of an iterator, cut
// by a feeder, or the one task of Apply.
type chunkInput[A, R any] struct {
	queue    fifo[*chunk[A, R]]   // chunks to take, oldest first
	one      [1]*chunk[A, R]      // room for the queue of a call of one chunk (Apply)
	bySlot   []fifo[*chunk[A, R]] // WithOrderTasks: the chunks of each slot
	finished []*chunk[A, R]       // chunks whose tasks all completed, for the caller
}

// A chunk is a run of consecutive tasks of an iterator or apply call, with
// room for their results.
type chunk[A, R any] struct {
	seq      int // chunk number, for ordered results
	start    int // index of the first task in the input
	args     []A
	out      []R
	complete bool // every task completed
}

// A piece is what a slot takes from a call at a time: one chunk, or a ticket
// to take runs of a slice input until none is left.
type piece[A, R any] struct {
	chunk *chunk[A, R] // nil for a slice ticket
	slot  int          // ordered slice ticket: the slot whose chunks it takes; -1 for any
	k     int          // ordered slice ticket: the next chunk
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
	c.errMu.Lock()
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
	c.errMu.Unlock()
	c.notify()
}

// result returns the call's error, once no slot serves it any more.
func (c *call[St, A, R, E]) result() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
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
// it. more tells whether work is left to hand out, to this slot or others.
// The caller holds p.mu.
func (c *call[St, A, R, E]) take(slot WorkerID) (w piece[A, R], more, ok bool) {
	if c.stopped.Load() {
		return w, false, false
	}
	if c.slice.args != nil {
		in := &c.slice
		if !in.ordered {
			in.tickets--
			return piece[A, R]{slot: -1}, in.tickets > 0, true
		}
		if int(slot) < len(in.taken) && !in.taken[slot] {
			in.taken[slot] = true
			in.tickets--
			return piece[A, R]{slot: int(slot), k: int(slot)}, in.tickets > 0, true
		}
		return w, in.tickets > 0, false
	}
	in := &c.chunks
	if in.bySlot != nil {
		w.chunk, ok = in.bySlot[slot].pop()
		for i := range in.bySlot {
			more = more || in.bySlot[i].len() > 0
		}
		return w, more, ok
	}
	w.chunk, ok = in.queue.pop()
	return w, in.queue.len() > 0, ok
}

// hasWork tells whether work is left to hand out. The caller holds p.mu.
func (c *call[St, A, R, E]) hasWork() bool {
	if c.stopped.Load() {
		return false
	}
	if c.slice.args != nil {
		return c.slice.tickets > 0
	}
	for i := range c.chunks.bySlot {
		if c.chunks.bySlot[i].len() > 0 {
			return true
		}
	}
	return c.chunks.queue.len() > 0
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
	in := &c.chunks
	if p.s.OrderTasks {
		if in.bySlot == nil {
			in.bySlot = make([]fifo[*chunk[A, R]], p.s.Jobs)
		}
		in.bySlot[ch.seq%p.s.Jobs].push(ch)
	} else {
		in.queue.push(ch)
	}
	p.enqueue(c, 1)
	return true
}

// nextRun sets r to the next run of tasks of piece w, reporting false when
// the piece has none left. scratch holds a MapUnordered run's results.
func (c *call[St, A, R, E]) nextRun(w *piece[A, R], r *Tasks[A, R], scratch *[]R) bool {
	if c.stopped.Load() {
		return false
	}
	r.Ctx, r.Stop, r.S = c.ctx, &c.stopped, &c.s
	if ch := w.chunk; ch != nil {
		if r.Args != nil {
			return false // the chunk's one run is done
		}
		r.Start, r.Args, r.Out = ch.start, ch.args, ch.out[:len(ch.args)]
		return true
	}
	in := &c.slice
	var lo, hi int
	if w.slot < 0 {
		var ok bool
		if lo, hi, ok = c.claim(); !ok {
			return false
		}
	} else {
		if w.k >= in.chunks.count {
			return false
		}
		lo, hi = in.chunks.bounds(w.k)
		w.k += c.p.s.Jobs
	}
	r.Start, r.Args, r.Out = lo, in.args[lo:hi], in.out[lo:hi]
	if in.unordered {
		if cap(*scratch) < hi-lo {
			*scratch = make([]R, hi-lo)
		}
		r.Out = (*scratch)[:hi-lo]
	}
	return true
}

// minRun is the fewest tasks a run of a small input takes with the default
// chunking, when a share of what is left is at least that many.
const minRun = 16

// claim takes the next run of tasks [lo, hi) of a slice input: the rest of
// the chunk that holds the next task. With the default chunking, near the end
// of the input it takes no more than a share of what is left, so that the
// last tasks, which may be the longest, are spread over the workers instead
// of waiting in one worker's chunk.
func (c *call[St, A, R, E]) claim() (lo, hi int, ok bool) {
	in := &c.slice
	n := len(in.args)
	for {
		lo = int(in.next.Load())
		if lo >= n {
			return 0, 0, false
		}
		hi = in.chunks.start(in.chunks.chunkOf(lo) + 1)
		if in.guided {
			share := max(1, (n-lo)/(2*c.p.s.Jobs))
			hi = min(hi, lo+share)
			if c.s.Lifespan == 0 {
				// Tiny chunks (a small input) cost more to hand out than
				// their tasks may take: take a few at once, still no more
				// than a share of what is left. A lifespan counts chunks,
				// so it keeps them as they are.
				hi = max(hi, lo+min(share, minRun))
			}
		}
		if in.next.CompareAndSwap(int64(lo), int64(hi)) {
			return lo, hi, true
		}
	}
}

// complete takes back what an executor reported of run r of piece w.
func (c *call[St, A, R, E]) complete(w *piece[A, R], r *Tasks[A, R], comp Completion[E]) {
	if comp.N > 0 {
		c.done.Add(int64(comp.N))
		if c.slice.unordered && w.chunk == nil {
			end := int(c.slice.filled.Add(int64(comp.N)))
			copy(c.slice.out[end-comp.N:end], r.Out[:comp.N])
		}
	}
	if ch := w.chunk; ch != nil {
		ch.complete = comp.Err == nil && comp.N == len(ch.args)
	}
	if len(comp.Exits) > 0 {
		c.p.mu.Lock()
		c.exits = append(c.exits, comp.Exits...)
		c.p.mu.Unlock()
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

// A fifo is a queue that reuses its memory: a steady flow through it
// allocates nothing.
type fifo[T any] struct {
	items []T
	head  int // items before head are taken
}

func (q *fifo[T]) len() int { return len(q.items) - q.head }

func (q *fifo[T]) push(x T) {
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Full, with room at the front: move the items down instead of
		// growing.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, x)
}

func (q *fifo[T]) pop() (x T, ok bool) {
	if q.len() == 0 {
		return x, false
	}
	x = q.items[q.head]
	var zero T
	q.items[q.head] = zero
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return x, true
}
