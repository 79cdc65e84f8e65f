// Package otelmpire records what mpire's pools do as OpenTelemetry traces
// and metrics: one option, given to a pool's constructor or to mpire.Map
// and the other functions of a closure.
//
//	pool := NewPredictPool(ds, otelmpire.Instrument()) // the global providers
//	pool := NewPredictPool(ds, otelmpire.Instrument(
//		otelmpire.WithTracerProvider(tp), otelmpire.WithMeterProvider(mp)))
//
// A program that does not import this package links no OpenTelemetry code.
//
// # Traces
//
// Each call is a span, a child of the span in the call's context, named for
// the task function, with the attributes mpire.task, mpire.method (Map,
// IMap, Apply...), mpire.tasks (when known), mpire.jobs, mpire.chunk_size
// (when given) and mpire.where (goroutines, processes or cluster); at its
// end, mpire.tasks.completed, and on failure the error as its status and an
// exception event. Worker deaths, time limits, restarts, failed inits and
// retries are events of the call's span (mpire.worker.died, ...).
//
// Each run of tasks that a worker takes (a chunk) is a span, "TASK chunk",
// a child of the call's, with mpire.worker, mpire.chunk.start and
// mpire.chunk.tasks. The context of every task carries its chunk's span: a
// span the task starts from its ctx nests under the call, and
// trace.SpanFromContext(ctx) inside a task is never empty.
//
// In a worker process (mpire.WithProcesses), a task's context carries the
// caller's trace too: the W3C trace context goes with each chunk, and the
// worker process records the spans that end while it runs the chunk (its
// global tracer provider, and the tracer provider of the span in the
// task's context, record them) and sends them back with its results. The
// caller emits them again through its own tracer provider, where they join
// the trace under the chunk's span, with their names, kinds, times,
// attributes, events, links, status and instrumentation scope, and an
// attribute mpire.worker.span_id that holds the span id they had in the
// worker: the spans get new ids, which a tracer provider makes. A tracer
// provider keeps a tracer per scope for ever, so the scopes are bounded:
// beyond the first 64 that a program's worker processes name (or one
// longer than 256 bytes), spans are made with this package's scope and
// name theirs in mpire.worker.scope and mpire.worker.scope_version. The worker
// process records only the spans of sampled traces, at most 1024 spans,
// 65536 values (attributes, elements of slice attributes, events and
// links) and 1 MiB per chunk, and drops those that end after their chunk's
// reply. A
// worker process runs package initialisation, not main, and only the
// packages it initialises before it serves: import otelmpire in the
// task's package, or keep the task in package main, so that its worker
// processes can record.
//
// On a cluster (package cluster), the trace context travels in the headers
// of each chunk's message, as OpenTelemetry's propagators write them
// (traceparent, tracestate, baggage). A worker program given
// cluster.WithWorkerOptions(otelmpire.Instrument()) starts its span of the
// chunk, "TASK worker", under the caller's, and its tasks' spans join the
// caller's trace through the worker program's own tracer provider.
//
// # Metrics
//
// Through the meter named for this package:
//
//   - mpire.tasks (counter, {task}): tasks that completed or failed, with
//     mpire.task and mpire.outcome (completed or failed). A task is failed
//     once, when it fails for good: a failure that WithRetries runs again
//     is a retry (mpire.retries), and the task counts when its last
//     attempt ends, as the call's own counts do.
//   - mpire.task.duration (histogram, s): how long tasks take, recorded
//     once per chunk, as the mean of its tasks: tiny tasks are not timed
//     one by one (WithChunkSize(1) times each).
//   - mpire.calls.active (up-down counter, {call}): calls running.
//   - mpire.workers (up-down counter, {worker}): workers started and not
//     yet stopped.
//   - mpire.workers.busy (up-down counter, {worker}): workers running a
//     chunk.
//   - mpire.worker.restarts (counter, {restart}): workers ended by their
//     lifespan, a death or a time limit, with mpire.reason (lifespan, died,
//     timeout): the slot starts a new one for its next chunk.
//   - mpire.retries (counter, {retry}): failed tasks given another attempt.
//   - mpire.tasks.waiting (up-down counter, {task}): tasks of an iter.Seq
//     input held back by the bound of tasks active (WithMaxTasksActive):
//     while the tasks taken and not yet returned leave no room for the
//     next chunk, that chunk's tasks. Above zero, the input is read only as
//     fast as the workers and the caller take its tasks.
//
// Every metric has the attribute mpire.task.
package otelmpire

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// scope names the tracer and the meter of this package.
const scope = "github.com/mpire-go/mpire/runtime/otelmpire"

