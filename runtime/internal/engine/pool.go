package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/affinity"
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
	// (as long as args), and stops early when w.Stopped(), which it calls
	// once before each task. It returns how many tasks completed, and the
	// error of the task at that index if one failed. It defers
	// w.Recover(&n, &err).
	Run func(w *Worker[St], args []A, out []R) (n int, err error)
	// Init, when not nil, runs before a worker's first task.
	Init func(w *Worker[St]) error
	// Exit, when not nil, runs when a worker that ran init stops.
	Exit func(w *Worker[St]) (E, error)
	// Format formats a task's arguments for errors and insights.
	Format func(a *A) string
	// Portable, for a portable task, is how its values cross a process
	// boundary (WithProcesses); nil otherwise.
	Portable *Portable[St, A, R, E]
	// Shared, for a portable task with a shared object, appends its
	// encoding to b: sent once to each worker process.
	Shared func(b []byte) []byte
}

// ErrDeadlock is the cause of the error of a call that could only wait
// forever: a call, with the task's context, from inside a task on its own
// pool, when every other worker of the pool is a task waiting the same way.
var ErrDeadlock = errors.New("it would wait forever")

// A Pool runs a task function on a set of worker slots. It is the scheduler:
// it decides which run of tasks each slot serves next and takes back what the
// slot's executor reports. St is the per-worker state, A a task's arguments,
// R its result and E what the exit function returns. Its methods are safe for
// concurrent use.
type Pool[St, A, R, E any] struct {
	fn          Func[St, A, R, E]
	s           Settings
	newExecutor NewExecutor[St, A, R, E]
	insights    *insightsRecorder // nil without WithInsights

	mu       sync.Mutex
	idle     []*slot[St, A, R, E] // the slots waiting for work, the last to wait last
	settled  sync.Cond            // broadcast when no call runs, and when workers have stopped
	queue    []*call[St, A, R, E] // calls with work to hand out, oldest first
	slots    []*slot[St, A, R, E] // the running workers; nil when none run
	stop     *stopRequest         // set while the workers are asked to stop
	stopped  sync.WaitGroup       // slots not yet stopped
	active   int                  // calls between begin and end
	nestedIn map[WorkerID]int     // calls from inside this pool's workers, between begin and end, by the slot they hold
	applied  int                  // Apply calls made, to spread them over the workers with WithOrderTasks
	begun    uint64               // calls begun, which numbers them
	kept     sync.Pool            // *keptCall: calls done, for the next Map or Apply to reuse
	closed   bool                 // Close was called
	exits    []E                  // exit results of the most recent call or Close
	stopErrs []error              // exit failures of the workers being stopped
	stopVals []E                  // exit results of the workers being stopped
}

// A stopRequest asks the workers to stop once no work is left, running their
// exit functions within limit (0: no limit).
type stopRequest struct {
	limit time.Duration
}

// NewPool returns a pool running fn on workers made by newExecutor. It
// panics on an invalid option value, which is a programming error.
func NewPool[St, A, R, E any](fn Func[St, A, R, E], newExecutor NewExecutor[St, A, R, E], opts ...Option) *Pool[St, A, R, E] {
	if fn.Run == nil {
		panic("mpire: NewPool: Func.Run is nil")
	}
	p := &Pool[St, A, R, E]{fn: fn, s: newSettings(opts), newExecutor: newExecutor}
	if p.s.Outside() && fn.Portable == nil {
		where := "WithProcesses"
		if p.s.Remote != nil {
			where = p.s.Remote.String()
		}
		panic(fmt.Sprintf("mpire: %s: %s is not portable: add the portable key to its //mpire:task directive and run go generate", where, fn.Name))
	}
	if r := p.s.Remote; r != nil {
		if err := r.Check(&p.s, p.exitValues()); err != nil {
			panic(err.Error())
		}
	}
	p.settled.L = &p.mu
	if p.s.Insights {
		p.insights = newInsightsRecorder(p.s.Jobs)
	}
	return p
}

