package otelmpire_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

func TestMain(m *testing.M) {
	// nats.go v1.55.0 starts this goroutine once per JetStream context that
	// publishes asynchronously (the object store does), and may leave it
	// blocked on a nil channel after the connection closed.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/nats-io/nats.go/jetstream.(*jetStream).resetPendingAcksOnReconnect"))
}

// recorded is what a test's providers record: every span ended, and the
// metrics read on demand.
type recorded struct {
	tp     *sdktrace.TracerProvider
	spans  *tracetest.InMemoryExporter
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
}

func newRecorded(t *testing.T) *recorded {
	r := &recorded{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(r.spans))
	r.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		r.tp.Shutdown(context.Background())
		r.mp.Shutdown(context.Background())
	})
	return r
}

// instrument is the option under test, recording to r.
func (r *recorded) instrument() mpire.Option {
	return otelmpire.Instrument(otelmpire.WithTracerProvider(r.tp), otelmpire.WithMeterProvider(r.mp))
}

// named returns the spans ended with that name.
func (r *recorded) named(name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range r.spans.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// one returns the one span ended with that name.
func (r *recorded) one(t *testing.T, name string) tracetest.SpanStub {
	t.Helper()
	spans := r.named(name)
	if len(spans) != 1 {
		t.Fatalf("%d spans named %q, want 1; all: %v", len(spans), name, r.names())
	}
	return spans[0]
}

func (r *recorded) names() []string {
	var names []string
	for _, s := range r.spans.GetSpans() {
		names = append(names, s.Name)
	}
	return names
}

// sum returns the value of an int64 sum metric for the data point whose
// attributes include want; ok false when there is none.
func (r *recorded) sum(t *testing.T, name string, want ...attribute.KeyValue) (v int64, ok bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			s, isSum := m.Data.(metricdata.Sum[int64])
			if !isSum {
				t.Fatalf("%s is a %T", name, m.Data)
			}
			for _, dp := range s.DataPoints {
				if has(dp.Attributes, want) {
					return dp.Value, true
				}
			}
		}
	}
	return 0, false
}

// histogramCount returns how many values a histogram metric recorded.
func (r *recorded) histogramCount(t *testing.T, name string) uint64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == name {
				for _, dp := range h.DataPoints {
					n += dp.Count
				}
			}
		}
	}
	return n
}

func has(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// attr returns the value of a span's attribute.
func attr(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func wantAttr(t *testing.T, s tracetest.SpanStub, key string, want attribute.Value) {
	t.Helper()
	if got, ok := attr(s, key); !ok || got != want {
		t.Errorf("span %q: %s = %v (present %v), want %v", s.Name, key, got.Emit(), ok, want.Emit())
	}
}

// taskSpan starts and ends a span in a task, from the task's context, with
// the tracer provider of the span there: the way instrumentation libraries
// find theirs.
func taskSpan(ctx context.Context, x int) {
	_, span := trace.SpanFromContext(ctx).TracerProvider().Tracer("task").Start(ctx, "task span",
		trace.WithAttributes(attribute.Int("x", x)))
	span.End()
}

func TestACallIsASpanUnderItsContextsWithItsChunksAndTasksUnderIt(t *testing.T) {
	r := newRecorded(t)
	ctx, parent := r.tp.Tracer("test").Start(context.Background(), "parent")
	var empty atomic.Int64
	xs := make([]int, 100)
	for i := range xs {
		xs[i] = i
	}
	ys, err := mpire.Map(ctx, xs, func(ctx context.Context, x int) (int, error) {
		if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
			empty.Add(1)
		}
		taskSpan(ctx, x)
		return x * x, nil
	}, mpire.WithJobs(2), mpire.WithChunkSize(10), r.instrument())
	parent.End()
	if err != nil || len(ys) != 100 || ys[9] != 81 {
		t.Fatalf("Map: %v, %v", ys, err)
	}
	if empty.Load() != 0 {
		t.Errorf("%d tasks saw no span in their context", empty.Load())
	}
	name := "otelmpire_test.TestACallIsASpanUnderItsContextsWithItsChunksAndTasksUnderIt.func1"
	call := r.one(t, name)
	if call.Parent.SpanID() != parent.SpanContext().SpanID() || call.SpanContext.TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("the call's span is not a child of the context's span")
	}
	for key, want := range map[string]attribute.Value{
		"mpire.task":            attribute.StringValue(name),
		"mpire.method":          attribute.StringValue("Map"),
		"mpire.tasks":           attribute.IntValue(100),
		"mpire.jobs":            attribute.IntValue(2),
		"mpire.chunk_size":      attribute.IntValue(10),
		"mpire.where":           attribute.StringValue("goroutines"),
		"mpire.tasks.completed": attribute.Int64Value(100),
	} {
		wantAttr(t, call, key, want)
	}
	if call.Status.Code != codes.Unset {
		t.Errorf("the call's status: %v", call.Status)
	}
	chunks := r.named(name + " chunk")
	if len(chunks) != 10 {
		t.Fatalf("%d chunk spans, want 10", len(chunks))
	}
	chunkIDs := map[trace.SpanID]bool{}
	covered := 0
	for _, c := range chunks {
		if c.Parent.SpanID() != call.SpanContext.SpanID() {
			t.Errorf("chunk %v is not a child of the call", c.Attributes)
		}
		chunkIDs[c.SpanContext.SpanID()] = true
		n, _ := attr(c, "mpire.chunk.tasks")
		covered += int(n.AsInt64())
	}
	if covered != 100 {
		t.Errorf("the chunks cover %d tasks", covered)
	}
	tasks := r.named("task span")
	if len(tasks) != 100 {
		t.Fatalf("%d task spans, want 100", len(tasks))
	}
	for _, s := range tasks {
		if !chunkIDs[s.Parent.SpanID()] || s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
			t.Fatalf("task span %v is not under a chunk of the call", s.Attributes)
		}
	}
	if n, _ := r.sum(t, "mpire.tasks", attribute.String("mpire.outcome", "completed"), attribute.String("mpire.task", name)); n != 100 {
		t.Errorf("mpire.tasks completed: %d, want 100", n)
	}
	if n, ok := r.sum(t, "mpire.tasks", attribute.String("mpire.outcome", "failed")); ok && n != 0 {
		t.Errorf("mpire.tasks failed: %d", n)
	}
	if n := r.histogramCount(t, "mpire.task.duration"); n != 10 {
		t.Errorf("mpire.task.duration: %d values, want one per chunk, 10", n)
	}
	for _, m := range []string{"mpire.calls.active", "mpire.workers", "mpire.workers.busy"} {
		if n, ok := r.sum(t, m); !ok || n != 0 {
			t.Errorf("%s after the call: %d (recorded %v), want 0", m, n, ok)
		}
	}
}

