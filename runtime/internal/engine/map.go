package engine

import (
	"context"
	"iter"
)

// Map runs the task function on every element of args and returns the
// results in input order. A slice is chunked as sub-slices, never copied, and
// results are written straight into the returned slice.
func (p *Pool[St, A, R, E]) Map(ctx context.Context, args []A, opts ...CallOption) ([]R, error) {
	return p.mapSlice(ctx, args, false, opts)
}

// MapUnordered is Map with results in completion order: a chunk's results
// stay together, in input order within the chunk.
func (p *Pool[St, A, R, E]) MapUnordered(ctx context.Context, args []A, opts ...CallOption) ([]R, error) {
	return p.mapSlice(ctx, args, true, opts)
}

func (p *Pool[St, A, R, E]) mapSlice(ctx context.Context, args []A, unordered bool, opts []CallOption) ([]R, error) {
	s, err := p.s.forCall(opts)
	if err != nil {
		return nil, err
	}
	out := make([]R, len(args))
	if len(args) == 0 {
		return out, nil
	}
	c, err := p.begin(ctx, s)
	if err != nil {
		return nil, err
	}
	c.args, c.out, c.unordered = args, out, unordered
	c.chunks = newChunking(len(args), &c.s, p.s.Jobs)
	c.guided = c.s.ChunkSize == 0 && c.s.NSplits == 0
	bar := c.startProgress(len(args))
	tickets := min(p.s.Jobs, c.chunks.count)
	for i := range tickets {
		if p.s.OrderTasks {
			c.send(c.cr.own[i], unit[St, A, R, E]{c: c, slot: i})
		} else {
			c.send(c.cr.inbox, unit[St, A, R, E]{c: c, slot: -1})
		}
	}
	c.pending.Wait()
	err = p.end(c)
	bar.finish(c.done.Load(), err)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// IMap runs the task function on the elements of args as they come, and
// yields the results in input order, while later results may already be
// computed. It takes at most WithMaxTasksActive tasks ahead of the consumer.
// On the first failure it yields the zero result and the error once, and
// stops. Breaking out of the loop stops the work; IMap then returns once the
// workers have left the call.
func (p *Pool[St, A, R, E]) IMap(ctx context.Context, args iter.Seq[A], opts ...CallOption) iter.Seq2[R, error] {
	return p.imap(ctx, args, true, opts)
}

// IMapUnordered is IMap with results yielded as chunks complete.
func (p *Pool[St, A, R, E]) IMapUnordered(ctx context.Context, args iter.Seq[A], opts ...CallOption) iter.Seq2[R, error] {
	return p.imap(ctx, args, false, opts)
}

func (p *Pool[St, A, R, E]) imap(ctx context.Context, args iter.Seq[A], ordered bool, opts []CallOption) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		s, err := p.s.forCall(opts)
		if err != nil {
			yield(zero, err)
			return
		}
		c, err := p.begin(ctx, s)
		if err != nil {
			yield(zero, err)
			return
		}
		f := newFeeder(c)
		bar := c.startProgress(f.total)
		go f.feed(args)
		consumed := c.yieldResults(f, ordered, yield)
		if !consumed {
			c.fail(context.Canceled) // the consumer left: stop the work
		}
		<-f.fed
		c.pending.Wait()
		err = p.end(c)
		bar.finish(c.done.Load(), err)
		if consumed && err != nil {
			yield(zero, err)
		}
	}
}

// yieldResults yields finished chunks until the input is exhausted and every
// chunk was yielded (true), the consumer stops (false), or the call fails.
func (c *call[St, A, R, E]) yieldResults(f *feeder[St, A, R, E], ordered bool, yield func(R, error) bool) bool {
	var batch []*chunk[A, R]
	waiting := map[int]*chunk[A, R]{} // ordered: finished chunks ahead of next
	next, yielded := 0, 0
	fed := f.fed
	emit := func(ch *chunk[A, R]) bool {
		for i := range ch.args {
			if !yield(ch.out[i], nil) {
				return false
			}
		}
		yielded++
		f.recycle(ch)
		return true
	}
	for {
		batch = c.results.takeAll(batch[:0])
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
		if c.failed() {
			return true
		}
		if f.finished() && yielded == f.dispatched() {
			return true
		}
		select {
		case <-c.results.notify:
		case <-fed:
			fed = nil // closed: look once more, then wait for results only
		}
	}
}
