//go:build linux

package otelmpire_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

// These tests run real worker processes: the test binary started again,
// serving the task registered below from package initialisation, as
// generated code registers a portable task. This package imports
// otelmpire, which is initialised first: its worker processes record.

// The arguments that make workTask misbehave.
const (
	killTask  = -1 // SIGKILL to itself
	manyTask  = -2 // starts more spans than a reply carries
	deepTask  = -3 // starts spans nested in each other, with every kind of attribute
	childTask = -4 // starts a span with the global tracer provider
	exitTask  = -5 // ends its goroutine (runtime.Goexit) after a span
	traceTask = -6 // returns the traceNumber of the trace its context carries
)

// workTask starts a span in its worker process, from its context, and
// returns the process's id.
func workTask(ctx context.Context, x int) (int, error) {
	switch x {
	case killTask:
		fmt.Fprintln(os.Stderr, "the task kills its worker")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case manyTask:
		tracer := trace.SpanFromContext(ctx).TracerProvider().Tracer("task")
		for range 2000 {
			_, span := tracer.Start(ctx, "one of many")
			span.End()
		}
	case deepTask:
		tracer := trace.SpanFromContext(ctx).TracerProvider().Tracer("task", trace.WithInstrumentationVersion("v1.2.3"))
		ctx1, outer := tracer.Start(ctx, "outer", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.Bool("b", true), attribute.Int64("i", -7), attribute.Float64("f", 0.5), attribute.String("s", "text"),
			attribute.BoolSlice("bs", []bool{true, false}), attribute.Int64Slice("is", []int64{1, 2}),
			attribute.Float64Slice("fs", []float64{1.5}), attribute.StringSlice("ss", []string{"a", "b"}),
			attribute.ByteSlice("bytes", []byte{0, 1}), attribute.Slice("slice", attribute.IntValue(1), attribute.StringValue("x")),
			attribute.Map("map", attribute.String("k", "v"))))
		_, inner := tracer.Start(ctx1, "inner")
		inner.AddEvent("happened", trace.WithAttributes(attribute.Int("n", 1)))
		inner.RecordError(errors.New("inner failed"))
		inner.End()
		outer.End()
	case childTask:
		_, span := otel.Tracer("global").Start(ctx, "with the global provider")
		span.End()
	case traceTask:
		return traceNumber(trace.SpanFromContext(ctx).SpanContext().TraceID()), nil
	case exitTask:
		_, span := otel.Tracer("global").Start(ctx, "before Goexit")
		span.End()
		runtime.Goexit()
	default:
		_, span := trace.SpanFromContext(ctx).TracerProvider().Tracer("task").Start(ctx, "in the worker",
			trace.WithAttributes(attribute.Int("x", x), attribute.Int("pid", os.Getpid())))
		span.End()
	}
	return os.Getpid(), nil
}

// traceNumber is 63 bits of a trace id, as a task's result.
func traceNumber(id trace.TraceID) int { return int(binary.BigEndian.Uint64(id[:8]) >> 1) }

func workFunc() mpireimpl.Func[struct{}, int, int, struct{}] {
	return mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "workTask",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if out[n], err = workTask(w.Context(), args[n]); err != nil {
					return n, err
				}
			}
			return n, nil
		},
		Format: func(a *int) string { return mpireimpl.FormatArgs("x", *a) },
	}
}

// workPortable is the hand-written form of the codecs that mpiregen writes
// for a portable task.
var workPortable = mpireimpl.Portable[struct{}, int, int, struct{}]{
	Task:          "github.com/mpire-go/mpire/runtime/otelmpire_test.workTask",
	AppendArgs:    flakytest.AppendInts,
	ReadArgs:      flakytest.ReadInts,
	AppendResults: flakytest.AppendInts,
	ReadResults: func(b []byte, out []int) error {
		got, err := flakytest.ReadInts(b, out[:0])
		if err == nil && len(got) != len(out) {
			err = fmt.Errorf("%d results for %d tasks", len(got), len(out))
		}
		return err
	},
	AppendExit: func(b []byte, _ *struct{}) []byte { return b },
	ReadExit:   func([]byte, *struct{}) error { return nil },
	Child: func([]byte) (mpireimpl.Func[struct{}, int, int, struct{}], error) {
		return workFunc(), nil
	},
}

