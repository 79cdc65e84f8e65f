package otelmpire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/remote"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// A worker process never runs main, so it has no exporter: it records the
// spans of a traced chunk in memory, and sends them back with the chunk's
// results (remote.SetProcessObserver), in the encoding of this file. The
// caller checks them as it checks everything a worker sends, and emits
// them again through its own tracer provider (relay).

func init() { remote.SetProcessObserver(&recorder{}) }

// Bounds of the spans of one chunk, on both sides.
const (
	maxSpans    = 1024 // spans sent back with one chunk
	maxBuffered = 4096 // spans a worker process keeps between two chunks
	maxAttrs    = 128  // attributes of a span, an event or a link
	maxEvents   = 128  // events of a span
	maxLinks    = 128  // links of a span
	maxDepth    = 4    // nesting of attribute values (slices, maps)
	maxElems    = 4096 // elements of a slice attribute
	maxValueLen = 4096 // bytes of a string attribute, in a worker
	// maxValues bounds the values of one reply: attributes, elements of
	// slice attributes, events and links. One byte on the wire can stand
	// for a value that takes tens of bytes decoded (an empty element of a
	// slice attribute): the bound keeps decoding a reply within a small
	// multiple of its bytes.
	maxValues   = 1 << 16
	relayFormat = 1 // the version of the encoding
)

// recorder is the engine.Observer of traced chunks in a worker process: it
// records their spans with a tracer provider of its own, which it makes
// the process's global one at the first traced chunk, and hands them back
// to the reply.
type recorder struct {
	once sync.Once
	tp   *sdktrace.TracerProvider

	mu      sync.Mutex
	ended   []sdktrace.ReadOnlySpan // since the last reply
	dropped int                     // spans of the buffer's trace that did not fit
}

func (r *recorder) setUp() {
	r.once.Do(func() {
		r.tp = sdktrace.NewTracerProvider(
			sdktrace.WithSpanProcessor(r),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
			sdktrace.WithSpanLimits(sdktrace.SpanLimits{
				AttributeValueLengthLimit:   maxValueLen,
				AttributeCountLimit:         maxAttrs,
				EventCountLimit:             maxEvents,
				LinkCountLimit:              maxLinks,
				AttributePerEventCountLimit: maxAttrs,
				AttributePerLinkCountLimit:  maxAttrs,
			}),
			sdktrace.WithAttributeValueDepthLimit(maxDepth),
		)
		otel.SetTracerProvider(r.tp)
	})
}

func (r *recorder) Run(ctx context.Context, run *engine.ObservedRun) context.Context {
	if run.Trace == nil {
		return ctx
	}
	parent := propagator.Extract(ctx, run.Trace)
	if sc := trace.SpanContextFromContext(parent); !sc.IsSampled() {
		// Nothing to record: the tasks still see the caller's trace.
		return parent
	}
	r.setUp()
	ctx, _ = r.tp.Tracer(scope).Start(parent, run.Task+" worker", trace.WithAttributes(
		attribute.Int("mpire.worker", int(run.Worker)), attribute.Int("mpire.chunk.tasks", run.Tasks)))
	return context.WithValue(ctx, workerSpanKey{}, true)
}

func (r *recorder) RunEnd(ctx context.Context, _ *engine.ObservedRun, _ int, err error) []byte {
	if ctx.Value(workerSpanKey{}) == nil {
		return nil
	}
	span := trace.SpanFromContext(ctx)
	fail(span, err)
	span.End()
	return r.take(span.SpanContext())
}

// take returns the encoding of the spans of the trace of the chunk's span
// sc ended since the last call, within the bounds of a reply, and forgets
// every span it holds. The chunk's span comes first, so that the spans
// under it keep their place when some are left out.
func (r *recorder) take(sc trace.SpanContext) []byte {
	r.mu.Lock()
	ended, dropped := r.ended, r.dropped
	r.ended, r.dropped = nil, 0
	r.mu.Unlock()
	mine := ended[:0]
	for _, s := range ended {
		if s.SpanContext().TraceID() == sc.TraceID() {
			mine = append(mine, s)
			if s.SpanContext().SpanID() == sc.SpanID() {
				copy(mine[1:], mine[:len(mine)-1])
				mine[0] = s
			}
		}
	}
	return encodeSpans(mine, dropped)
}