// An Option configures Instrument.
type Option interface{ apply(*config) }

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithTracerProvider records spans with tp instead of the global tracer
// provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithMeterProvider records metrics with mp instead of the global meter
// provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

// Instrument returns a pool option that records the pool's calls, chunks
// and workers as OpenTelemetry spans and metrics (see the package
// documentation), with the global tracer and meter providers unless opts
// say otherwise. The global providers are looked up when the spans and
// metrics are recorded: set them before or after, as you like.
func Instrument(opts ...Option) mpire.Option {
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	o := newObserver(c)
	return engine.PoolOption(func(s *engine.Settings) { s.Observe(o) })
}

// propagator writes and reads the trace context that crosses to workers:
// both ends are mpire's, so it is not the global one, which a program may
// leave unset.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// observer is the engine.Observer of Instrument.
type observer struct {
	tp     trace.TracerProvider
	tracer trace.Tracer

	tasks    metric.Int64Counter
	duration metric.Float64Histogram
	calls    metric.Int64UpDownCounter
	workers  metric.Int64UpDownCounter
	busy     metric.Int64UpDownCounter
	restarts metric.Int64Counter
	retries  metric.Int64Counter
	waiting  metric.Int64UpDownCounter

	sets sync.Map // task name -> *attrSets
}

// attrSets are the attributes of one task's measurements, made once.
type attrSets struct {
	task, completed, failed, lifespan, died, timedOut metric.MeasurementOption
}

func newObserver(c config) *observer {
	o := &observer{tp: c.tp, tracer: c.tp.Tracer(scope)}
	m := c.mp.Meter(scope)
	// An instrument that cannot be made is a no-op one, which the metric
	// API returns with the error: the pool runs unmeasured rather than not
	// at all.
	o.tasks, _ = m.Int64Counter("mpire.tasks", metric.WithUnit("{task}"),
		metric.WithDescription("Tasks that completed or failed."))
	o.duration, _ = m.Float64Histogram("mpire.task.duration", metric.WithUnit("s"),
		metric.WithDescription("How long tasks take: the mean of a chunk's tasks, once per chunk."))
	o.calls, _ = m.Int64UpDownCounter("mpire.calls.active", metric.WithUnit("{call}"),
		metric.WithDescription("Calls running."))
	o.workers, _ = m.Int64UpDownCounter("mpire.workers", metric.WithUnit("{worker}"),
		metric.WithDescription("Workers started and not yet stopped."))
	o.busy, _ = m.Int64UpDownCounter("mpire.workers.busy", metric.WithUnit("{worker}"),
		metric.WithDescription("Workers running a chunk of tasks."))
	o.restarts, _ = m.Int64Counter("mpire.worker.restarts", metric.WithUnit("{restart}"),
		metric.WithDescription("Workers ended by their lifespan, a death or a time limit."))
	o.retries, _ = m.Int64Counter("mpire.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Failed tasks given another attempt."))
	o.waiting, _ = m.Int64UpDownCounter("mpire.tasks.waiting", metric.WithUnit("{task}"),
		metric.WithDescription("Tasks of an input waiting for room under the bound of tasks active (WithMaxTasksActive)."))
	return o
}

