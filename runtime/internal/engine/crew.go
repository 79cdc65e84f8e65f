package engine

import (
	"sync"
	"time"
)

// A unit is what a worker receives: a chunk of an iterator or apply call, or,
// for a slice call, a ticket to take chunks from the call until none is left.
type unit[St, A, R, E any] struct {
	c    *call[St, A, R, E]
	ch   *chunk[A, R] // nil for a slice ticket
	slot int          // slice ticket: the worker slot for ordered tasks, -1 for any
}

// A crew is one generation of running workers: started by the first call,
// stopped by the last one (or by Close with keep-alive).
type crew[St, A, R, E any] struct {
	p       *Pool[St, A, R, E]
	inbox   chan unit[St, A, R, E]   // work for any worker
	own     []chan unit[St, A, R, E] // work for one worker (ordered tasks)
	quit    chan struct{}
	wg      sync.WaitGroup
	started time.Time

	exitTimeout time.Duration // set by stop, read by the workers after quit

	mu      sync.Mutex
	exits   []E
	exitErr error
}

func startCrew[St, A, R, E any](p *Pool[St, A, R, E]) (*crew[St, A, R, E], error) {
	jobs := p.s.Jobs
	pins, err := pinPlan(p.s.CPUSets, jobs)
	if err != nil {
		return nil, err
	}
	cr := &crew[St, A, R, E]{
		p:       p,
		inbox:   make(chan unit[St, A, R, E], jobs),
		own:     make([]chan unit[St, A, R, E], jobs),
		quit:    make(chan struct{}),
		started: time.Now(),
	}
	pinned := make(chan error, jobs)
	for i := range jobs {
		cr.own[i] = make(chan unit[St, A, R, E], 1)
		w := newWorker(cr, WorkerID(i))
		cr.wg.Add(1)
		go w.loop(pins[i], pinned)
	}
	// Pinning happens on each worker's own thread; wait for all of them so
	// that an environment failure is the first call's error.
	var first error
	for range jobs {
		if err := <-pinned; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		cr.stop(0)
		return nil, first
	}
	return cr, nil
}

// stop tells the workers to quit, waits for their exit functions and returns
// what they returned, and the first exit error.
func (cr *crew[St, A, R, E]) stop(exitTimeout time.Duration) ([]E, error) {
	cr.exitTimeout = exitTimeout
	close(cr.quit)
	cr.wg.Wait()
	return cr.exits, cr.exitErr
}

// addExit records a worker's exit at crew stop.
func (cr *crew[St, A, R, E]) addExit(e E, hasValue bool, err error) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if hasValue {
		cr.exits = append(cr.exits, e)
	}
	if err != nil && cr.exitErr == nil {
		cr.exitErr = err
	}
}
