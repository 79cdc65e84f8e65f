package engine

import (
	"context"
	"reflect"
	"time"
)

// An Observer is told what a pool does, for traces, metrics and logs:
// package otelmpire and mpire.WithLogger each set one with a pool option
// (Settings.Observe). Without one, the engine pays a nil check per call and
// per run of tasks, and nothing else.
//
// It is told from the goroutines that do the work, so its methods are safe
// for concurrent use, quick, and never fail the work.
type Observer interface {
	// Call is told that a call starts; it returns the context of the
	// call's work (it may carry the call's span).
	Call(ctx context.Context, c *ObservedCall) context.Context
	// CallEnd is told how the call ended: the tasks completed and its
	// error. ctx is what Call returned.
	CallEnd(ctx context.Context, c *ObservedCall, done int64, err error)
	// Run is told that a run of tasks (a chunk) starts on a worker; it
	// returns the context of its tasks (it may carry the run's span).
	Run(ctx context.Context, r *ObservedRun) context.Context
	// RunEnd is told how the run ended: the tasks completed, from the
	// first, and the failure. ctx is what Run returned. In a worker
	// (ObservedRun.Trace not nil), it returns the encoded spans to send
	// back to the caller with the reply; nil when there are none, or when
	// the worker exports its spans itself.
	RunEnd(ctx context.Context, r *ObservedRun, n int, err error) (spans []byte)
	// Worker is told of an event of a worker's life. ctx is the context
	// of the run or call that it happened in, or context.Background().
	Worker(ctx context.Context, w ObservedWorker)
	// Retry is told that a failed task is given another attempt. It is
	// for the scheduler's retries (WithRetries): call it where a retry is
	// decided, with the context of the failed run.
	Retry(ctx context.Context, r ObservedRetry)
	// Failed is told that a task failed for good: it is not given another
	// attempt (WithRetries), and its failure stops the call or is kept for
	// the caller (WithContinueOnError). It is told once per task, where
	// the scheduler settles the failure, with the context of the failed
	// run; a failure that RunEnd was told of and that is retried is not.
	Failed(ctx context.Context, te *TaskError)
	// Waiting is told that n tasks of an iter.Seq input start waiting for
	// room under the bound of tasks active (WithMaxTasksActive), when n > 0,
	// or stop waiting, when n < 0: the tasks of the next chunk, while the
	// tasks taken and not yet returned leave it no room. ctx is the
	// call's.
	Waiting(ctx context.Context, task string, n int)
	// Inject writes the trace context of ctx, the context of a run, into
	// carrier, for a run that goes to a worker outside this process.
	Inject(ctx context.Context, carrier Carrier)
	// Relay hands over the spans that a worker process recorded for the
	// run whose context is ctx, as RunEnd encoded them there. They come
	// from another process: hostile input, to validate.
	Relay(ctx context.Context, spans []byte)
}

// A Carrier holds a trace context as key-value pairs (W3C traceparent and
// tracestate): the method set of OpenTelemetry's TextMapCarrier, so that a
// propagator reads and writes it, without this package importing
// OpenTelemetry.
type Carrier interface {
	Get(key string) string
	Set(key, value string)
	Keys() []string
}

// ObservedCall describes a call to an Observer.
type ObservedCall struct {
	Task      string // the task function
	Method    string // Map, MapUnordered, IMap, IMapUnordered, Apply
	Tasks     int    // tasks in all; -1 when unknown
	Jobs      int    // the pool's workers
	ChunkSize int    // WithChunkSize; 0: the default chunking
	Where     string // where the workers run: goroutines, processes or cluster
}

// ObservedRun describes a run of tasks to an Observer.
type ObservedRun struct {
	Task   string
	Worker WorkerID
	Start  int // the index of the first task in the input; in a worker, 0
	Tasks  int
	Began  time.Time
	// Trace is, in a worker outside the caller's process, the trace
	// context that came with the request; nil in the caller's process.
	Trace Carrier
}

// A WorkerEvent is an event of a worker's life.
type WorkerEvent int

const (
	// WorkerStarted: its init ran (or it has none); it is ready for tasks.
	WorkerStarted WorkerEvent = iota
	// WorkerInitFailed: its init failed, or the worker did not start; Err
	// says why.
	WorkerInitFailed
	// WorkerStopped: its exit ran, when its pool stopped its workers; Err
	// is the exit's failure, if it failed.
	WorkerStopped
	// WorkerRestarted: it reached its lifespan; its exit ran (Err: its
	// failure) and a fresh worker takes its slot.
	WorkerRestarted
	// WorkerDied: it died (runtime.Goexit, a worker process that exited,
	// was killed or crashed), in a task or while idle.
	WorkerDied
	// WorkerTimedOut: a task, init or exit reached its time limit: the
	// worker was abandoned or killed.
	WorkerTimedOut
)

func (e WorkerEvent) String() string {
	switch e {
	case WorkerStarted:
		return "started"
	case WorkerInitFailed:
		return "init failed"
	case WorkerStopped:
		return "stopped"
	case WorkerRestarted:
		return "restarted"
	case WorkerDied:
		return "died"
	case WorkerTimedOut:
		return "timed out"
	}
	return "WorkerEvent(?)"
}

// ObservedWorker is an event of a worker's life.
type ObservedWorker struct {
	Task   string
	Worker WorkerID
	Event  WorkerEvent
	Err    error // a *TaskError naming the phase and the task; a death found between two runs is no task's; nil when none
	// Ended tells that the event ends a worker that WorkerStarted
	// announced: every WorkerStarted is followed by one event that ended it
	// (while the pool's workers live on).
	Ended bool
}

