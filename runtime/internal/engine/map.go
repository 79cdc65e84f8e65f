package engine

import (
	"context"
	"fmt"
	"iter"
)

// Map runs the task function on every element of args and returns the
// results in input order. A slice is chunked as sub-slices, never copied, and
// results are written straight into the returned slice.
func (p *Pool[St, A, R, E]) Map(ctx context.Context, args []A, opts ...CallOption) ([]R, error) {
	return p.mapSlice(ctx, "Map", args, false, opts)
}

// MapUnordered is Map with results in completion order: a run's results
// stay together, in input order within the run.
func (p *Pool[St, A, R, E]) MapUnordered(ctx context.Context, args []A, opts ...CallOption) ([]R, error) {
	return p.mapSlice(ctx, "MapUnordered", args, true, opts)
}

func (p *Pool[St, A, R, E]) mapSlice(ctx context.Context, method string, args []A, unordered bool, opts []CallOption) ([]R, error) {
	s, err := p.settingsFor(opts)
	if err != nil {
		return nil, err
	}
	if s.IterableLenSet && s.IterableLen < len(args) {
		args = args[:s.IterableLen] // as MPIRE does: the first n inputs
	}
	if len(args) == 0 {
		if err := p.check(ctx, method); err != nil {
			return nil, err
		}
		return []R{}, nil
	}
	k := p.keptCall()
	c, err := p.beginCall(ctx, method, s, k.startMap)
	if err != nil {
		p.kept.Put(k)
		return nil, err
	}
	out := make([]R, len(args))
	in := &k.slice
	in.init(args, out, unordered, p.s.OrderTasks, &c.s, p.s.Jobs)
	bar := c.startProgress(len(args))
	p.mu.Lock()
	c.in = in
	p.enqueue(c, in.tickets)
	p.mu.Unlock()
	c.wait(true)
	err = p.end(c)
	if err == nil {
		n := int64(len(args))
		err = c.missing(c.done.Load() == n && (!unordered || in.filled.Load() == n))
	}
	partial := false
	if err == nil {
		err = c.keptErrors()
		partial = err != nil
	}
	bar.finish(c.done.Load(), err)
	k.finish()
	if err != nil && !partial {
		return nil, err
	}
	return out, err
}

// missing returns an error when a call that reports no failure is not
// complete: a success never comes with a missing result, whatever went wrong.
func (c *call[St, A, R, E]) missing(complete bool) error {
	if complete {
		return nil
	}
	if err := context.Cause(c.parent); err != nil {
		return err
	}
	return fmt.Errorf("mpire: %s stopped after %d tasks without a reason: %w", c.p.fn.Name, c.done.Load(), ErrWorkerDied)
}

// IMap runs the task function on the elements of args as they come, and
// yields the results in input order, while later results may already be
// computed. It takes at most WithMaxTasksActive tasks ahead of the consumer.
// On the first failure it yields the zero result and the error once, and
// stops; WithContinueOnError yields each failed task's *TaskError in its
// place instead, and goes on. Breaking out of the loop stops the work; IMap then returns once the
// tasks running have returned, without waiting for the input: an input
// blocked in the caller's iterator is left to return or yield on its own.
func (p *Pool[St, A, R, E]) IMap(ctx context.Context, args iter.Seq[A], opts ...CallOption) iter.Seq2[R, error] {
	return p.imap(ctx, "IMap", args, true, opts)
}

// IMapUnordered is IMap with results yielded as chunks complete.
func (p *Pool[St, A, R, E]) IMapUnordered(ctx context.Context, args iter.Seq[A], opts ...CallOption) iter.Seq2[R, error] {
	return p.imap(ctx, "IMapUnordered", args, false, opts)
}

func (p *Pool[St, A, R, E]) imap(ctx context.Context, method string, args iter.Seq[A], ordered bool, opts []CallOption) iter.Seq2[R, error] {
	if ctx == nil {
		panic("mpire: " + method + " called with a nil context.Context")
	}
	return func(yield func(R, error) bool) {
		var zero R
		s, err := p.settingsFor(opts)
		if err != nil {
			yield(zero, err)
			return
		}
		c, err := p.begin(ctx, method, s)
		if err != nil {
			yield(zero, err)
			return
		}
		p.mu.Lock()
		c.chunks = newChunkInput[A, R](p.s.OrderTasks, p.s.Jobs)
		c.in = c.chunks
		p.mu.Unlock()
		f := newFeeder(c)
		bar := c.startProgress(f.total)
		go f.feed(args)
		consumed := false
		// The loop body is the caller's code: whatever way it leaves
		// (break, panic, runtime.Goexit), the work stops and the pool is
		// left as it was.
		defer func() {
			if !consumed {
				c.fail(context.Canceled)
			}
			c.wait(false)
			err := p.end(c)
			bar.finish(c.done.Load(), err)
			if err == nil && consumed {
				err = c.missing(f.clean)
			}
			if consumed && err != nil {
				yield(zero, err)
			}
		}()
		consumed = c.yieldResults(f, ordered, yield)
	}
}

// yieldResults yields finished chunks until the input is exhausted and every
// chunk was yielded (true), the consumer stops (false), or the call fails.
func (c *call[St, A, R, E]) yieldResults(f *feeder[St, A, R, E], ordered bool, yield func(R, error) bool) bool {
	var batch []*chunk[A, R]
	waiting := map[int]*chunk[A, R]{} // ordered: finished chunks ahead of next
	next, yielded := 0, 0
	ended := f.ended
	parentDone := c.parent.Done()
	emit := func(ch *chunk[A, R]) bool {
		failed := ch.failed // WithContinueOnError
		sortByIndex(failed)
		for i := range ch.args {
			var err error
			if len(failed) > 0 && failed[0].Index == ch.start+i {
				err, failed = failed[0], failed[1:]
			}
			if !yield(ch.out[i], err) {
				return false
			}
		}
		yielded++
		f.recycle(ch)
		return true
	}
	for {
		c.p.mu.Lock()
		batch = c.chunks.takeFinished(batch[:0])
		c.p.mu.Unlock()
		for _, ch := range batch {
			if !ordered {
				if !emit(ch) {
					return false
				}
				continue
			}
			waiting[ch.seq] = ch
			for ch, ok := waiting[next]; ok; ch, ok = waiting[next] {
				delete(waiting, next)
				next++
				if !emit(ch) {
					return false
				}
			}
		}
		if c.stopped.Load() {
			return true
		}
		if f.finished() && yielded == f.sent {
			return true
		}
		select {
		case <-c.wake:
		case <-ended:
			ended = nil // closed: look once more, then wait for results only
		case <-parentDone:
			c.fail(context.Cause(c.parent))
			parentDone = nil
		}
	}
}
