package otelmpire_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mpire-go/mpire/runtime/internal/wire"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

// scopes is a tracer provider that counts the instrumentation scopes it is
// asked for: the SDK's keeps a tracer for each for ever.
type scopes struct {
	trace.TracerProvider
	mu    sync.Mutex
	seen  map[string]bool
	bytes int
}

func (s *scopes) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	c := trace.NewTracerConfig(opts...)
	key := name + "\x00" + c.InstrumentationVersion()
	s.mu.Lock()
	if !s.seen[key] {
		s.seen[key] = true
		s.bytes += len(key)
	}
	s.mu.Unlock()
	return s.TracerProvider.Tracer(name, opts...)
}

// TestForgedScopesDoNotGrowTheCallersTracerProvider: a worker process that
// names a new instrumentation scope in every span it sends must not make
// the caller's tracer provider keep a tracer, and its name, for each: over
// a long-lived pool, that is memory without bound.
func TestForgedScopesDoNotGrowTheCallersTracerProvider(t *testing.T) {
	// The scopes it fills are the whole program's: the other tests'
	// relayed spans keep theirs.
	t.Cleanup(otelmpire.ForgetRelayScopes)
	sdk := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter())))
	defer sdk.Shutdown(context.Background())
	tp := &scopes{TracerProvider: sdk, seen: map[string]bool{}}
	parent := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: aTrace, SpanID: trace.SpanID{0xcc}, TraceFlags: trace.FlagsSampled}))
	ctx, chunk := sdk.Tracer("test").Start(parent, "chunk")
	defer chunk.End()
	start := time.Unix(1700000000, 0)
	long := strings.Repeat("x", 900)
	for reply := range 20 {
		var spans []sdktrace.ReadOnlySpan
		for i := range otelmpire.MaxSpans {
			spans = append(spans, tracetest.SpanStub{
				Name:        "s",
				SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: aTrace, SpanID: trace.SpanID{byte(i >> 8), byte(i), 1}, TraceFlags: trace.FlagsSampled}),
				Parent:      chunk.SpanContext(),
				StartTime:   start, EndTime: start,
				InstrumentationScope: instrumentation.Scope{Name: fmt.Sprintf("%s-%d-%d", long, reply, i)},
			}.Snapshot())
		}
		otelmpire.Relay(ctx, tp, otelmpire.EncodeSpans(spans, 0))
	}
	if len(tp.seen) > 1000 || tp.bytes > 1<<20 {
		t.Errorf("the caller's tracer provider was asked for %d scopes (%d bytes of names) by one worker's spans", len(tp.seen), tp.bytes)
	}
}

// TestAForgedReplyCostsTheCallerMemoryInProportionToItsBytes: each byte of
// a slice attribute's element may stand for an empty value, which takes
// tens of bytes once decoded. A reply is bounded at 1 MiB; what the caller
// makes of it must stay within a small multiple of that.
func TestAForgedReplyCostsTheCallerMemoryInProportionToItsBytes(t *testing.T) {
	var span []byte
	span = append(span, aTrace[:]...)
	span = append(span, 1, 0, 0, 0, 0, 0, 0, 0) // its id
	span = append(span, 0xcc, 0, 0, 0, 0, 0, 0, 0)
	span = append(span, 0, 1, 0, 0, 0, 0, 0, 0) // name, kind, start, end, status, description, scope, version
	span = binary.AppendUvarint(span, 60)       // attributes
	for range 60 {
		span = append(span, 0, byte(attribute.SLICE))
		span = binary.AppendUvarint(span, 4096)
		span = append(span, make([]byte, 4096)...) // empty values
	}
	span = append(span, 0, 0) // events, links
	n := (wire.MaxSpans - 16) / len(span)
	b := binary.AppendUvarint([]byte{1, 0}, uint64(n))
	for range n {
		b = append(b, span...)
	}
	if len(b) > wire.MaxSpans {
		t.Fatalf("%d bytes", len(b))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	spans, _, err := otelmpire.DecodeSpans(b)
	runtime.ReadMemStats(&after)
	if err == nil && len(spans) != n {
		t.Fatalf("%d spans decoded of %d", len(spans), n)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16*uint64(len(b)) {
		t.Errorf("decoding %d bytes of spans allocated %d MiB", len(b), got>>20)
	}
}

// TestAWorkerSendsTheSpansThatFitAReplysValues: the sender keeps to the
// bound of values that the decoder enforces, leaving out the spans that do
// not fit, and counting them dropped, rather than sending a reply that the
// caller would refuse whole; a span with a slice longer than the decoder
// takes is left out too.
func TestAWorkerSendsTheSpansThatFitAReplysValues(t *testing.T) {
	long := make([]int64, 4000)
	withSlice := func(id byte, xs []int64) sdktrace.ReadOnlySpan {
		s := tracetest.SpanStubFromReadOnlySpan(stub(aTrace, id, 0, "s"))
		s.Attributes = []attribute.KeyValue{attribute.Int64Slice("xs", xs)}
		return s.Snapshot()
	}
	var spans []sdktrace.ReadOnlySpan
	spans = append(spans, withSlice(1, make([]int64, otelmpire.MaxElems+1)))
	for i := range 20 {
		spans = append(spans, withSlice(byte(2+i), long))
	}
	// A span's values: its attribute and the slice's elements, its event
	// and the event's attribute, its link and the link's attribute.
	per := 1 + len(long) + 2 + 2
	fit := otelmpire.MaxValues / per
	got, dropped, err := otelmpire.DecodeSpans(otelmpire.EncodeSpans(spans, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != fit || dropped != len(spans)-fit {
		t.Errorf("%d spans sent and %d dropped, want %d and %d", len(got), dropped, fit, len(spans)-fit)
	}
}