// exitValues reports whether the task's exit function returns a value to
// collect, which a worker outside this process must send back.
func (p *Pool[St, A, R, E]) exitValues() bool {
	return p.fn.Exit != nil && reflect.TypeFor[E]().Size() != 0
}

// settingsFor returns the settings of a call given opts.
func (p *Pool[St, A, R, E]) settingsFor(opts []CallOption) (Settings, error) {
	if len(opts) == 0 {
		return p.s, nil
	}
	return p.s.forCall(opts, p.exitValues())
}

// begin registers a call and makes sure the workers run. When it succeeds,
// the caller must call end exactly once.
func (p *Pool[St, A, R, E]) begin(ctx context.Context, method string, s Settings) (*call[St, A, R, E], error) {
	return p.beginCall(ctx, method, s, newCall[St, A, R, E])
}

// beginCall is begin with the call made by newCall.
func (p *Pool[St, A, R, E]) beginCall(ctx context.Context, method string, s Settings, newCall func(*Pool[St, A, R, E], context.Context, Settings) *call[St, A, R, E]) (*call[St, A, R, E], error) {
	in, err := p.caller(ctx, method)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.beginLocked(ctx, method, s, in, newCall)
}

// caller checks the context of a call, and tells, when the call is made
// from inside a function of a worker of p, which worker that is: in.pool is
// p then, nil otherwise.
func (p *Pool[St, A, R, E]) caller(ctx context.Context, method string) (in workerOf, err error) {
	if ctx == nil {
		panic("mpire: " + method + " called with a nil context.Context")
	}
	if err := ctx.Err(); err != nil {
		return in, context.Cause(ctx)
	}
	// A call from inside a worker's function on its own pool holds that
	// worker while it waits.
	if in, _ = ctx.Value(workerOfKey{}).(workerOf); in.pool != p {
		in = workerOf{}
	}
	return in, nil
}

// beginLocked is beginCall with p.mu held, which it may release while it
// waits; in is what caller returned.
func (p *Pool[St, A, R, E]) beginLocked(ctx context.Context, method string, s Settings, in workerOf, newCall func(*Pool[St, A, R, E], context.Context, Settings) *call[St, A, R, E]) (*call[St, A, R, E], error) {
	nested := in.pool != nil
	if nested && p.stop != nil {
		return nil, fmt.Errorf("mpire: %s of %s called from inside an exit function of its own pool while its workers stop: %w", method, p.fn.Name, ErrDeadlock)
	}
	// Workers of the last generation may still be running their exit: a new
	// generation waits for them, so that two workers with the same WorkerID
	// never live at once. The caller's context still counts.
	if p.stop != nil && !p.closed {
		wake := context.AfterFunc(ctx, func() {
			p.mu.Lock()
			p.settled.Broadcast()
			p.mu.Unlock()
		})
		for p.stop != nil && !p.closed && ctx.Err() == nil {
			p.settled.Wait()
		}
		wake()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
	}
	if p.closed {
		return nil, ErrClosed
	}
	// When every worker would be held by a call waiting so, nothing could
	// ever serve the call.
	if nested && p.nestedIn[in.slot] == 0 && len(p.nestedIn)+1 >= p.s.Jobs {
		return nil, fmt.Errorf("mpire: %s of %s called from inside a %s function, while the pool's other workers wait the same way: %w", method, p.fn.Name, p.fn.Name, ErrDeadlock)
	}
	if p.slots == nil {
		if err := p.startWorkers(); err != nil {
			return nil, err
		}
	}
	p.active++
	p.begun++
	c := newCall(p, ctx, s)
	c.method, c.serial = method, p.begun
	if nested {
		if p.nestedIn == nil {
			p.nestedIn = map[WorkerID]int{}
		}
		p.nestedIn[in.slot]++
		slot := in.slot // not &in.slot, which would move in to the heap for every call
		c.nestedIn = &slot
	}
	return c, nil
}

