package engine

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/affinity"
	"github.com/mpire-go/mpire/runtime/internal/catch"
)

// A slot is one worker slot of a pool: a goroutine that takes work from the
// pool's calls and hands each run of tasks to the slot's Lifecycle, whose
// Executor decides where it runs. The slot never looks inside the executor,
// and the executor never decides what comes next.
type slot[St, A, R, E any] struct {
	p     *Pool[St, A, R, E]
	id    WorkerID
	life  *Lifecycle[St, A, R, E]
	pin   []int // the CPUs the slot's goroutine is pinned to; nil when not pinned
	stats *Stats
	wake  chan struct{} // a slot waiting for work (Pool.idle) is woken here

	// A piece of a call handed to the slot with its wake-up.
	handed      *call[St, A, R, E]
	handedPiece piece[A, R]

	scratch []R // MapUnordered: a run's results before they take their place

	// The context of the tasks of the call served last, made once per
	// call: ctxOf is the call's serial number, 0 for none.
	ctxOf uint64
	ctx   *workerContext

	// What the slot serves now, for the report of a worker that died.
	c        *call[St, A, R, E]
	w        piece[A, R]
	r        Tasks[A, R]
	stopping bool
}

func newSlot[St, A, R, E any](p *Pool[St, A, R, E], id WorkerID, pin []int) *slot[St, A, R, E] {
	s := &slot[St, A, R, E]{p: p, id: id, wake: make(chan struct{}, 1)}
	if p.insights != nil {
		s.stats = p.insights.stats(id)
	}
	exec := p.newExecutor(&p.fn, ExecutorConfig{Settings: &p.s, ID: id, CPUs: pin, Stats: s.stats, Pool: p})
	s.life = NewLifecycle(&p.fn, exec, id, s.stats)
	s.life.Observe(p.s.Observer, true)
	s.pin = exec.SlotCPUs()
	return s
}

// serve runs the slot until the pool stops its workers. started is when
// the workers were started, for insights; pinned, when not nil, receives the
// result of pinning the slot's thread.
func (s *slot[St, A, R, E]) serve(started time.Time, pinned chan<- error) {
	unpin, err := affinity.PinThread(s.pin)
	if pinned != nil {
		pinned <- err
	}
	if err != nil {
		s.p.stopped.Done()
		return
	}
	defer unpin()
	if pinned != nil {
		s.stats.AddStartUp(time.Since(started))
	}
	o := catch.Do(s.loop, func(catch.Outcome) { s.died() })
	if o.Panicked {
		// Every function of the user's runs under its own recover: a panic
		// here is the runtime's own bug, and must not be hidden.
		panic(fmt.Sprintf("%v\n\n%s", o.Value, o.Stack))
	}
}

// loop serves the pool's calls until the pool stops its workers, then stops
// the slot's worker.
func (s *slot[St, A, R, E]) loop() {
	var finished *call[St, A, R, E] // the call of the piece just finished, given back by next
	for {
		if s.c == nil {
			waitStart := s.stats.Now()
			c, w, ok := s.p.next(s, finished, s.w)
			s.stats.addWaitingSince(waitStart)
			if !ok {
				break
			}
			s.c, s.w = c, w
			s.r = Tasks[A, R]{}
		}
		// After a worker died, its slot goes on with the piece it held.
		c := s.c
		for c.nextRun(&s.w, &s.r, &s.scratch) {
			s.r.Ctx = s.contextOf(c)
			c.complete(&s.w, &s.r, s.life.Run(&s.r), s.stats)
		}
		s.c, finished = nil, c
	}
	s.ctxOf, s.ctx = 0, nil
	s.stopping = true
	s.p.addStop(s.life.Stop(s.p.stopLimit()))
	s.p.stopped.Done()
}

// contextOf returns the context of the slot's tasks of call c. Calls with
// one context (Apply calls made with the same context) share one: it holds
// nothing else, and never changes.
func (s *slot[St, A, R, E]) contextOf(c *call[St, A, R, E]) context.Context {
	if s.ctxOf != c.serial {
		if s.ctx == nil || !sameContext(s.ctx.Context, c.ctx) {
			s.ctx = &workerContext{Context: c.ctx, in: workerOf{pool: s.p, slot: s.id}}
		}
		s.ctxOf = c.serial
	}
	return s.ctx
}

// sameContext reports whether a and b are one context: the same pointer,
// or values of a type without fields, such as context.Background(). Other
// values are not compared: their type may not be comparable.
func sameContext(a, b context.Context) bool {
	t := reflect.TypeOf(a)
	if t != reflect.TypeOf(b) {
		return false
	}
	return (t.Kind() == reflect.Pointer || t.Size() == 0 && t.Comparable()) && a == b
}

// died takes over when the user's code ended the slot's goroutine with
// runtime.Goexit: the task fails with ErrWorkerDied, which fails the call
// unless it runs again (WithRetries) or the call goes on
// (WithContinueOnError), and the slot goes on with a fresh worker on a new
// goroutine, serving the rest of the piece it held, if any: an ordered
// ticket's chunks are its own.
func (s *slot[St, A, R, E]) died() {
	comp := s.life.Died()
	if s.stopping {
		s.life.Stop(0)
		s.p.addStop(ExitResult[E]{Err: comp.Err})
		s.p.stopped.Done()
		return
	}
	s.ctxOf, s.ctx = 0, nil
	if c := s.c; c != nil {
		c.complete(&s.w, &s.r, comp, s.stats)
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
func (p *Pool[St, A, R, E]) addStop(ex ExitResult[E]) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ex.Has {
		p.stopVals = append(p.stopVals, ex.Value)
	}
	if ex.Err != nil {
		p.stopErrs = append(p.stopErrs, ex.Err)
	}
}
