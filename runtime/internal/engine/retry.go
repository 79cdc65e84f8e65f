package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/catch"
)

// A Backoff is the wait before each retry of a task (WithRetryBackoff):
// before its k-th retry, a random time between half and all of
// Initial·2^(k-1), and never more than Max.
type Backoff struct {
	Initial, Max time.Duration
}

// DefaultBackoff is the wait before retries without WithRetryBackoff: from
// 100 ms, doubling up to 10 s. A flaky network call or a busy service is
// usually fine again after a tenth of a second; a task that keeps failing
// (a service that is down) waits longer and longer, and about a minute has
// passed by its eighth retry. The jitter spreads the retries of tasks that
// failed together, which would otherwise come back together.
var DefaultBackoff = Backoff{Initial: 100 * time.Millisecond, Max: 10 * time.Second}

// wait returns the wait before the retry that follows failed attempts.
func (b Backoff) wait(failed int) time.Duration {
	d := min(b.Initial, b.Max)
	if d <= 0 {
		return 0
	}
	for i := 1; i < failed && d < b.Max; i++ {
		d = min(d, b.Max/2) * 2 // no overflow
	}
	return d/2 + rand.N(d/2+1)
}

// Permanent marks err as a failure that retrying cannot mend: WithRetries
// does not run its task again. errors.Is and errors.As see through it.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err, or an error it wraps, was marked by
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// A redo is a part of a run to run again: the task that failed, once its
// backoff has passed, or the tasks after it, which did not run.
type redo[A, R any] struct {
	chunk *chunk[A, R] // the chunk they belong to; nil for a slice input
	start int          // index of the first task in the input
	args  []A
	out   []R // where the results go; nil: the slot's scratch (MapUnordered)
}

// A backoff is a task waiting out its wait before a retry: it holds no
// worker.
type backoff[A, R any] struct {
	timer *time.Timer
	redo  *redo[A, R]
}

// settleFailure decides what becomes of task n of run r, which failed with
// te, and returns the error that stops the call, nil when the task runs
// again (kept is 0) or its failure is kept for the caller
// (WithContinueOnError: kept is 1, and the task counts as settled). Either
// way the tasks of r after it run again, uncharged.
func (c *call[St, A, R, E]) settleFailure(w *piece[A, R], r *Tasks[A, R], n int, te *TaskError, stats *Stats) (err error, kept int) {
	idx := r.Start + n
	te.Attempts = 1
	if c.s.Retries == 0 && !c.s.KeepGoing {
		return te, 0
	}
	c.mu.Lock()
	te.Attempts += c.attempts[idx]
	ended := c.stopped.Load() || context.Cause(c.parent) != nil
	retry := !ended && te.Attempts <= c.s.Retries && !IsPermanent(te.Err) && !errors.Is(te.Err, ErrDeadlock)
	if retry {
		if c.attempts == nil {
			c.attempts = map[int]int{}
		}
		c.attempts[idx] = te.Attempts
	}
	c.mu.Unlock()
	switch {
	case ended:
		// Its own cancellation, or another failure, is no task's failure.
		return te, 0
	case retry:
		stats.addRetry()
		c.shown.addRetry()
		if o := c.s.Observer; o != nil {
			o.Retry(r.Ctx, ObservedRetry{Task: c.p.fn.Name, Worker: te.WorkerID, Index: idx, Attempt: te.Attempts + 1, Err: te.Err})
		}
		b := DefaultBackoff
		if c.s.Backoff != nil {
			b = *c.s.Backoff
		}
		c.again(c.redoOf(w, r, n, n+1), b.wait(te.Attempts))
	case c.s.KeepGoing:
		c.keep(w, r, n, te)
		kept = 1
	default:
		return te, 0
	}
	if n+1 < len(r.Args) {
		c.again(c.redoOf(w, r, n+1, len(r.Args)), 0)
	}
	return nil, kept
}

