package engine

import (
	"context"
	"time"
)

// A slot is one worker slot of a pool: a goroutine that takes work from the
// pool's calls and hands each run of tasks to the slot's executor, which
// decides where and how it runs. The slot never looks inside the executor,
// and the executor never decides what comes next.
type slot[St, A, R, E any] struct {
	p     *Pool[St, A, R, E]
	id    WorkerID
	pin   []int // the CPUs the slot's goroutine is pinned to; nil when not pinned
	exec  executor[St, A, R, E]
	stats *workerStats

	scratch []R // MapUnordered: a run's results before they take their place

	// The context of the tasks of the call served last, made once per call.
	ctxOf *call[St, A, R, E]
	ctx   context.Context

	// What the slot serves now, for the report of a worker that died.
	c        *call[St, A, R, E]
	w        piece[A, R]
	r        run[A, R]
	stopping bool
}

// An executor runs the functions of one worker slot: its init before the
// first task, runs of tasks, its exit when it stops or restarts. It owns the
// worker's state and times its own work. The goroutine executor runs them on
// the slot's goroutine.
type executor[St, A, R, E any] interface {
	// run runs r's tasks in order, after the worker's init if it has not
	// run yet, stopping early when r.stop is set. When the worker reaches its
	// lifespan at the end of the run, it restarts: exit, fresh state.
	run(r *run[A, R]) completion[E]
	// stop runs the worker's exit, if its init ran, within limit (0: no
	// limit), and releases what the executor holds.
	stop(limit time.Duration) exitResult[E]
	// died reports what was running when the slot's goroutine ended without
	// returning (runtime.Goexit in the user's code), as a completion whose
	// error wraps ErrWorkerDied, and makes the worker a fresh one.
	died() completion[E]
}

// lifeEnds reports whether a worker's life ends after run r, of which it
// completed n tasks, tasks since its init: when its lifespan is reached,
// checked at the end of a run, as MPIRE checks it at the end of a chunk.
func lifeEnds[A, R any](r *run[A, R], n, tasks int) bool {
	return n == len(r.args) && r.s.Lifespan > 0 && tasks >= r.s.Lifespan
}

// restarted records in comp the exit of a worker restarted at the end of
// its life.
func (comp *completion[E]) restarted(ex exitResult[E]) {
	if ex.has {
		comp.exits = append(comp.exits, ex.value)
	}
	comp.err = ex.err
}

// exitResult is what a worker's exit returned.
type exitResult[E any] struct {
	value E
	has   bool // the exit function ran and returned a value to collect
	err   error
}

func newSlot[St, A, R, E any](p *Pool[St, A, R, E], id WorkerID, pin []int) *slot[St, A, R, E] {
	s := &slot[St, A, R, E]{p: p, id: id}
	if p.insights != nil {
		s.stats = p.insights.stats(id)
	}
	if p.s.Remote != nil {
		// The worker is pinned, not the goroutine that talks to it.
		s.exec = newRemoteExecutor(&p.fn, p.s.Remote, id, pin, s.stats)
	} else {
		s.pin = pin
		s.exec = newGoroutineExecutor(&p.fn, id, pin, s.stats, p)
	}
	return s
}

// serve runs the slot until the pool stops its workers. started is when
// the workers were started, for insights; pinned, when not nil, receives the
// result of pinning the slot's thread.
func (s *slot[St, A, R, E]) serve(started time.Time, pinned chan<- error) {
	unpin, err := pinThread(s.pin)
	if pinned != nil {
		pinned <- err
	}
	if err != nil {
		s.p.stopped.Done()
		return
	}
	returned := false
	defer func() {
		unpin()
		if !returned {
			s.died()
		}
	}()
	if pinned != nil {
		s.stats.addStartUp(time.Since(started))
	}
	s.loop()
	returned = true
}

// loop serves the pool's calls until the pool stops its workers, then stops
// the executor.
func (s *slot[St, A, R, E]) loop() {
	for {
		waitStart := s.stats.now()
		c, w, ok := s.p.next(s)
		s.stats.addWaitingSince(waitStart)
		if !ok {
			break
		}
		s.c, s.w = c, w
		s.r = run[A, R]{}
		for c.nextRun(&s.w, &s.r, &s.scratch) {
			s.r.ctx = s.contextOf(c)
			c.complete(&s.w, &s.r, s.exec.run(&s.r))
		}
		s.c = nil
		s.p.done(c, w)
	}
	s.ctxOf, s.ctx = nil, nil
	s.stopping = true
	s.p.addStop(s.exec.stop(s.p.stopLimit()))
	s.p.stopped.Done()
}

// contextOf returns the context of the slot's tasks of call c.
func (s *slot[St, A, R, E]) contextOf(c *call[St, A, R, E]) context.Context {
	if s.ctxOf != c {
		s.ctxOf, s.ctx = c, &workerContext{Context: c.ctx, in: workerOf{pool: s.p, slot: s.id}}
	}
	return s.ctx
}

// died takes over when the user's code ended the slot's goroutine with
// runtime.Goexit: the call it served fails with ErrWorkerDied, and the slot
// goes on with a fresh worker on a new goroutine.
func (s *slot[St, A, R, E]) died() {
	comp := s.exec.died()
	if s.stopping {
		s.p.addStop(exitResult[E]{err: comp.err})
		s.p.stopped.Done()
		return
	}
	s.ctxOf, s.ctx = nil, nil
	if c := s.c; c != nil {
		c.complete(&s.w, &s.r, comp)
		s.c = nil
		s.p.done(c, s.w)
	}
	go s.serve(time.Time{}, nil)
}

// stopLimit returns the time limit of the workers' exit functions.
func (p *Pool[St, A, R, E]) stopLimit() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stop.limit
}

// addStop records what the exit of a stopping worker returned.
func (p *Pool[St, A, R, E]) addStop(ex exitResult[E]) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ex.has {
		p.stopVals = append(p.stopVals, ex.value)
	}
	if ex.err != nil {
		p.stopErrs = append(p.stopErrs, ex.err)
	}
}