func init() { mpireimpl.ServePortable(&workPortable) }

func newWorkPool(t *testing.T, opts ...mpire.Option) *mpireimpl.Pool[struct{}, int, int, struct{}] {
	t.Helper()
	fn := workFunc()
	fn.Portable = &workPortable
	p := mpireimpl.NewPool(fn, append([]mpire.Option{mpire.WithProcesses()}, opts...)...)
	t.Cleanup(func() {
		p.Close()
		noChildrenLeft(t)
	})
	return p
}

// noChildrenLeft fails the test when a worker process outlives its pool.
func noChildrenLeft(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", os.Getpid(), os.Getpid()))
		kids := strings.Fields(string(b))
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", os.Getpid()))
		for _, task := range tasks {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", os.Getpid(), task.Name()))
			kids = append(kids, strings.Fields(string(b))...)
		}
		if len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker processes %v outlive their pool", kids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSpansOfTasksInWorkerProcessesJoinTheCallersTrace(t *testing.T) {
	r := newRecorded(t)
	p := newWorkPool(t, mpire.WithJobs(2), r.instrument())
	ctx, parent := r.tp.Tracer("test").Start(context.Background(), "parent")
	pids, err := p.Map(ctx, []int{1, 2, 3, 4, 5, 6}, mpire.WithChunkSize(2))
	parent.End()
	if err != nil {
		t.Fatal(err)
	}
	if pids[0] == os.Getpid() {
		t.Fatal("the task ran in the test's process")
	}
	call := r.one(t, "workTask")
	wantAttr(t, call, "mpire.where", attribute.StringValue("processes"))
	chunks := map[trace.SpanID]bool{}
	for _, c := range r.named("workTask chunk") {
		if c.Parent.SpanID() != call.SpanContext.SpanID() {
			t.Errorf("a chunk's span is not under the call's")
		}
		chunks[c.SpanContext.SpanID()] = true
	}
	workers := map[trace.SpanID]bool{}
	for _, w := range r.named("workTask worker") {
		if !chunks[w.Parent.SpanID()] {
			t.Errorf("a worker's span is not under a chunk's")
		}
		if _, ok := attr(w, "mpire.worker.span_id"); !ok {
			t.Errorf("a relayed span has no mpire.worker.span_id")
		}
		workers[w.SpanContext.SpanID()] = true
	}
	if len(chunks) != 3 || len(workers) != 3 {
		t.Fatalf("%d chunk spans and %d worker spans, want 3 each; all: %v", len(chunks), len(workers), r.names())
	}
	seen := map[int64]bool{}
	for _, s := range r.named("in the worker") {
		if s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
			t.Errorf("a task's span is in trace %v, not the call's", s.SpanContext.TraceID())
		}
		if !workers[s.Parent.SpanID()] {
			t.Errorf("a task's span is not under its worker's span")
		}
		if pid, _ := attr(s, "pid"); pid.AsInt64() == int64(os.Getpid()) {
			t.Errorf("a task's span was made in the test's process")
		}
		if s.InstrumentationScope.Name != "task" {
			t.Errorf("a task's span has the scope %q", s.InstrumentationScope.Name)
		}
		x, _ := attr(s, "x")
		seen[x.AsInt64()] = true
	}
	if len(seen) != 6 {
		t.Errorf("spans of tasks %v, want 1 to 6", seen)
	}
}