// OnEnd keeps an ended span for the next reply; recorder is the
// SpanProcessor of its tracer provider.
func (r *recorder) OnEnd(s sdktrace.ReadOnlySpan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ended) < maxBuffered {
		r.ended = append(r.ended, s)
	} else {
		r.dropped++
	}
}

func (r *recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (r *recorder) Shutdown(context.Context) error                  { return nil }
func (r *recorder) ForceFlush(context.Context) error                { return nil }

func (r *recorder) Call(ctx context.Context, _ *engine.ObservedCall) context.Context { return ctx }
func (r *recorder) CallEnd(context.Context, *engine.ObservedCall, int64, error)      {}
func (r *recorder) Worker(context.Context, engine.ObservedWorker)                    {}
func (r *recorder) Retry(context.Context, engine.ObservedRetry)                      {}
func (r *recorder) Failed(context.Context, *engine.TaskError)                        {}
func (r *recorder) Waiting(context.Context, string, int)                             {}
func (r *recorder) Inject(context.Context, engine.Carrier)                           {}
func (r *recorder) Relay(context.Context, []byte)                                    {}

// A span as it crosses: what a tracer provider needs to make it again.
type relayed struct {
	traceID        trace.TraceID
	id, parent     trace.SpanID
	name           string
	kind           trace.SpanKind
	start, end     time.Time
	status         codes.Code
	description    string
	scope, version string
	attrs          []attribute.KeyValue
	events         []relayedEvent
	links          []trace.Link
}

type relayedEvent struct {
	name  string
	at    time.Time
	attrs []attribute.KeyValue
}

// encodeSpans encodes spans, as many as fit a reply's bounds; dropped
// counts those lost before, to which it adds the ones left out.
func encodeSpans(spans []sdktrace.ReadOnlySpan, dropped int) []byte {
	if len(spans) == 0 && dropped == 0 {
		return nil
	}
	var body []byte
	n, values := 0, 0
	var one []byte
	for _, s := range spans {
		var v int
		one = appendSpan(one[:0], s, &v)
		if n == maxSpans || len(body)+len(one)+2*binary.MaxVarintLen64+1 > wire.MaxSpans || values+v > maxValues {
			dropped++
			continue
		}
		body = append(body, one...)
		n++
		values += v
	}
	b := make([]byte, 0, len(body)+2*binary.MaxVarintLen64+1)
	b = append(b, relayFormat)
	b = binary.AppendUvarint(b, uint64(dropped))
	b = binary.AppendUvarint(b, uint64(n))
	return append(b, body...)
}

// appendSpan appends the encoding of s to b, and adds its values to
// *values: the count that the decoder charges to a reply's maxValues.
func appendSpan(b []byte, s sdktrace.ReadOnlySpan, values *int) []byte {
	sc := s.SpanContext()
	tid, sid, pid := sc.TraceID(), sc.SpanID(), s.Parent().SpanID()
	b = append(b, tid[:]...)
	b = append(b, sid[:]...)
	b = append(b, pid[:]...)
	b = appendString(b, s.Name())
	b = append(b, byte(s.SpanKind()))
	b = binary.AppendVarint(b, s.StartTime().UnixNano())
	b = binary.AppendVarint(b, s.EndTime().UnixNano())
	st := s.Status()
	b = append(b, byte(st.Code))
	b = appendString(b, st.Description)
	sco := s.InstrumentationScope()
	b = appendString(b, sco.Name)
	b = appendString(b, sco.Version)
	b = appendAttrs(b, s.Attributes(), values)
	events := s.Events()
	b = appendCount(b, len(events), maxEvents, values)
	for _, e := range events {
		b = appendString(b, e.Name)
		b = binary.AppendVarint(b, e.Time.UnixNano())
		b = appendAttrs(b, e.Attributes, values)
	}
	links := s.Links()
	b = appendCount(b, len(links), maxLinks, values)
	for _, l := range links {
		lt, ls := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		b = append(b, lt[:]...)
		b = append(b, ls[:]...)
		b = appendAttrs(b, l.Attributes, values)
	}
	return b
}

// appendCount appends a count of n values, of at most limit, and adds them
// to *values; past limit, which the decoder refuses, it adds more than a
// reply holds, so that the span is left out.
func appendCount(b []byte, n, limit int, values *int) []byte {
	if n > limit {
		*values += maxValues + 1
	}
	*values += n
	return binary.AppendUvarint(b, uint64(n))
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendAttrs(b []byte, kvs []attribute.KeyValue, values *int) []byte {
	b = appendCount(b, len(kvs), maxAttrs, values)
	for _, kv := range kvs {
		b = appendString(b, string(kv.Key))
		b = appendValue(b, kv.Value, values)
	}
	return b
}

func appendValue(b []byte, v attribute.Value, values *int) []byte {
	b = append(b, byte(v.Type()))
	switch v.Type() {
	case attribute.BOOL:
		b = appendBool(b, v.AsBool())
	case attribute.INT64:
		b = binary.AppendVarint(b, v.AsInt64())
	case attribute.FLOAT64:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		b = appendString(b, v.AsString())
	case attribute.BYTESLICE:
		b = appendString(b, string(v.AsByteSlice()))
	case attribute.BOOLSLICE:
		xs := v.AsBoolSlice()
		b = appendCount(b, len(xs), maxElems, values)
		for _, x := range xs {
			b = appendBool(b, x)
		}
	case attribute.INT64SLICE:
		xs := v.AsInt64Slice()
		b = appendCount(b, len(xs), maxElems, values)
		for _, x := range xs {
			b = binary.AppendVarint(b, x)
		}
	case attribute.FLOAT64SLICE:
		xs := v.AsFloat64Slice()
		b = appendCount(b, len(xs), maxElems, values)
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	case attribute.STRINGSLICE:
		xs := v.AsStringSlice()
		b = appendCount(b, len(xs), maxElems, values)
		for _, x := range xs {
			b = appendString(b, x)
		}
	case attribute.SLICE:
		xs := v.AsSlice()
		b = appendCount(b, len(xs), maxElems, values)
		for _, x := range xs {
			b = appendValue(b, x, values)
		}
	case attribute.MAP:
		b = appendAttrs(b, v.AsMap(), values)
	}
	return b
}

func appendBool(b []byte, x bool) []byte {
	if x {
		return append(b, 1)
	}
	return append(b, 0)
}

// errMalformed is wrapped by every error of decodeSpans, with
// wire.ErrMalformed.
var errMalformed = errors.New("mpire: spans from a worker process")

// decodeSpans decodes what encodeSpans wrote, checking every count and
// length against the bytes it has: a worker process is another program,
// and its bytes are not trusted.
func decodeSpans(b []byte) (spans []relayed, dropped int, err error) {
	d := &decoder{Decoder: wire.NewDecoder(b), values: maxValues}
	if v := d.Byte(); d.Err() == nil && v != relayFormat {
		d.Fail(fmt.Sprintf("format %d", v))
	}
	if v := d.Uvarint(); v > math.MaxInt32 {
		d.Fail(fmt.Sprintf("%d spans dropped", v))
	} else {
		dropped = int(v)
	}
	n := d.count(maxSpans)
	// A span takes at least 32 bytes of ids: no room is made for more
	// than the bytes hold.
	spans = make([]relayed, 0, min(n, d.Len()/32))
	for range n {
		if d.Err() != nil {
			break
		}
		spans = append(spans, d.span())
	}
	if d.Err() == nil && d.Len() > 0 {
		d.Fail(fmt.Sprintf("%d bytes after the spans", d.Len()))
	}
	if err := d.Err(); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return spans, dropped, nil
}

// A decoder reads spans with wire's decoder, and charges the values it
// reads to the reply's.
type decoder struct {
	*wire.Decoder
	values int // values left to the reply (maxValues)
}

// count reads a count of at most limit things, each of at least one byte:
// never more than the bytes left.
func (d *decoder) count(limit int) int {
	v := d.Uvarint()
	if v > uint64(limit) || v > uint64(d.Len()) {
		d.Fail(fmt.Sprintf("a count of %d", v))
		return 0
	}
	return int(v)
}

// valueCount reads a count of at most limit values, as count does, and
// charges them to the reply's values.
func (d *decoder) valueCount(limit int) int {
	n := d.count(limit)
	if n > d.values {
		d.Fail(fmt.Sprintf("more than %d values", maxValues))
		return 0
	}
	d.values -= n
	return n
}

func (d *decoder) string() string { return string(d.Bytes()) }

func (d *decoder) time() time.Time { return time.Unix(0, d.Varint()) }

func (d *decoder) span() relayed {
	var s relayed
	copy(s.traceID[:], d.Take(16))
	copy(s.id[:], d.Take(8))
	copy(s.parent[:], d.Take(8))
	s.name = d.string()
	s.kind = trace.SpanKind(d.Byte())
	s.start, s.end = d.time(), d.time()
	s.status = codes.Code(d.Byte())
	s.description = d.string()
	s.scope, s.version = d.string(), d.string()
	s.attrs = d.attrs(0)
	switch {
	case d.Err() != nil:
	case !s.traceID.IsValid() || !s.id.IsValid():
		d.Fail("a span without ids")
	case s.kind > trace.SpanKindConsumer:
		d.Fail(fmt.Sprintf("a span of kind %d", s.kind))
	case s.status > codes.Ok:
		d.Fail(fmt.Sprintf("a status of code %d", s.status))
	case s.end.Before(s.start):
		d.Fail("a span that ends before it starts")
	}
	if n := d.valueCount(maxEvents); n > 0 {
		s.events = make([]relayedEvent, n)
		for i := range s.events {
			s.events[i] = relayedEvent{name: d.string(), at: d.time(), attrs: d.attrs(0)}
		}
	}
	if n := d.valueCount(maxLinks); n > 0 {
		s.links = make([]trace.Link, n)
		for i := range s.links {
			var tid trace.TraceID
			var sid trace.SpanID
			copy(tid[:], d.Take(16))
			copy(sid[:], d.Take(8))
			s.links[i] = trace.Link{
				SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}),
				Attributes:  d.attrs(0),
			}
		}
	}
	return s
}

