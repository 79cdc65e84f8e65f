package engine

import (
	"fmt"
	"iter"
	"math"
	"sync"
)

// A feeder pulls an iter.Seq input into chunks and hands them to the
// workers, taking at most maxActive tasks ahead of the consumer.
type feeder[St, A, R, E any] struct {
	c      *call[St, A, R, E]
	ended  chan struct{} // closed when the feeder stops
	sent   int           // chunks handed out; read only after ended is closed
	clean  bool          // the input was read to its end, or to WithIterableLen
	limit  int           // tasks to take: WithIterableLen, or no limit
	total  int           // number of tasks when known (WithIterableLen), else -1
	chunks chunking      // chunk sizes when total is known
	size   int           // chunk size past the known chunks
	tokens *tokens

	spareMu sync.Mutex
	spare   []*chunk[A, R] // yielded chunks, for reuse: memory stays flat
}

func newFeeder[St, A, R, E any](c *call[St, A, R, E]) *feeder[St, A, R, E] {
	f := &feeder[St, A, R, E]{c: c, ended: make(chan struct{}), total: -1, limit: math.MaxInt}
	jobs := c.p.s.Jobs
	if c.s.IterableLenSet {
		f.total, f.limit = c.s.IterableLen, c.s.IterableLen
		f.chunks = newChunking(f.total, &c.s, jobs)
		f.size = f.chunks.maxLen()
	} else {
		f.size = c.s.ChunkSize
		if f.size == 0 {
			f.size = unknownLenChunkSize
		}
	}
	f.size = max(f.size, 1)
	maxActive := c.s.MaxActive
	if maxActive == 0 {
		maxActive = saturatingMul(jobs, f.size, 2)
	}
	// A chunk larger than the bound could never start: make chunks fit.
	if f.size > maxActive {
		f.size = maxActive
		f.chunks = chunking{}
	}
	f.tokens = newTokens(maxActive)
	return f
}

// saturatingMul returns the product of positive numbers, or math.MaxInt
// when it overflows.
func saturatingMul(xs ...int) int {
	p := 1
	for _, x := range xs {
		if x != 0 && p > math.MaxInt/x {
			return math.MaxInt
		}
		p *= x
	}
	return p
}

// sizeOf is the length of chunk k.
func (f *feeder[St, A, R, E]) sizeOf(k int) int {
	if k < f.chunks.count {
		lo, hi := f.chunks.bounds(k)
		return hi - lo
	}
	return f.size
}

// feed cuts args into chunks for the workers until it ends, the call stops,
// or WithIterableLen's count is reached. The input is the caller's code
// running on this goroutine: a panic or a runtime.Goexit in it fails the call
// instead of the process.
func (f *feeder[St, A, R, E]) feed(args iter.Seq[A]) {
	c := f.c
	returned := false
	var err error
	defer func() {
		switch {
		case err != nil:
			c.fail(fmt.Errorf("mpire: the input of %s panicked: %w", c.p.fn.Name, err))
		case !returned:
			c.fail(fmt.Errorf("mpire: the input of %s ended its goroutine (runtime.Goexit): %w", c.p.fn.Name, ErrWorkerDied))
		}
		close(f.ended)
	}()
	defer catchPanic(&err)
	f.clean = f.pull(args)
	returned = true
}

// pull reads args into chunks, and reports whether it read all it had to.
func (f *feeder[St, A, R, E]) pull(args iter.Seq[A]) bool {
	c := f.c
	var ch *chunk[A, R]
	size, taken := 0, 0
	if f.limit == 0 {
		return true
	}
	for a := range args {
		if c.stopped.Load() {
			return false
		}
		if ch == nil {
			size = f.sizeOf(f.sent)
			if !f.tokens.acquire(size, c.ctx.Done(), f.waiting) {
				return false
			}
			ch = f.newChunk(f.sent, taken, size)
		}
		ch.args = append(ch.args, a)
		taken++
		if len(ch.args) == size || taken == f.limit {
			f.tokens.release(size - len(ch.args))
			if !f.dispatch(ch) {
				return false
			}
			ch = nil
			if taken == f.limit {
				return true
			}
		}
	}
	if ch != nil {
		f.tokens.release(size - len(ch.args))
		return f.dispatch(ch)
	}
	return true
}

// waiting tells the call's observer, if any, that n tasks start waiting
// for room (n > 0) or stop (n < 0).
func (f *feeder[St, A, R, E]) waiting(n int) {
	if o := f.c.s.Observer; o != nil {
		o.Waiting(f.c.ctx, f.c.p.fn.Name, n)
	}
}

func (f *feeder[St, A, R, E]) dispatch(ch *chunk[A, R]) bool {
	if cap(ch.out) < len(ch.args) {
		ch.out = make([]R, len(ch.args))
	}
	ch.pending = len(ch.args)
	if !f.c.addChunk(ch) {
		return false
	}
	f.sent++
	return true
}

// finished reports whether the feeder has stopped.
func (f *feeder[St, A, R, E]) finished() bool {
	select {
	case <-f.ended:
		return true
	default:
		return false
	}
}

// presized bounds the room a new chunk makes for its tasks before they
// come: past it, a chunk grows with its tasks, so that a huge chunk size
// costs nothing before the tasks are there.
const presized = 1024

// newChunk returns an empty chunk for size tasks, reusing a yielded one when
// it can.
func (f *feeder[St, A, R, E]) newChunk(seq, start, size int) *chunk[A, R] {
	f.spareMu.Lock()
	var ch *chunk[A, R]
	if n := len(f.spare); n > 0 {
		ch = f.spare[n-1]
		f.spare = f.spare[:n-1]
	}
	f.spareMu.Unlock()
	if ch == nil {
		ch = &chunk[A, R]{args: make([]A, 0, min(size, presized))}
	}
	ch.seq, ch.start = seq, start
	return ch
}

// recycle returns a yielded chunk's tasks to the bound and keeps the chunk
// for reuse.
func (f *feeder[St, A, R, E]) recycle(ch *chunk[A, R]) {
	f.tokens.release(len(ch.args))
	clear(ch.args)
	clear(ch.out)
	ch.args = ch.args[:0]
	ch.failed = nil
	f.spareMu.Lock()
	f.spare = append(f.spare, ch)
	f.spareMu.Unlock()
}

// tokens bounds the tasks taken from an input and not yet returned
// (WithMaxTasksActive). One goroutine acquires; any goroutine releases.
type tokens struct {
	mu   sync.Mutex
	free int
	wake chan struct{}
}

func newTokens(n int) *tokens { return &tokens{free: n, wake: make(chan struct{}, 1)} }

// acquire takes n tokens, waiting for releases; it gives up when done
// closes. When it has to wait, it calls waiting(n) first and waiting(-n)
// once it stops.
func (t *tokens) acquire(n int, done <-chan struct{}, waiting func(int)) bool {
	waited := false
	defer func() {
		if waited {
			waiting(-n)
		}
	}()
	for {
		t.mu.Lock()
		if t.free >= n {
			t.free -= n
			t.mu.Unlock()
			return true
		}
		t.mu.Unlock()
		if !waited {
			waited = true
			waiting(n)
		}
		select {
		case <-t.wake:
		case <-done:
			return false
		}
	}
}

func (t *tokens) release(n int) {
	if n == 0 {
		return
	}
	t.mu.Lock()
	t.free += n
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}
