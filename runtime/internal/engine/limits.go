package engine

import "time"

// An executor runs a worker's functions on a goroutine of its own, so that the
// worker can stop waiting for one that outlives its time limit.
type executor struct {
	work  chan func()
	done  chan struct{}
	timer *time.Timer
}

// newExecutor starts an executor whose goroutine is pinned to the CPUs of
// pin, as its worker is.
func newExecutor(pin []int) *executor {
	e := &executor{work: make(chan func()), done: make(chan struct{}, 1), timer: time.NewTimer(time.Hour)}
	e.timer.Stop()
	go e.run(pin)
	return e
}

func (e *executor) run(pin []int) {
	// The CPUs were checked when the workers started: pinning cannot fail
	// for a lack of them now, and a task runs unpinned rather than not at all.
	if unpin, err := pinThread(pin); err == nil {
		defer unpin()
	}
	for f := range e.work {
		f()
		e.done <- struct{}{} // buffered: never blocks, even when abandoned
	}
}

// within runs f and waits at most limit for it. When it reports false, f is
// still running and the executor is abandoned: its goroutine ends when f
// returns.
func (e *executor) within(limit time.Duration, f func()) bool {
	e.work <- f
	e.timer.Reset(limit)
	select {
	case <-e.done:
		e.timer.Stop()
		return true
	case <-e.timer.C:
		close(e.work)
		return false
	}
}

// close ends the executor's goroutine.
func (e *executor) close() { close(e.work) }