// setsOf returns the attribute sets of task's measurements.
func (o *observer) setsOf(task string) *attrSets {
	if s, ok := o.sets.Load(task); ok {
		return s.(*attrSets)
	}
	t := attribute.String("mpire.task", task)
	with := func(kv ...attribute.KeyValue) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(append(kv, t)...))
	}
	s := &attrSets{
		task:      with(),
		completed: with(attribute.String("mpire.outcome", "completed")),
		failed:    with(attribute.String("mpire.outcome", "failed")),
		lifespan:  with(attribute.String("mpire.reason", "lifespan")),
		died:      with(attribute.String("mpire.reason", "died")),
		timedOut:  with(attribute.String("mpire.reason", "timeout")),
	}
	actual, _ := o.sets.LoadOrStore(task, s)
	return actual.(*attrSets)
}

// callSpanKey keeps a call's span in the contexts of its work, where the
// spans of its chunks hide it from trace.SpanFromContext.
type callSpanKey struct{}

// workerSpanKey marks the context of a chunk that a worker traces.
type workerSpanKey struct{}

func (o *observer) Call(ctx context.Context, c *engine.ObservedCall) context.Context {
	attrs := []attribute.KeyValue{
		attribute.String("mpire.task", c.Task),
		attribute.String("mpire.method", c.Method),
		attribute.Int("mpire.jobs", c.Jobs),
		attribute.String("mpire.where", c.Where),
	}
	if c.Tasks >= 0 {
		attrs = append(attrs, attribute.Int("mpire.tasks", c.Tasks))
	}
	if c.ChunkSize > 0 {
		attrs = append(attrs, attribute.Int("mpire.chunk_size", c.ChunkSize))
	}
	ctx, span := o.tracer.Start(ctx, c.Task, trace.WithAttributes(attrs...))
	o.calls.Add(ctx, 1, o.setsOf(c.Task).task)
	return context.WithValue(ctx, callSpanKey{}, span)
}

func (o *observer) CallEnd(ctx context.Context, c *engine.ObservedCall, done int64, err error) {
	o.calls.Add(ctx, -1, o.setsOf(c.Task).task)
	span, _ := ctx.Value(callSpanKey{}).(trace.Span)
	if span == nil {
		return
	}
	span.SetAttributes(attribute.Int64("mpire.tasks.completed", done))
	fail(span, err)
	span.End()
}

// fail records err, if not nil, as span's error.
func fail(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}

func (o *observer) Run(ctx context.Context, r *engine.ObservedRun) context.Context {
	if r.Trace != nil {
		// In a cluster worker: the chunk's span, under the caller's.
		parent := propagator.Extract(ctx, r.Trace)
		if !trace.SpanContextFromContext(parent).IsValid() {
			return ctx
		}
		ctx, _ = o.tracer.Start(parent, r.Task+" worker", trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(attribute.Int("mpire.worker", int(r.Worker)), attribute.Int("mpire.chunk.tasks", r.Tasks)))
		return context.WithValue(ctx, workerSpanKey{}, true)
	}
	o.busy.Add(ctx, 1, o.setsOf(r.Task).task)
	ctx, _ = o.tracer.Start(ctx, r.Task+" chunk", trace.WithAttributes(
		attribute.Int("mpire.worker", int(r.Worker)),
		attribute.Int("mpire.chunk.start", r.Start),
		attribute.Int("mpire.chunk.tasks", r.Tasks)))
	return ctx
}

func (o *observer) RunEnd(ctx context.Context, r *engine.ObservedRun, n int, err error) []byte {
	if r.Trace != nil {
		if ctx.Value(workerSpanKey{}) != nil {
			span := trace.SpanFromContext(ctx)
			fail(span, err)
			span.End()
		}
		return nil
	}
	sets := o.setsOf(r.Task)
	o.busy.Add(ctx, -1, sets.task)
	timed := n
	if taskFailed(err) {
		// Timed, but counted as failed only by Failed: it may be
		// retried into success.
		timed++
	}
	if n > 0 {
		o.tasks.Add(ctx, int64(n), sets.completed)
	}
	if timed > 0 {
		o.duration.Record(ctx, time.Since(r.Began).Seconds()/float64(timed), sets.task)
	}
	span := trace.SpanFromContext(ctx)
	if n < r.Tasks {
		span.SetAttributes(attribute.Int("mpire.tasks.completed", n))
	}
	fail(span, err)
	span.End()
	return nil
}

