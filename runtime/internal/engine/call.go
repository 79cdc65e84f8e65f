package engine

import (
	"context"
	"sync"
	"sync/atomic"
)

// A chunk is a run of consecutive tasks of an iterator or apply call, with
// room for their results.
type chunk[A, R any] struct {
	seq   int // chunk number, for ordered results
	start int // index of the first task in the input
	args  []A
	out   []R
}

// A call is one Map, IMap, Apply... on a pool: its Settings, its context, its
// first error, and the accounting that tells when it is over.
type call[St, A, R, E any] struct {
	p       *Pool[St, A, R, E]
	cr      *crew[St, A, R, E]
	s       Settings
	parent  context.Context
	ctx     context.Context
	cancel  context.CancelCauseFunc
	unwatch func() bool

	stop    atomic.Bool // set by the first failure; tasks and feeders check it
	errOnce sync.Once
	err     error          // the first failure
	pending sync.WaitGroup // units sent to workers and not yet served
	done    atomic.Int64   // tasks completed, for progress

	// Slice input: workers take runs of args through next, the first task
	// not yet taken (or, with ordered tasks, chunk by chunk).
	args   []A
	out    []R
	chunks chunking
	next   atomic.Int64
	guided bool // shrink the runs taken near the end (default chunking)
	// MapUnordered: each finished chunk is copied to the next free place of
	// out, through filled.
	unordered bool
	filled    atomic.Int64

	// Iterator and apply input: finished chunks are delivered to results.
	results chunkQueue[A, R]

	exitMu sync.Mutex
	exits  []E // exit values of the workers restarted or stopped by this call
}

func newCall[St, A, R, E any](p *Pool[St, A, R, E], cr *crew[St, A, R, E], parent context.Context, s Settings) *call[St, A, R, E] {
	c := &call[St, A, R, E]{p: p, cr: cr, s: s, parent: parent}
	c.ctx, c.cancel = context.WithCancelCause(parent)
	c.unwatch = context.AfterFunc(parent, func() { c.fail(context.Cause(parent)) })
	c.results.init()
	return c
}

// fail records the call's first failure and stops it. A failure that follows
// the caller's cancellation is reported as that cancellation.
func (c *call[St, A, R, E]) fail(err error) {
	c.errOnce.Do(func() {
		if cause := context.Cause(c.parent); cause != nil {
			err = cause
		}
		c.err = err
		c.stop.Store(true)
		c.cancel(err)
		c.results.wake()
	})
}

// failed reports whether the call has failed or was cancelled.
func (c *call[St, A, R, E]) failed() bool { return c.stop.Load() }

// send hands u to a worker through ch, unless the call stops first.
func (c *call[St, A, R, E]) send(ch chan<- unit[St, A, R, E], u unit[St, A, R, E]) bool {
	c.pending.Add(1)
	select {
	case ch <- u:
		return true
	case <-c.ctx.Done():
		c.pending.Done()
		return false
	}
}

// finish releases the call's context once no worker uses it any more.
func (c *call[St, A, R, E]) finish() {
	c.unwatch()
	c.cancel(context.Canceled)
}

// take returns the k-th run of tasks [lo, hi) of a slice ticket for a worker
// slot: with ordered tasks, chunk k (slot, slot+jobs, ...); otherwise the
// next run, whichever worker asks.
func (c *call[St, A, R, E]) take(slot, k, jobs int) (lo, hi int, ok bool) {
	if slot < 0 {
		return c.claim(jobs)
	}
	if k >= c.chunks.count {
		return 0, 0, false
	}
	lo, hi = c.chunks.bounds(k)
	return lo, hi, true
}

// claim takes the next run of tasks [lo, hi) of a slice input: the rest of
// the chunk that holds the next task. With the default chunking, near the end
// of the input it takes no more than a share of what is left, so that the
// last tasks, which may be the longest, are spread over the workers instead
// of waiting in one worker's chunk.
func (c *call[St, A, R, E]) claim(jobs int) (lo, hi int, ok bool) {
	n := len(c.args)
	for {
		lo = int(c.next.Load())
		if lo >= n {
			return 0, 0, false
		}
		hi = c.chunks.start(c.chunks.chunkOf(lo) + 1)
		if c.guided {
			hi = min(hi, lo+max(1, (n-lo)/(2*jobs)))
		}
		if c.next.CompareAndSwap(int64(lo), int64(hi)) {
			return lo, hi, true
		}
	}
}

// addExit records the exit of a worker restarted during the call.
func (c *call[St, A, R, E]) addExit(e E) {
	c.exitMu.Lock()
	c.exits = append(c.exits, e)
	c.exitMu.Unlock()
}

// A chunkQueue carries finished chunks from workers to the goroutine that
// yields them. Workers never block on it, so a slow consumer cannot stall a
// worker that another call needs.
type chunkQueue[A, R any] struct {
	mu     sync.Mutex
	ready  []*chunk[A, R]
	notify chan struct{}
}

func (q *chunkQueue[A, R]) init() { q.notify = make(chan struct{}, 1) }

func (q *chunkQueue[A, R]) put(ch *chunk[A, R]) {
	q.mu.Lock()
	q.ready = append(q.ready, ch)
	q.mu.Unlock()
	q.wake()
}

func (q *chunkQueue[A, R]) wake() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// takeAll moves the finished chunks to buf and returns it.
func (q *chunkQueue[A, R]) takeAll(buf []*chunk[A, R]) []*chunk[A, R] {
	q.mu.Lock()
	buf = append(buf, q.ready...)
	clear(q.ready)
	q.ready = q.ready[:0]
	q.mu.Unlock()
	return buf
}

// tokens bounds the tasks taken from an input and not yet returned
// (WithMaxTasksActive). One goroutine acquires; any goroutine releases.
type tokens struct {
	mu   sync.Mutex
	free int
	wake chan struct{}
}

func newTokens(n int) *tokens { return &tokens{free: n, wake: make(chan struct{}, 1)} }

// acquire takes n tokens, waiting for releases; it gives up when done closes.
func (t *tokens) acquire(n int, done <-chan struct{}) bool {
	for {
		t.mu.Lock()
		if t.free >= n {
			t.free -= n
			t.mu.Unlock()
			return true
		}
		t.mu.Unlock()
		select {
		case <-t.wake:
		case <-done:
			return false
		}
	}
}

func (t *tokens) release(n int) {
	t.mu.Lock()
	t.free += n
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}