// ObservedRetry describes a retry of a failed task.
type ObservedRetry struct {
	Task    string
	Worker  WorkerID // the worker where it failed
	Index   int      // the task's index in the input
	Attempt int      // the attempt about to run: 2 for the first retry
	Err     error    // the failure that is retried
}

// Observe adds o to the observers of the pool: each is told everything, in
// the order they were given.
func (s *Settings) Observe(o Observer) {
	switch prev := s.Observer.(type) {
	case nil:
		s.Observer = o
	case observers:
		s.Observer = append(observers{}, append(prev, o)...)
	default:
		s.Observer = observers{prev, o}
	}
}

// observers tells several Observers everything, in order.
type observers []Observer

func (all observers) Call(ctx context.Context, c *ObservedCall) context.Context {
	for _, o := range all {
		ctx = o.Call(ctx, c)
	}
	return ctx
}

func (all observers) CallEnd(ctx context.Context, c *ObservedCall, done int64, err error) {
	for _, o := range all {
		o.CallEnd(ctx, c, done, err)
	}
}

func (all observers) Run(ctx context.Context, r *ObservedRun) context.Context {
	for _, o := range all {
		ctx = o.Run(ctx, r)
	}
	return ctx
}

func (all observers) RunEnd(ctx context.Context, r *ObservedRun, n int, err error) (spans []byte) {
	for _, o := range all {
		if b := o.RunEnd(ctx, r, n, err); spans == nil {
			spans = b
		}
	}
	return spans
}

func (all observers) Worker(ctx context.Context, w ObservedWorker) {
	for _, o := range all {
		o.Worker(ctx, w)
	}
}

func (all observers) Retry(ctx context.Context, r ObservedRetry) {
	for _, o := range all {
		o.Retry(ctx, r)
	}
}

func (all observers) Failed(ctx context.Context, te *TaskError) {
	for _, o := range all {
		o.Failed(ctx, te)
	}
}

func (all observers) Waiting(ctx context.Context, task string, n int) {
	for _, o := range all {
		o.Waiting(ctx, task, n)
	}
}

func (all observers) Inject(ctx context.Context, carrier Carrier) {
	for _, o := range all {
		o.Inject(ctx, carrier)
	}
}

func (all observers) Relay(ctx context.Context, spans []byte) {
	for _, o := range all {
		o.Relay(ctx, spans)
	}
}

// observeCall starts observing call c, made by method, of total tasks (-1:
// unknown), if the pool has an observer: c's work then runs in the context
// the observer returns.
func (c *call[St, A, R, E]) observeCall(total int) {
	o := c.s.Observer
	if o == nil {
		return
	}
	c.observed = &ObservedCall{Task: c.p.fn.Name, Method: c.method, Tasks: max(total, -1), Jobs: c.p.s.Jobs, ChunkSize: c.s.ChunkSize, Where: "goroutines"}
	switch {
	case c.s.Processes:
		c.observed.Where = "processes"
	case c.s.Remote != nil:
		c.observed.Where = "cluster"
	}
	c.ctx = o.Call(c.ctx, c.observed)
}

// observeEnd tells the observer how call c ended.
func (c *call[St, A, R, E]) observeEnd(err error) {
	if c.observed != nil {
		c.s.Observer.CallEnd(c.ctx, c.observed, c.done.Load(), err)
	}
}

// observedRun runs the run of tasks t, observed: its tasks get the context
// the observer returns.
func (l *Lifecycle[St, A, R, E]) observedRun(t *Tasks[A, R]) Completion[E] {
	l.observed = ObservedRun{Task: l.fn.Name, Worker: l.id, Start: t.Start, Tasks: len(t.Args), Began: time.Now()}
	t.Ctx = l.obs.Run(t.Ctx, &l.observed)
	l.observing = t.Ctx
	comp := l.run(t, false)
	l.endRun(comp)
	return comp
}

// endRun tells the observer how the run in progress ended, if it observes
// one.
func (l *Lifecycle[St, A, R, E]) endRun(comp Completion[E]) {
	if ctx := l.observing; ctx != nil {
		l.observing = nil
		l.obs.RunEnd(ctx, &l.observed, comp.N, comp.Err)
	}
}

// observe tells the lifecycle's observer, if any, of an event of its
// worker's life; ended tells that it ends a worker that started.
func (l *Lifecycle[St, A, R, E]) observe(ctx context.Context, ev WorkerEvent, err error, ended bool) {
	if l.obs != nil {
		l.obs.Worker(ctx, ObservedWorker{Task: l.fn.Name, Worker: l.id, Event: ev, Err: err, Ended: ended})
	}
}

// Observe makes o the observer of the lifecycle's workers' lives; runs
// tells that it is told of each run too, as a pool's slots tell it. (A
// worker's Server tells its observer of its traced runs itself.)
func (l *Lifecycle[St, A, R, E]) Observe(o Observer, runs bool) {
	l.obs, l.runs = o, runs && o != nil
}

// ObserverOf returns the observer that opts set, for a worker that takes
// no other option; others tells that they set something else too.
func ObserverOf(opts []Option) (o Observer, others bool) {
	var s Settings
	for _, opt := range opts {
		opt.apply(&s)
	}
	o, s.Observer = s.Observer, nil
	return o, !reflect.DeepEqual(s, Settings{})
}