func TestRelayedSpansKeepTheirShape(t *testing.T) {
	r := newRecorded(t)
	p := newWorkPool(t, mpire.WithJobs(1), r.instrument())
	if _, err := p.Map(context.Background(), []int{deepTask, childTask}); err != nil {
		t.Fatal(err)
	}
	outer, inner := r.one(t, "outer"), r.one(t, "inner")
	if inner.Parent.SpanID() != outer.SpanContext.SpanID() {
		t.Errorf("the inner span is not under the outer one")
	}
	if outer.SpanKind != trace.SpanKindClient || outer.InstrumentationScope.Version != "v1.2.3" {
		t.Errorf("the outer span: kind %v, scope %+v", outer.SpanKind, outer.InstrumentationScope)
	}
	if !inner.StartTime.Before(inner.EndTime) && !inner.StartTime.Equal(inner.EndTime) || inner.StartTime.Before(outer.StartTime) {
		t.Errorf("times: outer %v-%v, inner %v-%v", outer.StartTime, outer.EndTime, inner.StartTime, inner.EndTime)
	}
	for key, want := range map[string]attribute.Value{
		"b": attribute.BoolValue(true), "i": attribute.Int64Value(-7), "f": attribute.Float64Value(0.5),
		"s": attribute.StringValue("text"), "bs": attribute.BoolSliceValue([]bool{true, false}),
		"is": attribute.Int64SliceValue([]int64{1, 2}), "fs": attribute.Float64SliceValue([]float64{1.5}),
		"ss": attribute.StringSliceValue([]string{"a", "b"}),
	} {
		wantAttr(t, outer, key, want)
	}
	for _, key := range []string{"bytes", "slice", "map"} {
		if v, ok := attr(outer, key); !ok || v.Emit() == "" {
			t.Errorf("attribute %s: %v", key, v.Emit())
		}
	}
	if len(inner.Events) != 2 || inner.Events[0].Name != "happened" || inner.Events[1].Name != "exception" {
		t.Errorf("the inner span's events: %v", inner.Events)
	}
	r.one(t, "with the global provider")
}

func TestAWorkerProcessSendsBackNoMoreSpansThanItsBound(t *testing.T) {
	r := newRecorded(t)
	p := newWorkPool(t, mpire.WithJobs(1), r.instrument())
	if _, err := p.Map(context.Background(), []int{manyTask}); err != nil {
		t.Fatal(err)
	}
	got := len(r.named("one of many"))
	chunk := r.one(t, "workTask chunk")
	dropped, _ := attr(chunk, "mpire.relay.dropped_spans")
	// The worker's own span is one of the 1024.
	if got != 1023 || dropped.AsInt64() != 2001-1024 {
		t.Errorf("%d spans relayed, %d dropped; want 1023 and %d", got, dropped.AsInt64(), 2001-1024)
	}
	if len(r.named("workTask worker")) != 1 {
		t.Errorf("the worker's span was left out")
	}
}

func TestTasksOfAnUnsampledTraceSeeItInWorkerProcesses(t *testing.T) {
	r := newRecorded(t)
	unsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSyncer(r.spans))
	p := newWorkPool(t, mpire.WithJobs(1), otelmpire.Instrument(otelmpire.WithTracerProvider(unsampled)))
	ctx, parent := unsampled.Tracer("test").Start(context.Background(), "parent")
	defer parent.End()
	traces, err := p.Map(ctx, []int{traceTask, traceTask})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range traces {
		if id != traceNumber(parent.SpanContext().TraceID()) {
			t.Errorf("a task saw trace %x, want %x", id, traceNumber(parent.SpanContext().TraceID()))
		}
	}
	if n := len(r.spans.GetSpans()); n != 0 {
		t.Errorf("%d spans recorded", n)
	}
}

func TestAnUntracedCallSendsNoTraceToItsWorkers(t *testing.T) {
	r := newRecorded(t)
	p := newWorkPool(t, mpire.WithJobs(1))
	if _, err := p.Map(context.Background(), []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.spans.GetSpans()); n != 0 {
		t.Errorf("%d spans recorded", n)
	}
}

func TestTheLoggerTellsOfAKilledWorkerProcess(t *testing.T) {
	var logs bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := newWorkPool(t, mpire.WithJobs(1), mpire.WithLogger(l))
	_, err := p.Map(context.Background(), []int{1, killTask, 3}, mpire.WithChunkSize(1))
	if !errors.Is(err, mpire.ErrWorkerDied) {
		t.Fatalf("Map: %v", err)
	}
	var died string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"mpire: worker died"`) {
			died = line
		}
	}
	for _, want := range []string{`"level":"WARN"`, `"task":"workTask"`, `"worker":0`, `"index":1`, `"phase":"task"`, "killed", "the task kills its worker"} {
		if !strings.Contains(died, want) {
			t.Errorf("the record of the death lacks %s: %q\nall: %s", want, died, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"msg":"mpire: worker started"`) || !strings.Contains(logs.String(), `"level":"DEBUG"`) {
		t.Errorf("no record of a worker started: %s", logs.String())
	}
}

