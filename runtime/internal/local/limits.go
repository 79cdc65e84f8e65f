package local

import (
	"time"

	"github.com/mpire-go/mpire/runtime/internal/affinity"
	"github.com/mpire-go/mpire/runtime/internal/catch"
)

// A limitRunner runs a worker's functions on a goroutine of its own, so that
// the worker can stop waiting for one that outlives its time limit.
type limitRunner struct {
	work  chan func()
	done  chan outcome
	timer *time.Timer
	ended chan struct{} // closed when the goroutine ends
}

// An outcome is how a function given to a limitRunner ended.
type outcome int

const (
	returned  outcome = iota // it returned in time
	abandoned                // it still runs: its goroutine ends when it returns
	goexited                 // it ended the goroutine (runtime.Goexit)
)

// newLimitRunner starts a runner whose goroutine is pinned to the CPUs of
// pin, as its worker is.
func newLimitRunner(pin []int) *limitRunner {
	e := &limitRunner{work: make(chan func()), done: make(chan outcome, 1), timer: time.NewTimer(time.Hour), ended: make(chan struct{})}
	e.timer.Stop()
	go e.serve(pin)
	return e
}

func (e *limitRunner) serve(pin []int) {
	defer close(e.ended)
	// The CPUs were checked when the workers started: pinning cannot fail
	// for a lack of them now, and a task runs unpinned rather than not at all.
	if unpin, err := affinity.PinThread(pin); err == nil {
		defer unpin()
	}
	for f := range e.work {
		e.runOne(f)
	}
}

// runOne runs f and reports how it ended; done is buffered, so that the
// report never blocks, even when the runner was abandoned.
func (e *limitRunner) runOne(f func()) {
	catch.Do(f, func(catch.Outcome) { e.done <- goexited })
	e.done <- returned
}

// within runs f and waits at most limit for it. Unless f returned, the
// runner is finished: abandoned, its goroutine ends when f returns; after a
// Goexit, it has ended.
func (e *limitRunner) within(limit time.Duration, f func()) outcome {
	e.work <- f
	e.timer.Reset(limit)
	select {
	case out := <-e.done:
		e.timer.Stop()
		if out == goexited {
			close(e.work)
		}
		return out
	case <-e.timer.C:
		close(e.work)
		return abandoned
	}
}

// close ends the runner's goroutine.
func (e *limitRunner) close() { close(e.work) }