// taskFailed reports whether err is the failure of a task, not of a
// worker's init or exit.
func taskFailed(err error) bool {
	var te *mpire.TaskError
	return errors.As(err, &te) && te.Phase == mpire.PhaseTask
}

func (o *observer) Worker(ctx context.Context, w engine.ObservedWorker) {
	sets := o.setsOf(w.Task)
	switch w.Event {
	case engine.WorkerStarted:
		o.workers.Add(ctx, 1, sets.task)
		return
	case engine.WorkerRestarted:
		o.restarts.Add(ctx, 1, sets.lifespan)
	case engine.WorkerDied:
		o.restarts.Add(ctx, 1, sets.died)
	case engine.WorkerTimedOut:
		o.restarts.Add(ctx, 1, sets.timedOut)
	}
	if w.Ended {
		o.workers.Add(ctx, -1, sets.task)
	}
	if w.Event == engine.WorkerStopped && w.Err == nil {
		return
	}
	attrs := []attribute.KeyValue{attribute.Int("mpire.worker", int(w.Worker))}
	var te *mpire.TaskError
	if errors.As(w.Err, &te) {
		attrs = append(attrs, attribute.String("mpire.phase", te.Phase.String()))
		if te.Index >= 0 {
			attrs = append(attrs, attribute.Int("mpire.index", te.Index))
		}
		attrs = append(attrs, attribute.String("error.message", te.Err.Error()))
	} else if w.Err != nil {
		attrs = append(attrs, attribute.String("error.message", w.Err.Error()))
	}
	callSpan(ctx).AddEvent(workerEvents[w.Event], trace.WithAttributes(attrs...))
}

// workerEvents name the span events of a worker's life.
var workerEvents = map[engine.WorkerEvent]string{
	engine.WorkerStarted:    "mpire.worker.started",
	engine.WorkerInitFailed: "mpire.worker.init_failed",
	engine.WorkerStopped:    "mpire.worker.exit_failed", // told only when the exit failed
	engine.WorkerRestarted:  "mpire.worker.restarted",
	engine.WorkerDied:       "mpire.worker.died",
	engine.WorkerTimedOut:   "mpire.worker.timed_out",
}

// callSpan returns the span of the call whose work ctx is the context of,
// or else the span in ctx.
func callSpan(ctx context.Context) trace.Span {
	if span, ok := ctx.Value(callSpanKey{}).(trace.Span); ok {
		return span
	}
	return trace.SpanFromContext(ctx)
}

func (o *observer) Retry(ctx context.Context, r engine.ObservedRetry) {
	o.retries.Add(ctx, 1, o.setsOf(r.Task).task)
	attrs := []attribute.KeyValue{
		attribute.Int("mpire.worker", int(r.Worker)),
		attribute.Int("mpire.index", r.Index),
		attribute.Int("mpire.attempt", r.Attempt),
	}
	if r.Err != nil {
		attrs = append(attrs, attribute.String("error.message", r.Err.Error()))
	}
	callSpan(ctx).AddEvent("mpire.retry", trace.WithAttributes(attrs...))
}

func (o *observer) Failed(ctx context.Context, te *engine.TaskError) {
	o.tasks.Add(ctx, 1, o.setsOf(te.Func).failed)
}

func (o *observer) Waiting(ctx context.Context, task string, n int) {
	o.waiting.Add(ctx, int64(n), o.setsOf(task).task)
}

func (o *observer) Inject(ctx context.Context, carrier engine.Carrier) {
	propagator.Inject(ctx, carrier)
}

func (o *observer) Relay(ctx context.Context, spans []byte) {
	relay(ctx, o.tp, spans)
}
