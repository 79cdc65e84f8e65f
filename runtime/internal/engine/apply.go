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
	ac, _ := p.applies.Get().(*applyCall[St, A, R, E])
	if ac == nil {
		ac = &applyCall[St, A, R, E]{}
		ac.call.wake = make(chan struct{}, 1)
	}
	c, err := p.beginCall(ctx, "Apply", s, ac.start)
	if err != nil {
		p.applies.Put(ac)
		return zero, err
	}
	ch := &ac.chunk
	ch.args, ch.out, ch.pending = ac.args[:], ac.out[:], 1
	ac.args[0] = args
	if p.s.OrderTasks {
		// As in MPIRE, with ordered tasks applied tasks go to the workers in
		// turn, passing over a worker held by a call from inside it, which
		// could never serve this one.
		p.mu.Lock()
		ch.seq = p.applied % p.s.Jobs
		for k := range p.s.Jobs {
			if slot := (p.applied + k) % p.s.Jobs; p.nestedIn[WorkerID(slot)] == 0 {
				ch.seq = slot
				break
			}
		}
		p.applied = ch.seq + 1
		p.mu.Unlock()
	}
	bar := c.startProgress(1)
	c.addChunk(ch)
	c.wait()
	err = p.end(c)
	bar.finish(c.done.Load(), err)
	if err == nil {
		err = c.missing(c.done.Load() == 1)
	}
	r := ac.out[0]
	ac.finish()
	if err != nil {
		return zero, err
	}
	return r, nil
}

// An applyCall is the call of one Apply, with its input and its one task,
// in one allocation, which the pool keeps for the next Apply: a pool serving
// a stream of Apply calls allocates nothing per call but the context of its
// task.
type applyCall[St, A, R, E any] struct {
	call  call[St, A, R, E]
	in    chunkInput[A, R]
	chunk chunk[A, R]
	args  [1]A
	out   [1]R
}

// start makes ac the call of one task. The task's failure cannot stop
// other tasks, and it sees its caller's cancellation in the caller's
// context: it runs with that context, which spares a derived one.
func (ac *applyCall[St, A, R, E]) start(p *Pool[St, A, R, E], parent context.Context, s Settings) *call[St, A, R, E] {
	c := &ac.call
	c.p, c.s, c.parent, c.ctx = p, s, parent, parent
	ac.in.queue.items = ac.in.one[:0]
	if p.s.OrderTasks {
		ac.in.bySlot = make([]fifo[*chunk[A, R]], p.s.Jobs)
	}
	c.chunks = &ac.in
	c.in = c.chunks
	return c
}

// finish hands ac back to its pool for another Apply, unless something may
// still reach it: a task abandoned at its time limit keeps the call's stop
// flag, a retry's timer the call, and a worker outside this process is
// another executor's business. Nothing else does: the slot that served the
// call let go of it before the caller saw it end (Pool.done).
func (ac *applyCall[St, A, R, E]) finish() {
	c := &ac.call
	p := c.p
	if c.s.TaskTimeout > 0 || c.backoffs != nil || c.s.Outside() {
		return
	}
	wake, finished := c.wake, ac.in.finished
	clear(finished)
	*ac = applyCall[St, A, R, E]{}
	select {
	case <-wake: // a wake-up no one waited for
	default:
	}
	c.wake, ac.in.finished = wake, finished[:0]
	p.applies.Put(ac)
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