func TestKeptAliveWorkersAreCountedUntilClose(t *testing.T) {
	r := newRecorded(t)
	var logs bytes.Buffer
	p := newWorkPool(t, mpire.WithJobs(2), mpire.WithKeepAlive(), r.instrument(),
		mpire.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	for range 2 {
		if _, err := p.Apply(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Map(context.Background(), []int{1, 2, 3, 4}, mpire.WithChunkSize(1)); err != nil {
			t.Fatal(err)
		}
		if n, _ := r.sum(t, "mpire.workers"); n != 2 {
			t.Errorf("mpire.workers between calls: %d, want 2", n)
		}
	}
	p.Close()
	if n, _ := r.sum(t, "mpire.workers"); n != 0 {
		t.Errorf("mpire.workers after Close: %d, want 0", n)
	}
	if c := strings.Count(logs.String(), `msg="mpire: worker stopped"`); c != 2 {
		t.Errorf("%d records of a worker stopped, want 2: %s", c, logs.String())
	}
	methods := map[string]int{}
	for _, s := range r.named("workTask") {
		m, _ := attr(s, "mpire.method")
		methods[m.AsString()]++
	}
	if methods["Apply"] != 2 || methods["Map"] != 2 {
		t.Errorf("calls' spans by method: %v", methods)
	}
}

func TestAWorkerProcessWhoseTaskEndsItsGoroutineStillSendsItsSpans(t *testing.T) {
	r := newRecorded(t)
	p := newWorkPool(t, mpire.WithJobs(1), r.instrument())
	_, err := p.Map(context.Background(), []int{1, exitTask, 3}, mpire.WithChunkSize(3))
	if !errors.Is(err, mpire.ErrWorkerDied) {
		t.Fatalf("Map: %v", err)
	}
	worker := r.one(t, "workTask worker")
	if worker.Status.Code != codes.Error || !strings.Contains(worker.Status.Description, "Goexit") {
		t.Errorf("the worker's span: %+v", worker.Status)
	}
	if s := r.one(t, "before Goexit"); s.Parent.SpanID() != worker.SpanContext.SpanID() {
		t.Errorf("the task's span is not under the worker's")
	}
	r.one(t, "in the worker")
	// The pool goes on, traced.
	if _, err := p.Map(context.Background(), []int{4}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.named("in the worker")); n != 2 {
		t.Errorf("%d spans of tasks after the death, want 2", n)
	}
}

func TestAWorkerProcessKilledWhileIdleIsLoggedAndCountedBlamingNoTask(t *testing.T) {
	r := newRecorded(t)
	var logs bytes.Buffer
	p := newWorkPool(t, mpire.WithJobs(1), mpire.WithKeepAlive(), r.instrument(),
		mpire.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	pids, err := p.Map(context.Background(), []int{1})
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pids[0], syscall.SIGKILL)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pids[0])); !strings.Contains(string(stat), ") S ") && !strings.Contains(string(stat), ") R ") {
			break // gone, or a zombie
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker process does not die")
		}
	}
	if _, err := p.Map(context.Background(), []int{2, 3}); err != nil {
		t.Fatalf("a task was blamed for an idle death: %v", err)
	}
	if n, _ := r.sum(t, "mpire.worker.restarts", attribute.String("mpire.reason", "died")); n != 1 {
		t.Errorf("restarts for deaths: %d, want 1", n)
	}
	if n, _ := r.sum(t, "mpire.workers"); n != 1 {
		t.Errorf("mpire.workers: %d, want the new one", n)
	}
	var died string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"mpire: worker died"`) {
			died = line
		}
	}
	if !strings.Contains(died, `"level":"WARN"`) || !strings.Contains(died, "worker died") || strings.Contains(died, `"index"`) || strings.Contains(died, `"phase"`) {
		t.Errorf("the record of the idle death: %q\nall: %s", died, logs.String())
	}
}