func TestAFailedCallsSpanHasItsError(t *testing.T) {
	r := newRecorded(t)
	boom := errors.New("boom")
	xs := make([]int, 50)
	for i := range xs {
		xs[i] = i
	}
	_, err := mpire.Map(context.Background(), xs, func(ctx context.Context, x int) (int, error) {
		if x == 7 {
			return 0, boom
		}
		return x, nil
	}, mpire.WithJobs(2), mpire.WithChunkSize(5), r.instrument())
	if !errors.Is(err, boom) {
		t.Fatalf("Map: %v", err)
	}
	name := "otelmpire_test.TestAFailedCallsSpanHasItsError.func1"
	call := r.one(t, name)
	if call.Status.Code != codes.Error || !strings.Contains(call.Status.Description, "boom") {
		t.Errorf("the call's status: %+v", call.Status)
	}
	if !slices.ContainsFunc(call.Events, func(e sdktrace.Event) bool { return e.Name == "exception" }) {
		t.Errorf("no exception event on the call's span: %v", call.Events)
	}
	failedChunks := 0
	for _, c := range r.named(name + " chunk") {
		if c.Status.Code == codes.Error {
			failedChunks++
			wantAttr(t, c, "mpire.chunk.start", attribute.IntValue(5))
		}
	}
	if failedChunks != 1 {
		t.Errorf("%d failed chunks, want 1", failedChunks)
	}
	if n, _ := r.sum(t, "mpire.tasks", attribute.String("mpire.outcome", "failed")); n != 1 {
		t.Errorf("mpire.tasks failed: %d, want 1", n)
	}
	done, _ := attr(call, "mpire.tasks.completed")
	if n, _ := r.sum(t, "mpire.tasks", attribute.String("mpire.outcome", "completed")); n != done.AsInt64() {
		t.Errorf("mpire.tasks completed: %d, the call completed %d", n, done.AsInt64())
	}
}

func TestWorkerRestartsAndDeathsAreCountedAndOnTheCallsSpan(t *testing.T) {
	r := newRecorded(t)
	xs := make([]int, 50)
	for i := range xs {
		xs[i] = i
	}
	// Each chunk of 5 reaches the lifespan: 10 restarts.
	if _, err := mpire.Map(context.Background(), xs, func(ctx context.Context, x int) (int, error) { return x, nil },
		mpire.WithJobs(2), mpire.WithChunkSize(5), mpire.WithWorkerLifespan(5), r.instrument()); err != nil {
		t.Fatal(err)
	}
	lifespan := attribute.String("mpire.reason", "lifespan")
	if n, _ := r.sum(t, "mpire.worker.restarts", lifespan); n != 10 {
		t.Errorf("restarts for lifespan: %d, want 10", n)
	}
	// A task that ends its goroutine kills its worker.
	_, err := mpire.Map(context.Background(), []int{1, 2, 3}, func(ctx context.Context, x int) (int, error) {
		if x == 2 {
			runtime.Goexit()
		}
		return x, nil
	}, mpire.WithJobs(1), mpire.WithChunkSize(1), r.instrument())
	if !errors.Is(err, mpire.ErrWorkerDied) {
		t.Fatalf("Map: %v", err)
	}
	if n, _ := r.sum(t, "mpire.worker.restarts", attribute.String("mpire.reason", "died")); n != 1 {
		t.Errorf("restarts for deaths: %d, want 1", n)
	}
	if n, _ := r.sum(t, "mpire.workers"); n != 0 {
		t.Errorf("mpire.workers after the calls: %d, want 0", n)
	}
	call := r.one(t, "otelmpire_test.TestWorkerRestartsAndDeathsAreCountedAndOnTheCallsSpan.func2")
	i := slices.IndexFunc(call.Events, func(e sdktrace.Event) bool { return e.Name == "mpire.worker.died" })
	if i < 0 {
		t.Fatalf("no mpire.worker.died event on the call's span: %v", call.Events)
	}
	if !has(attribute.NewSet(call.Events[i].Attributes...), []attribute.KeyValue{attribute.Int("mpire.index", 1), attribute.String("mpire.phase", "task")}) {
		t.Errorf("the death's event: %v", call.Events[i].Attributes)
	}
}
