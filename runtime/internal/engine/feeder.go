package engine

import (
	"fmt"
	"iter"
	"sync"
)

// A feeder pulls an iter.Seq input into chunks and hands them to the
// workers, taking at most maxActive tasks ahead of the consumer.
type feeder[St, A, R, E any] struct {
	c      *call[St, A, R, E]
	fed    chan struct{} // closed when the feeder stops
	sent   int           // chunks handed out; read only after fed is closed
	total  int           // number of tasks when known (WithIterableLen), else -1
	chunks chunking      // chunk sizes when total is known
	size   int           // chunk size past the known chunks
	tokens *tokens

	spareMu sync.Mutex
	spare   []*chunk[A, R] // yielded chunks, for reuse: memory stays flat
}

func newFeeder[St, A, R, E any](c *call[St, A, R, E]) *feeder[St, A, R, E] {
	f := &feeder[St, A, R, E]{c: c, fed: make(chan struct{}), total: -1}
	jobs := c.p.s.Jobs
	if c.s.IterableLenSet {
		f.total = c.s.IterableLen
		f.chunks = newChunking(f.total, &c.s, jobs)
		f.size = f.chunks.maxLen()
	} else {
		f.size = c.s.ChunkSize
		if f.size == 0 {
			f.size = unknownLenChunkSize
		}
	}
	maxActive := c.s.MaxActive
	if maxActive == 0 {
		maxActive = jobs * f.size * 2
	}
	// A chunk larger than the bound could never start: make chunks fit.
	if f.size > maxActive {
		f.size = maxActive
		f.chunks = chunking{}
	}
	f.tokens = newTokens(maxActive)
	return f
}

// sizeOf is the length of chunk k.
func (f *feeder[St, A, R, E]) sizeOf(k int) int {
	if k < f.chunks.count {
		lo, hi := f.chunks.bounds(k)
		return hi - lo
	}
	return f.size
}

func (f *feeder[St, A, R, E]) feed(args iter.Seq[A]) {
	defer close(f.fed)
	c := f.c
	// The input is the caller's code running on this goroutine: a panic in
	// it fails the call instead of the process.
	var err error
	defer func() {
		if err != nil {
			c.fail(fmt.Errorf("mpire: the input of %s panicked: %w", c.p.fn.Name, err))
		}
	}()
	defer CatchPanic(&err)
	var ch *chunk[A, R]
	size, start := 0, 0
	for a := range args {
		if c.failed() {
			return
		}
		if ch == nil {
			size = f.sizeOf(f.sent)
			if !f.tokens.acquire(size, c.ctx.Done()) {
				return
			}
			ch = f.newChunk(f.sent, start, size)
		}
		ch.args = append(ch.args, a)
		start++
		if len(ch.args) == size {
			if !f.dispatch(ch) {
				return
			}
			ch = nil
		}
	}
	if ch != nil {
		f.tokens.release(size - len(ch.args))
		f.dispatch(ch)
	}
}

func (f *feeder[St, A, R, E]) dispatch(ch *chunk[A, R]) bool {
	c := f.c
	to := c.cr.inbox
	if c.p.s.OrderTasks {
		to = c.cr.own[ch.seq%len(c.cr.own)]
	}
	if !c.send(to, unit[St, A, R, E]{c: c, ch: ch}) {
		return false
	}
	f.sent++
	return true
}

// finished reports whether the feeder has stopped.
func (f *feeder[St, A, R, E]) finished() bool {
	select {
	case <-f.fed:
		return true
	default:
		return false
	}
}

// dispatched is the number of chunks handed out; valid once finished.
func (f *feeder[St, A, R, E]) dispatched() int { return f.sent }

func (f *feeder[St, A, R, E]) newChunk(seq, start, size int) *chunk[A, R] {
	f.spareMu.Lock()
	var ch *chunk[A, R]
	if n := len(f.spare); n > 0 {
		ch = f.spare[n-1]
		f.spare = f.spare[:n-1]
	}
	f.spareMu.Unlock()
	if ch == nil || cap(ch.args) < size {
		ch = &chunk[A, R]{args: make([]A, 0, size), out: make([]R, size)}
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
	f.spareMu.Lock()
	f.spare = append(f.spare, ch)
	f.spareMu.Unlock()
}