// check returns what begin would for a call with nothing to do, without
// starting workers for it.
func (p *Pool[St, A, R, E]) check(ctx context.Context, method string) error {
	if ctx == nil {
		panic("mpire: " + method + " called with a nil context.Context")
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	return nil
}

// startWorkers starts a generation of workers. The caller holds p.mu.
func (p *Pool[St, A, R, E]) startWorkers() error {
	jobs := p.s.Jobs
	pins, err := affinity.Plan(p.s.CPUSets, jobs)
	if err != nil {
		return err
	}
	// No worker runs: a good time to start insights afresh.
	if p.insights != nil {
		p.insights.reset()
	}
	started := time.Now()
	pinned := make(chan error, jobs)
	p.slots = make([]*slot[St, A, R, E], jobs)
	for i := range jobs {
		p.slots[i] = newSlot(p, WorkerID(i), pins[i])
	}
	p.stopped.Add(jobs)
	for _, s := range p.slots {
		go s.serve(started, pinned)
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
		p.stopWorkers(0)
		p.stopVals, p.stopErrs = nil, nil
		return first
	}
	return nil
}

// stopWorkers asks the workers to stop and waits until they have, with
// their exit functions run within limit. The caller holds p.mu, which is
// released while waiting.
func (p *Pool[St, A, R, E]) stopWorkers(limit time.Duration) {
	p.stop = &stopRequest{limit: limit}
	p.wakeIdle(len(p.idle))
	p.mu.Unlock()
	p.stopped.Wait()
	p.mu.Lock()
	p.slots, p.stop = nil, nil
	p.settled.Broadcast()
}

// end unregisters a finished call. Without keep-alive, the last call to end
// stops the workers, waiting for their exit functions. It returns the
// call's error, or else the first exit error.
func (p *Pool[St, A, R, E]) end(c *call[St, A, R, E]) error {
	err := p.unregister(c)
	c.observeEnd(err)
	return err
}

// unregister is end but for the observer: it holds p.mu, which the
// observer must not wait for.
func (p *Pool[St, A, R, E]) unregister(c *call[St, A, R, E]) error {
	c.release()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dequeue(c)
	p.active--
	if c.nestedIn != nil {
		if p.nestedIn[*c.nestedIn]--; p.nestedIn[*c.nestedIn] == 0 {
			delete(p.nestedIn, *c.nestedIn)
		}
	}
	var stopped []E
	if p.active == 0 && !p.s.KeepAlive && p.slots != nil && p.stop == nil {
		p.stopWorkers(c.s.ExitTimeout)
		stopped = p.stopVals
		if len(p.stopErrs) > 0 {
			c.fail(p.stopErrs[0])
		}
		p.stopVals, p.stopErrs = nil, nil
	}
	c.mu.Lock()
	exits, err := c.exits, c.err
	c.mu.Unlock()
	p.exits = append(exits, stopped...)
	if p.active == 0 {
		p.settled.Broadcast()
	}
	return err
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
// Close fail with ErrClosed. Close is idempotent: a second Close, even a
// concurrent one, waits for the first and returns nil.
func (p *Pool[St, A, R, E]) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for p.active > 0 || p.stop != nil || p.slots != nil {
			p.settled.Wait()
		}
		return nil
	}
	p.closed = true
	for p.active > 0 || p.stop != nil {
		p.settled.Wait()
	}
	if p.slots == nil {
		return nil
	}
	p.stopWorkers(p.s.ExitTimeout)
	p.exits = p.stopVals
	var err error
	if len(p.stopErrs) > 0 {
		err = p.stopErrs[0]
	}
	p.stopVals, p.stopErrs = nil, nil
	p.settled.Broadcast()
	return err
}

