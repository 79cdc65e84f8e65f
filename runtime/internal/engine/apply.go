package engine

import "context"

// Apply runs the task function once, on one of the pool's workers, and
// returns its result. A failure fails only this task; the pool carries on.
func (p *Pool[St, A, R, E]) Apply(ctx context.Context, args A, opts ...CallOption) (R, error) {
	var zero R
	s, err := p.settingsFor(opts)
	if err != nil {
		return zero, err
	}
	s.KeepGoing = false // its one task's failure is its own
	in, err := p.caller(ctx, "Apply")
	if err != nil {
		return zero, err
	}
	k := p.keptCall()
	ch := &k.chunk
	ch.args, ch.out, ch.pending = k.args[:], k.out[:], 1
	k.args[0] = args
	p.mu.Lock()
	c, err := p.beginLocked(ctx, "Apply", s, in, k.startApply)
	// Without an observer or a progress bar, which must hear of the call
	// before its task runs, the task is queued at once.
	queued := err == nil && s.Observer == nil && s.Progress == nil
	if queued {
		p.queueApplied(c, ch)
	}
	p.mu.Unlock()
	if err != nil {
		p.kept.Put(k)
		return zero, err
	}
	var bar *monitor
	if !queued {
		bar = c.startProgress(1)
		p.mu.Lock()
		p.queueApplied(c, ch)
		p.mu.Unlock()
	}
	c.wait(true)
	err = p.end(c)
	bar.finish(c.done.Load(), err)
	if err == nil {
		err = c.missing(c.done.Load() == 1)
	}
	r := k.out[0]
	k.finish()
	if err != nil {
		return zero, err
	}
	return r, nil
}

// queueApplied queues the chunk of an Apply call's one task. The caller
// holds p.mu.
func (p *Pool[St, A, R, E]) queueApplied(c *call[St, A, R, E], ch *chunk[A, R]) {
	if p.s.OrderTasks {
		// As in MPIRE, with ordered tasks applied tasks go to the workers in
		// turn, passing over a worker held by a call from inside it, which
		// could never serve this one.
		ch.seq = p.applied % p.s.Jobs
		for k := range p.s.Jobs {
			if slot := (p.applied + k) % p.s.Jobs; p.nestedIn[WorkerID(slot)] == 0 {
				ch.seq = slot
				break
			}
		}
		p.applied = ch.seq + 1
	}
	c.chunks.push(ch)
	p.enqueue(c, 1)
}

// ApplyAsync is Apply without waiting: the result is read from the returned
// AsyncResult.
func (p *Pool[St, A, R, E]) ApplyAsync(ctx context.Context, args A, opts ...CallOption) *AsyncResult[R] {
	if ctx == nil {
		panic("mpire: ApplyAsync called with a nil context.Context")
	}
	r := &AsyncResult[R]{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.value, r.err = p.Apply(ctx, args, opts...)
	}()
	return r
}

// An AsyncResult is the future result of ApplyAsync. Its methods are safe
// for concurrent use.
type AsyncResult[R any] struct {
	done  chan struct{}
	value R
	err   error
}

// Get waits for the task and returns its result.
func (r *AsyncResult[R]) Get() (R, error) {
	<-r.done
	return r.value, r.err
}

// Wait waits for the task to finish.
func (r *AsyncResult[R]) Wait() { <-r.done }

// Done returns a channel closed when the task has finished.
func (r *AsyncResult[R]) Done() <-chan struct{} { return r.done }

// Ready reports whether the task has finished.
func (r *AsyncResult[R]) Ready() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Successful reports whether the task has finished without error.
func (r *AsyncResult[R]) Successful() bool { return r.Ready() && r.err == nil }
