package engine

import (
	"context"
	"sync"
)

// A WorkerID identifies a worker slot, from 0 to jobs-1. It stays the same
// when the worker in that slot is restarted.
type WorkerID int

// Func describes a task function to a Pool. Generated code builds one per
// pool; its fields are the typed pieces of the user's code.
type Func[St, A, R, E any] struct {
	// Name is the task function's name, used in errors and insights.
	Name string
	// Pos is where the task function is declared (file:line), shown on
	// dashboards.
	Pos string
	// Run calls the task function for each of args, writing results to out
	// (as long as args), and stops early when w.Stopped(). It returns how many
	// tasks completed, and the error of the task at that index if one failed.
	Run func(w *Worker[St], args []A, out []R) (int, error)
	// Init, when not nil, runs before a worker's first task.
	Init func(w *Worker[St]) error
	// Exit, when not nil, runs when a worker that ran init stops.
	Exit func(w *Worker[St]) (E, error)
	// Format formats a task's arguments for errors and insights.
	Format func(a *A) string
}

// A Pool runs a task function on a set of workers. St is the per-worker
// state, A a task's arguments, R its result and E what the exit function
// returns. Generated pools wrap one Pool each; its methods are safe for
// concurrent use.
type Pool[St, A, R, E any] struct {
	fn Func[St, A, R, E]
	s  Settings

	mu       sync.Mutex
	idle     sync.Cond          // signalled when active drops to 0
	crew     *crew[St, A, R, E] // running workers; nil when none run
	active   int                // calls in progress
	closed   bool
	exits    []E // exit results of the most recent stop
	insights *insightsRecorder
}

// NewPool returns a pool running fn. It panics on an invalid option value,
// which is a programming error.
func NewPool[St, A, R, E any](fn Func[St, A, R, E], opts ...Option) *Pool[St, A, R, E] {
	if fn.Run == nil {
		panic("mpire: NewPool: Func.Run is nil")
	}
	p := &Pool[St, A, R, E]{fn: fn, s: newSettings(opts)}
	p.idle.L = &p.mu
	if p.s.Insights {
		p.insights = newInsightsRecorder(p.s.Jobs)
	}
	return p
}

// begin registers a call and makes sure the workers run. The caller must
// call end exactly once when begin succeeds.
func (p *Pool[St, A, R, E]) begin(ctx context.Context, s Settings) (*call[St, A, R, E], error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	// No crew means no call is running (end drops the crew with the last
	// call): a good time to start insights afresh.
	if p.crew == nil {
		if p.insights != nil {
			p.insights.reset()
		}
		cr, err := startCrew(p)
		if err != nil {
			return nil, err
		}
		p.crew = cr
	}
	p.active++
	return newCall(p, p.crew, ctx, s), nil
}

// end unregisters a finished call. Without keep-alive, the last call to end
// stops the workers and runs their exit functions. It returns the call's
// error, or else the first exit error.
func (p *Pool[St, A, R, E]) end(c *call[St, A, R, E]) error {
	c.finish()
	p.mu.Lock()
	p.active--
	var stopping *crew[St, A, R, E]
	if p.active == 0 && !p.s.KeepAlive {
		stopping, p.crew = p.crew, nil
	}
	p.mu.Unlock()

	if stopping != nil {
		exits, err := stopping.stop(c.s.ExitTimeout)
		c.exits = append(c.exits, exits...)
		if err != nil {
			c.fail(err)
		}
	}

	p.mu.Lock()
	p.exits = c.exits
	if p.active == 0 {
		p.idle.Broadcast()
	}
	p.mu.Unlock()
	return c.err
}

// ExitResults returns the values returned by the exit functions of the
// workers stopped by the most recent call, or by Close: one per worker stop,
// so more than jobs when lifespans restarted workers.
func (p *Pool[St, A, R, E]) ExitResults() []E {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]E(nil), p.exits...)
}

// Insights returns the worker insights of the most recent calls. It is the
// zero Insights unless the pool was made WithInsights.
func (p *Pool[St, A, R, E]) Insights() Insights {
	if p.insights == nil {
		return Insights{}
	}
	return p.insights.snapshot()
}

// Close waits for running calls, stops the workers (kept alive or not),
// runs their exit functions and returns the first exit error. Calls after
// Close fail with ErrClosed. Close is idempotent.
func (p *Pool[St, A, R, E]) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for p.active > 0 {
		p.idle.Wait()
	}
	cr := p.crew
	p.crew = nil
	p.mu.Unlock()
	if cr == nil {
		return nil
	}
	exits, err := cr.stop(p.s.ExitTimeout)
	p.mu.Lock()
	p.exits = exits
	p.mu.Unlock()
	return err
}