func (d *decoder) attrs(depth int) []attribute.KeyValue {
	n := d.valueCount(maxAttrs)
	if n == 0 {
		return nil
	}
	kvs := make([]attribute.KeyValue, 0, n)
	for range n {
		k := d.string()
		v := d.value(depth)
		if d.Err() != nil {
			return nil
		}
		kvs = append(kvs, attribute.KeyValue{Key: attribute.Key(k), Value: v})
	}
	return kvs
}

func (d *decoder) value(depth int) attribute.Value {
	if depth > maxDepth {
		d.Fail("attribute values nested too deep")
		return attribute.Value{}
	}
	switch t := attribute.Type(d.Byte()); t {
	case attribute.EMPTY:
		return attribute.Value{}
	case attribute.BOOL:
		return attribute.BoolValue(d.bool())
	case attribute.INT64:
		return attribute.Int64Value(d.Varint())
	case attribute.FLOAT64:
		return attribute.Float64Value(d.float())
	case attribute.STRING:
		return attribute.StringValue(d.string())
	case attribute.BYTESLICE:
		return attribute.ByteSliceValue([]byte(d.string()))
	case attribute.BOOLSLICE:
		return attribute.BoolSliceValue(elems(d, d.bool))
	case attribute.INT64SLICE:
		return attribute.Int64SliceValue(elems(d, d.Varint))
	case attribute.FLOAT64SLICE:
		return attribute.Float64SliceValue(elems(d, d.float))
	case attribute.STRINGSLICE:
		return attribute.StringSliceValue(elems(d, d.string))
	case attribute.SLICE:
		return attribute.SliceValue(elems(d, func() attribute.Value { return d.value(depth + 1) })...)
	case attribute.MAP:
		return attribute.MapValue(d.attrs(depth + 1)...)
	default:
		d.Fail(fmt.Sprintf("an attribute of type %d", t))
		return attribute.Value{}
	}
}