// keep keeps the failure te of task n of run r for the caller
// (WithContinueOnError): its result is the zero value.
func (c *call[St, A, R, E]) keep(w *piece[A, R], r *Tasks[A, R], n int, te *TaskError) {
	var zero R
	r.Out[n] = zero
	if te.Phase == PhaseInit {
		// Kept for the task, an init's failure names it. Formatting may
		// end its goroutine: apart.
		te.Index, te.Args = r.Start+n, c.p.fn.formatArgs(&r.Args[n], catch.Apart)
	}
	c.mu.Lock()
	delete(c.attempts, te.Index)
	if w.chunk != nil {
		w.chunk.failed = append(w.chunk.failed, te)
	} else {
		c.failed = append(c.failed, te)
	}
	c.mu.Unlock()
	c.shown.addFailure(te)
}

// redoOf returns the redo of tasks [lo, hi) of run r of piece w.
func (c *call[St, A, R, E]) redoOf(w *piece[A, R], r *Tasks[A, R], lo, hi int) *redo[A, R] {
	rd := &redo[A, R]{chunk: w.chunk, start: r.Start + lo, args: r.Args[lo:hi]}
	if c.in.stable() {
		rd.out = r.Out[lo:hi]
	}
	return rd
}

// again hands rd out to the workers after wait, meanwhile holding none.
// Once the call has stopped, wait drops the tasks waiting.
func (c *call[St, A, R, E]) again(rd *redo[A, R], wait time.Duration) {
	p := c.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if wait <= 0 {
		c.redos.push(rd)
		p.enqueue(c, 1)
		return
	}
	if c.backoffs == nil {
		c.backoffs = map[*backoff[A, R]]bool{}
	}
	b := &backoff[A, R]{redo: rd}
	c.backoffs[b] = true
	b.timer = time.AfterFunc(wait, func() {
		p.mu.Lock()
		if c.backoffs[b] { // else dropped
			delete(c.backoffs, b)
			if !c.stopped.Load() {
				c.redos.push(rd)
				p.enqueue(c, 1)
			}
		}
		p.mu.Unlock()
		c.notify()
	})
}

// dropBackoffs ends the waits of a call that has stopped: their tasks will
// not run. The caller holds p.mu.
func (c *call[St, A, R, E]) dropBackoffs() {
	for b := range c.backoffs {
		b.timer.Stop()
	}
	clear(c.backoffs)
}

// keptErrors returns the error of a call WithContinueOnError whose tasks
// failed: every failure, in input order; nil when none failed.
func (c *call[St, A, R, E]) keptErrors() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.failed) == 0 {
		return nil
	}
	sortByIndex(c.failed)
	return &taskErrors{fn: c.p.fn.Name, errs: c.failed}
}

func sortByIndex(errs []*TaskError) {
	slices.SortFunc(errs, func(a, b *TaskError) int { return cmp.Compare(a.Index, b.Index) })
}

// taskErrors is the error of a call WithContinueOnError whose tasks
// failed: each failed task's *TaskError, in input order.
type taskErrors struct {
	fn   string
	errs []*TaskError
}

// shownErrors is how many of the failures a taskErrors' message names.
const shownErrors = 3

func (e *taskErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mpire: %d tasks of %s failed", len(e.errs), e.fn)
	for i, te := range e.errs {
		if i == shownErrors {
			fmt.Fprintf(&b, "\n... and %d more", len(e.errs)-i)
			break
		}
		b.WriteString("\n")
		b.WriteString(te.Error())
	}
	return b.String()
}

// Unwrap returns each failed task's *TaskError, in input order, as
// errors.Join does.
func (e *taskErrors) Unwrap() []error {
	errs := make([]error, len(e.errs))
	for i, te := range e.errs {
		errs[i] = te
	}
	return errs
}

// TaskErrors returns every *TaskError in err's tree, in the order
// errors.Is visits it: those of each failed task of a call
// WithContinueOnError, in input order, or the one of a call that stopped.
func TaskErrors(err error) []*TaskError {
	if e, ok := err.(*taskErrors); ok {
		return slices.Clone(e.errs)
	}
	var found []*TaskError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *TaskError:
			found = append(found, e)
		case interface{ Unwrap() []error }:
			for _, err := range e.Unwrap() {
				walk(err)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return found
}
