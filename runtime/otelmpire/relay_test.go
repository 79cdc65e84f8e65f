package otelmpire_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mpire-go/mpire/runtime/otelmpire"
)

// The spans of a worker process cross as bytes, which the caller checks
// before it believes them: a worker process is another program.

var (
	aTrace  = trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	another = trace.TraceID{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}
)

// stub is a span as a worker process may send it: in trace tid, with span
// id id under parent.
func stub(tid trace.TraceID, id, parent byte, name string) sdktrace.ReadOnlySpan {
	sc := func(t trace.TraceID, s byte) trace.SpanContext {
		if s == 0 {
			return trace.SpanContext{}
		}
		return trace.NewSpanContext(trace.SpanContextConfig{TraceID: t, SpanID: trace.SpanID{s}, TraceFlags: trace.FlagsSampled})
	}
	start := time.Unix(1700000000, 0)
	return tracetest.SpanStub{
		Name: name, SpanContext: sc(tid, id), Parent: sc(tid, parent), SpanKind: trace.SpanKindInternal,
		StartTime: start, EndTime: start.Add(time.Millisecond),
		Attributes: []attribute.KeyValue{attribute.String("k", "v")},
		Events:     []sdktrace.Event{{Name: "e", Time: start, Attributes: []attribute.KeyValue{attribute.Int("n", 1)}}},
		Links:      []sdktrace.Link{{SpanContext: sc(another, 5), Attributes: []attribute.KeyValue{attribute.Bool("b", true)}}},
		Status:     sdktrace.Status{Code: codes.Error, Description: "failed"},
	}.Snapshot()
}

// relayed relays b under a chunk's span of aTrace with id 0xcc and returns
// the spans made, and the chunk's span.
func relayed(t *testing.T, b []byte) (made []tracetest.SpanStub, chunk tracetest.SpanStub) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	parent := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: aTrace, SpanID: trace.SpanID{0xcc}, TraceFlags: trace.FlagsSampled}))
	ctx, span := tp.Tracer("test").Start(parent, "chunk")
	otelmpire.Relay(ctx, tp, b)
	span.End()
	for _, s := range exp.GetSpans() {
		if s.Name == "chunk" {
			chunk = s
		} else {
			made = append(made, s)
		}
	}
	return made, chunk
}

func byName(spans []tracetest.SpanStub, name string) tracetest.SpanStub {
	i := slices.IndexFunc(spans, func(s tracetest.SpanStub) bool { return s.Name == name })
	if i < 0 {
		return tracetest.SpanStub{}
	}
	return spans[i]
}

func TestRelayedSpansAreMadeUnderTheirChunkWithTheirParents(t *testing.T) {
	b := otelmpire.EncodeSpans([]sdktrace.ReadOnlySpan{
		stub(aTrace, 2, 1, "child"), // before its parent
		stub(aTrace, 1, 0xcc, "worker"),
		stub(aTrace, 3, 0x77, "orphan"), // its parent never came
		stub(another, 4, 1, "elsewhere"),
		stub(aTrace, 1, 0xcc, "same id"),
		stub(aTrace, 6, 7, "cycle a"),
		stub(aTrace, 7, 6, "cycle b"),
	}, 2)
	made, chunk := relayed(t, b)
	if len(made) != 5 {
		t.Fatalf("%d spans made, want 5: %v", len(made), made)
	}
	worker, child := byName(made, "worker"), byName(made, "child")
	if worker.Parent.SpanID() != chunk.SpanContext.SpanID() || child.Parent.SpanID() != worker.SpanContext.SpanID() {
		t.Errorf("parents: worker's %v, child's %v; chunk %v, worker %v", worker.Parent.SpanID(), child.Parent.SpanID(), chunk.SpanContext.SpanID(), worker.SpanContext.SpanID())
	}
	if o := byName(made, "orphan"); o.Parent.SpanID() != chunk.SpanContext.SpanID() {
		t.Errorf("the orphan is not under the chunk")
	}
	a, bb := byName(made, "cycle a"), byName(made, "cycle b")
	if a.Parent.SpanID() != chunk.SpanContext.SpanID() && bb.Parent.SpanID() != chunk.SpanContext.SpanID() {
		t.Errorf("a cycle of parents is not broken under the chunk")
	}
	for _, s := range made {
		if s.SpanContext.TraceID() != aTrace {
			t.Errorf("span %q made in trace %v", s.Name, s.SpanContext.TraceID())
		}
	}
	if v, _ := attr(chunk, "mpire.relay.dropped_spans"); v.AsInt64() != 4 {
		t.Errorf("dropped: %v, want 2 + another trace + a second id", v.Emit())
	}
	if worker.Status.Code != codes.Error || worker.Status.Description != "failed" || len(worker.Events) != 1 || len(worker.Links) != 1 || !worker.EndTime.Equal(worker.StartTime.Add(time.Millisecond)) {
		t.Errorf("the worker's span: %+v", worker)
	}
	if id, _ := attr(worker, "mpire.worker.span_id"); id.AsString() != (trace.SpanID{1}).String() {
		t.Errorf("mpire.worker.span_id: %v", id.Emit())
	}
}