// elems reads a count, then as many elements with read: never more than
// the bytes left, each element taking one at least, nor than the reply's
// values left.
func elems[T any](d *decoder, read func() T) []T {
	xs := make([]T, d.valueCount(maxElems))
	for i := range xs {
		xs[i] = read()
	}
	return xs
}

func (d *decoder) bool() bool {
	switch d.Byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.Fail("a malformed bool")
	return false
}

func (d *decoder) float() float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(d.Take(8)))
}

// relay emits again, through tp, the spans that a worker process recorded
// for the chunk whose context is ctx: under the chunk's span, each under
// its parent, with new span ids, which tp makes. Spans of another trace
// than the chunk's are dropped: a worker process can add spans to its
// caller's trace, nowhere else.
func relay(ctx context.Context, tp trace.TracerProvider, b []byte) {
	chunk := trace.SpanFromContext(ctx)
	spans, dropped, err := decodeSpans(b)
	if err != nil {
		chunk.AddEvent("mpire.relay.malformed", trace.WithAttributes(attribute.String("error.message", err.Error())))
		return
	}
	id := chunk.SpanContext().TraceID()
	byID := make(map[trace.SpanID]int, len(spans))
	for i, s := range spans {
		if _, dup := byID[s.id]; dup || s.traceID != id {
			dropped++
			spans[i].traceID = trace.TraceID{} // not emitted
			continue
		}
		byID[s.id] = i
	}
	if dropped > 0 {
		chunk.SetAttributes(attribute.Int("mpire.relay.dropped_spans", dropped))
	}
	made := make([]context.Context, len(spans))
	const (
		todo = iota
		making
		done
	)
	state := make([]int8, len(spans))
	// emit makes span i after its parent, when its parent came with it;
	// a span whose parent did not come, or that is its own ancestor,
	// goes under the chunk's span.
	var emit func(i int) context.Context
	emit = func(i int) context.Context {
		switch state[i] {
		case done:
			return made[i]
		case making:
			return ctx
		}
		state[i] = making
		s := &spans[i]
		parent := ctx
		if j, ok := byID[s.parent]; ok {
			parent = emit(j)
		}
		made[i] = remake(parent, tp, s)
		state[i] = done
		return made[i]
	}
	for i := range spans {
		if spans[i].traceID.IsValid() {
			emit(i)
		}
	}
}

