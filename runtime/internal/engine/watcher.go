package engine

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A Watcher is told about every call made with a progress bar. Package
// dashboard installs one with SetWatcher; without it, calls report nothing.
type Watcher interface {
	// Watch starts following a call. It returns nil to ignore the call.
	Watch(info CallInfo, progress *Progress) Watched
}

// Watched is a call followed by a Watcher.
type Watched interface {
	// Finished tells how the call ended: the tasks done, and its error.
	Finished(done int64, err error)
}

// CallInfo describes a call to a Watcher.
type CallInfo struct {
	Func    string // the task function
	FuncPos string // where it is declared
	CallPos string // the user's line that made the call
	Title   string // the progress bar's title
	Total   int64  // tasks in all; -1 when unknown
	Started time.Time
}

// Progress holds the counters of a call that a Watcher reads: copies kept
// apart from the call, so that a dashboard keeps none of its input or results
// alive.
type Progress struct {
	done     atomic.Int64
	retries  atomic.Int64
	insights *insightsRecorder

	mu       sync.Mutex
	failures int          // tasks failed for good, WithContinueOnError
	failed   []*TaskError // the first maxShownFailures of them
}

// maxShownFailures bounds the failed tasks a Progress keeps.
const maxShownFailures = 20

// Done returns the tasks completed so far.
func (p *Progress) Done() int64 { return p.done.Load() }

// Retries returns how many times tasks failed and were to run again
// (WithRetries).
func (p *Progress) Retries() int64 { return p.retries.Load() }

// Failed returns how many tasks failed for good in a call
// WithContinueOnError, and the first of them, in the order they failed.
func (p *Progress) Failed() (n int, first []*TaskError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failures, slices.Clone(p.failed)
}

func (p *Progress) addRetry() {
	if p != nil {
		p.retries.Add(1)
	}
}

func (p *Progress) addFailure(te *TaskError) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures++
	if len(p.failed) < maxShownFailures {
		p.failed = append(p.failed, te)
	}
}

// Insights returns the pool's insights so far, and false when the pool does
// not record them.
func (p *Progress) Insights() (Insights, bool) {
	if p.insights == nil {
		return Insights{}, false
	}
	return p.insights.snapshot(), true
}

type watcherBox struct{ w Watcher }

var watcher atomic.Pointer[watcherBox]

// SetWatcher installs w as the watcher of every call from now on; nil
// removes it.
func SetWatcher(w Watcher) {
	if w == nil {
		watcher.Store(nil)
		return
	}
	watcher.Store(&watcherBox{w})
}

func currentWatcher() Watcher {
	if b := watcher.Load(); b != nil {
		return b.w
	}
	return nil
}