func TestForgedSpansAreRefused(t *testing.T) {
	valid := otelmpire.EncodeSpans([]sdktrace.ReadOnlySpan{stub(aTrace, 1, 0xcc, "worker")}, 0)
	deep := attribute.StringValue("x")
	for range otelmpire.MaxDepth + 1 {
		deep = attribute.SliceValue(deep)
	}
	tooDeep := tracetest.SpanStub{Name: "deep", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: aTrace, SpanID: trace.SpanID{1}}),
		Attributes: []attribute.KeyValue{{Key: "deep", Value: deep}}}.Snapshot()
	for name, b := range map[string][]byte{
		"empty":             {},
		"another format":    append([]byte{2}, valid[1:]...),
		"cut":               valid[:len(valid)-1],
		"a byte more":       append(slices.Clone(valid), 0),
		"a huge count":      {1, 0, 0xff, 0xff, 0x03},
		"more than the max": {1, 0, 0x81, 0x08},
		"nested too deep":   otelmpire.EncodeSpans([]sdktrace.ReadOnlySpan{tooDeep}, 0),
		"no ids":            otelmpire.EncodeSpans([]sdktrace.ReadOnlySpan{stub(trace.TraceID{}, 0, 0, "none")}, 0),
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := otelmpire.DecodeSpans(b); !errors.Is(err, otelmpire.ErrMalformed) {
				t.Errorf("DecodeSpans: %v", err)
			}
			made, chunk := relayed(t, b)
			if len(made) != 0 || !slices.ContainsFunc(chunk.Events, func(e sdktrace.Event) bool { return e.Name == "mpire.relay.malformed" }) {
				t.Errorf("relayed %d spans; chunk's events %v", len(made), chunk.Events)
			}
		})
	}
}

func FuzzRelay(f *testing.F) {
	f.Add(otelmpire.EncodeSpans([]sdktrace.ReadOnlySpan{stub(aTrace, 1, 0xcc, "worker"), stub(aTrace, 2, 1, "child")}, 0))
	f.Add(otelmpire.EncodeSpans([]sdktrace.ReadOnlySpan{stub(aTrace, 6, 7, "a"), stub(aTrace, 7, 6, "b"), stub(another, 8, 0, "c")}, 3))
	f.Add([]byte{1, 0, 0xff, 0xff, 0x03})
	f.Fuzz(func(t *testing.T, b []byte) {
		spans, _, err := otelmpire.DecodeSpans(b)
		if err == nil && len(spans) > otelmpire.MaxSpans {
			t.Fatalf("%d spans decoded", len(spans))
		}
		made, _ := relayed(t, b)
		if err != nil && len(made) > 0 {
			t.Fatalf("malformed, and %d spans made", len(made))
		}
		for _, s := range made {
			if s.SpanContext.TraceID() != aTrace {
				t.Fatalf("a span made in trace %v", s.SpanContext.TraceID())
			}
		}
	})
}