// remake makes span s again under parent, through tp, and returns the
// context of the span made.
func remake(parent context.Context, tp trace.TracerProvider, s *relayed) context.Context {
	attrs := append(s.attrs[:len(s.attrs):len(s.attrs)], attribute.String("mpire.worker.span_id", s.id.String()))
	var tracer trace.Tracer
	if relayScopes.admit(s.scope, s.version) {
		tracer = tp.Tracer(s.scope, trace.WithInstrumentationVersion(s.version))
	} else {
		tracer = tp.Tracer(scope)
		attrs = append(attrs, attribute.String("mpire.worker.scope", s.scope), attribute.String("mpire.worker.scope_version", s.version))
	}
	ctx, span := tracer.Start(parent, s.name, trace.WithTimestamp(s.start), trace.WithSpanKind(s.kind),
		trace.WithAttributes(attrs...), trace.WithLinks(s.links...))
	for _, e := range s.events {
		span.AddEvent(e.name, trace.WithTimestamp(e.at), trace.WithAttributes(e.attrs...))
	}
	if s.status != codes.Unset {
		span.SetStatus(s.status, s.description)
	}
	span.End(trace.WithTimestamp(s.end))
	return ctx
}

// A tracer provider keeps the tracer of every instrumentation scope it is
// asked for, for ever: the scopes of relayed spans, which a worker process
// names, are bounded, in number and length, for the whole program. The
// spans of the others are made with this package's scope, and name theirs
// in mpire.worker.scope and mpire.worker.scope_version.
const (
	maxScopes   = 64
	maxScopeLen = 256
)

var relayScopes = scopeSet{m: map[[2]string]struct{}{}}

type scopeSet struct {
	mu sync.Mutex
	m  map[[2]string]struct{}
}

// admit reports whether relayed spans may be made with the scope of that
// name and version: the first maxScopes seen are.
func (s *scopeSet) admit(name, version string) bool {
	if len(name)+len(version) > maxScopeLen {
		return false
	}
	key := [2]string{name, version}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return true
	}
	if len(s.m) == maxScopes {
		return false
	}
	s.m[key] = struct{}{}
	return true
}
