//go:build linux

package otelmpire_test

import (
	"context"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/cluster/devserver"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

// connect connects to url until the test ends.
func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestSpansOfTasksOnAClusterJoinTheCallersTraceThroughHeaders(t *testing.T) {
	srv, err := devserver.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	// The worker program exports its spans itself: its own providers.
	worker := newRecorded(t)
	serveCtx, stop := context.WithCancel(context.Background())
	var serving sync.WaitGroup
	// The administrator's user: this test is of traces, not of roles,
	// whose permissions and inboxes are package cluster's to test.
	js := connect(t, srv.AdminURL())
	serving.Add(1)
	go func() {
		defer serving.Done()
		if err := cluster.Serve(serveCtx, js, cluster.WithJobs(2),
			cluster.WithWorkerOptions(otelmpire.Instrument(otelmpire.WithTracerProvider(worker.tp)))); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		stop()
		serving.Wait()
	})

	caller := newRecorded(t)
	fn := workFunc()
	fn.Portable = &workPortable
	p := mpireimpl.NewPool(fn, cluster.On(connect(t, srv.AdminURL())), mpire.WithJobs(2), caller.instrument())
	defer p.Close()
	ctx, parent := caller.tp.Tracer("test").Start(context.Background(), "parent")
	if _, err := p.Map(ctx, []int{1, 2, 3, 4}, mpire.WithChunkSize(1)); err != nil {
		t.Fatal(err)
	}
	parent.End()

	call := caller.one(t, "workTask")
	wantAttr(t, call, "mpire.where", attribute.StringValue("cluster"))
	chunks := map[trace.SpanID]bool{}
	for _, c := range caller.named("workTask chunk") {
		chunks[c.SpanContext.SpanID()] = true
	}
	workers := map[trace.SpanID]bool{}
	for _, w := range worker.named("workTask worker") {
		if !chunks[w.Parent.SpanID()] || w.SpanContext.TraceID() != parent.SpanContext().TraceID() {
			t.Errorf("a worker's span is not under a chunk of the caller's trace")
		}
		workers[w.SpanContext.SpanID()] = true
	}
	tasks := worker.named("in the worker")
	if len(chunks) != 4 || len(workers) != 4 || len(tasks) != 4 {
		t.Fatalf("%d chunks, %d workers' spans and %d tasks' spans, want 4 each; the worker's: %v", len(chunks), len(workers), len(tasks), worker.names())
	}
	for _, s := range tasks {
		if !workers[s.Parent.SpanID()] || s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
			t.Errorf("a task's span is not under its worker's span, in the caller's trace")
		}
	}
	if n := len(caller.named("in the worker")); n != 0 {
		t.Errorf("%d spans of a cluster worker relayed to the caller: it exports its own", n)
	}
}

func TestAClusterWorkerTakesOnlyTheOptionsThatApplyToIt(t *testing.T) {
	err := cluster.Serve(context.Background(), nil, cluster.WithWorkerOptions(otelmpire.Instrument(), mpire.WithJobs(2)))
	if err == nil {
		t.Fatal("Serve took WithJobs as a worker option")
	}
}