// enqueue makes c's work, pieces more of it, available to the workers. The caller holds p.mu.
func (p *Pool[St, A, R, E]) enqueue(c *call[St, A, R, E], pieces int) {
	if !p.s.OrderTasks && (len(p.queue) == 0 || len(p.queue) == 1 && p.queue[0] == c) {
		// No other call has work to hand out, which would come first: hand
		// the slots that wait pieces of c with their wake-up, which spares
		// them a look at the queue. Ordered work is for given workers: they
		// look.
		for ; pieces > 0 && len(p.idle) > 0; pieces-- {
			w, more, ok := c.take(p.idle[len(p.idle)-1].id)
			if !ok {
				break
			}
			c.running++
			p.wakeLastIdle(c, w)
			if !more {
				return
			}
		}
	}
	if !c.queued {
		c.queued = true
		p.queue = append(p.queue, c)
	}
	// Wake as many workers as there are pieces to take: a worker woken for
	// nothing costs a thread wake-up. Ordered work is for given workers:
	// wake them all.
	if p.s.OrderTasks {
		pieces = len(p.idle)
	}
	p.wakeIdle(pieces)
}

// wakeIdle wakes up to n of the slots waiting for work, to look for it.
// The caller holds p.mu.
func (p *Pool[St, A, R, E]) wakeIdle(n int) {
	for ; n > 0 && len(p.idle) > 0; n-- {
		p.wakeLastIdle(nil, piece[A, R]{})
	}
}

// wakeLastIdle wakes the slot that waited for work last, handing it piece w
// of call c if c is not nil: of the slots waiting, its goroutine and what it
// touched are the likeliest to be hot. The caller holds p.mu.
func (p *Pool[St, A, R, E]) wakeLastIdle(c *call[St, A, R, E], w piece[A, R]) {
	s := p.idle[len(p.idle)-1]
	p.idle[len(p.idle)-1] = nil
	p.idle = p.idle[:len(p.idle)-1]
	s.handed, s.handedPiece = c, w
	s.wake <- struct{}{} // never blocks: a slot is woken once per wait
}

// dequeue removes c from the calls with work. The caller holds p.mu.
func (p *Pool[St, A, R, E]) dequeue(c *call[St, A, R, E]) {
	if !c.queued {
		return
	}
	c.queued = false
	if i := slices.Index(p.queue, c); i >= 0 {
		p.queue = slices.Delete(p.queue, i, i+1)
	}
}

// next gives back the piece w of call done that slot s has finished, if
// done is not nil, then waits for work for s: it returns the call to serve
// and a piece of its work, or ok false when the workers must stop.
func (p *Pool[St, A, R, E]) next(s *slot[St, A, R, E], done *call[St, A, R, E], w piece[A, R]) (*call[St, A, R, E], piece[A, R], bool) {
	p.mu.Lock()
	if done != nil {
		p.done(done, w)
	}
	for {
		for i := 0; i < len(p.queue); {
			c := p.queue[i]
			w, more, ok := c.take(s.id)
			if !more {
				// Nothing left to hand out: the call only waits for
				// pieces already taken.
				c.queued = false
				p.queue = slices.Delete(p.queue, i, i+1)
			} else {
				i++
			}
			if ok {
				c.running++
				p.mu.Unlock()
				return c, w, true
			}
		}
		if p.stop != nil {
			p.mu.Unlock()
			return nil, piece[A, R]{}, false
		}
		p.idle = append(p.idle, s)
		p.mu.Unlock()
		<-s.wake
		if c := s.handed; c != nil {
			// Handed with the wake-up (enqueue), which came after.
			w := s.handedPiece
			s.handed, s.handedPiece = nil, piece[A, R]{}
			return c, w, true
		}
		p.mu.Lock()
	}
}

// done takes back a piece of work that a slot has finished. The caller
// holds p.mu. The slot lets go of c under p.mu, where the call's caller sees
// that no slot holds its work: then nothing of the call is touched once its
// caller has seen it end, and the call can be reused (reuse.go).
func (p *Pool[St, A, R, E]) done(c *call[St, A, R, E], w piece[A, R]) {
	c.running--
	c.in.release(w)
	c.notify()
}
