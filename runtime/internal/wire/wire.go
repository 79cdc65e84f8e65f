// Package wire is what crosses a process boundary between a pool and its
// workers, whether they are child processes (package proc) or cluster
// workers (package cluster): a run request, the reply with its outcome, and
// the error that says how a worker's function failed. Both transports carry
// the same bytes.
//
// Every decoder here validates before it trusts: counts within the request,
// indices in range, sizes bounded by the bytes actually received, parts that
// agree with each other. A malformed message is an error, never a panic, a
// large allocation or a wrong result.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
)

// A Phase is the worker function a request ran.
type Phase uint8

const (
	// PhaseInit is the worker's init function.
	PhaseInit Phase = iota + 1
	// PhaseRun is a run of tasks.
	PhaseRun
	// PhaseExit is the worker's exit function.
	PhaseExit
)

func (p Phase) String() string {
	switch p {
	case PhaseInit:
		return "init"
	case PhaseRun:
		return "run"
	case PhaseExit:
		return "exit"
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// A Kind says how a worker's function failed.
type Kind uint8

const (
	// Failed: it returned an error.
	Failed Kind = iota
	// Panicked: it panicked; Error.Stack holds the stack.
	Panicked
	// TimedOut: it reached its time limit and the worker gave up on it; it
	// may still run there.
	TimedOut
	// Canceled: it returned its context's cancellation.
	Canceled
	// DeadlineExceeded: it returned its context's deadline.
	DeadlineExceeded
	// Died: the worker running it died (its goroutine ended, runtime.Goexit).
	Died
	// Refused: the worker would not run it (it was built from other code).
	Refused

	lastKind = Refused
)

// An Error is a worker function's failure as it crosses: plain data, from
// which the pool's side rebuilds its own error types.
type Error struct {
	Phase     Phase
	Kind      Kind
	Permanent bool   // marked as not worth retrying (mpire.Permanent)
	Index     int    // PhaseRun: the failing task, within the request; -1 when none
	Msg       string // the error's text, or the panic value's
	Stack     []byte // Panicked: the panicking goroutine's stack
}

// permanentBit marks a permanent error in the byte of its Kind: a reply
// without one reads as it did before the mark existed.
const permanentBit = 0x80

func (e *Error) Error() string {
	if e.Kind == Panicked {
		return "panic: " + e.Msg
	}
	return e.Msg
}

// A Request asks a worker to run a chunk of tasks.
type Request struct {
	Tasks       int           // the number of tasks encoded in Args
	TaskTimeout time.Duration // each task's time limit; 0: none
	Trace       TraceContext  // the caller's trace context; nil when the call is not traced
	Args        []byte        // the tasks' arguments, as the task's codecs encode them
}

// A TraceContext is the trace context of a traced run, as OpenTelemetry's
// propagators write it into a carrier (W3C traceparent, tracestate and
// baggage): it has the methods of a TextMapCarrier.
type TraceContext map[string]string

// Get returns the value of key.
func (t TraceContext) Get(key string) string { return t[key] }

// Set sets the value of key.
func (t TraceContext) Set(key, value string) { t[key] = value }

// Keys returns the keys, sorted.
func (t TraceContext) Keys() []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Bounds of a trace context: a few fields (W3C's traceparent and
// tracestate, and baggage), each within the sizes their specifications
// allow.
const (
	MaxTraceFields = 8
	MaxTraceKey    = 64
	MaxTraceValue  = 8192
)

// CheckTrace returns why t is not a trace context within the bounds; nil
// when it is.
func CheckTrace(t TraceContext) error {
	if len(t) > MaxTraceFields {
		return fmt.Errorf("%w: a trace context of %d fields", ErrMalformed, len(t))
	}
	for k, v := range t {
		if k == "" || len(k) > MaxTraceKey || len(v) > MaxTraceValue {
			return fmt.Errorf("%w: a trace context field of %d bytes named in %d", ErrMalformed, len(v), len(k))
		}
	}
	return nil
}

// AppendRequest appends the encoding of r to b.
func AppendRequest(b []byte, r *Request) []byte {
	b = binary.AppendUvarint(b, uint64(r.Tasks))
	b = binary.AppendVarint(b, int64(r.TaskTimeout))
	b = binary.AppendUvarint(b, uint64(len(r.Trace)))
	for _, k := range r.Trace.Keys() {
		b = appendBytes(b, []byte(k))
		b = appendBytes(b, []byte(r.Trace[k]))
	}
	return append(b, r.Args...)
}

// ParseRequest decodes a request; Args aliases b.
func ParseRequest(b []byte) (Request, error) {
	d := Decoder{b: b}
	r := Request{Tasks: d.count(), TaskTimeout: time.Duration(d.Varint())}
	if d.err == nil && r.TaskTimeout < 0 {
		d.Fail("a negative time limit")
	}
	if n := d.Uvarint(); n > MaxTraceFields {
		d.Fail(fmt.Sprintf("a trace context of %d fields", n))
	} else if n > 0 {
		r.Trace = make(TraceContext, n)
		for range n {
			k, v := d.Bytes(), d.Bytes()
			if d.err == nil && (len(k) == 0 || len(k) > MaxTraceKey || len(v) > MaxTraceValue) {
				d.Fail(fmt.Sprintf("a trace context field of %d bytes named in %d", len(v), len(k)))
			}
			if _, dup := r.Trace[string(k)]; dup && d.err == nil {
				d.Fail(fmt.Sprintf("the trace context field %q twice", k))
			}
			r.Trace[string(k)] = string(v)
		}
		if d.err != nil {
			r.Trace = nil
		}
	}
	r.Args = d.b
	return r, d.err
}

// A Reply is a worker's answer to one request.
type Reply struct {
	N       int           // PhaseRun: the tasks completed, from the first
	Took    time.Duration // how long the worker ran the request
	Err     *Error        // the failure; nil when none
	Spans   []byte        // PhaseRun of a traced request: the spans the worker recorded, to relay; at most MaxSpans bytes
	Payload []byte        // PhaseRun: the results of the first N tasks; PhaseExit: the exit value
	// Entries (PhaseRun) says that Payload holds the results one by one,
	// as entries (NextEntry), not in one encoding of all of them: the
	// results that a worker process recorded in its ledger before it died.
	// It is never encoded: the endpoint that read the results sets it.
	Entries bool
}

// MaxSpans bounds the spans a reply carries, in bytes.
const MaxSpans = 1 << 20

// AppendReply appends the encoding of r to b.
func AppendReply(b []byte, r *Reply) []byte {
	b = binary.AppendUvarint(b, uint64(r.N))
	b = binary.AppendUvarint(b, uint64(max(r.Took, 0)))
	if e := r.Err; e == nil {
		b = append(b, 0)
	} else {
		kind := byte(e.Kind)
		if e.Permanent {
			kind |= permanentBit
		}
		b = append(b, 1, byte(e.Phase), kind)
		b = binary.AppendVarint(b, int64(e.Index))
		b = appendBytes(b, []byte(e.Msg))
		b = appendBytes(b, e.Stack)
	}
	b = appendBytes(b, r.Spans)
	return append(b, r.Payload...)
}

// ParseReply decodes the reply to a request of phase, which held tasks tasks
// (0 outside PhaseRun), and checks that it can answer it: no more tasks
// completed than were asked for, and fewer only with an error, a failing
// task right after the completed ones, and an error of the request's phase. The payload aliases b.
func ParseReply(b []byte, phase Phase, tasks int) (Reply, error) {
	d := Decoder{b: b}
	r := Reply{N: d.count(), Took: time.Duration(d.Uvarint())}
	if d.err == nil && r.N > tasks {
		d.Fail(fmt.Sprintf("%d tasks completed of the %d asked for", r.N, tasks))
	}
	if r.Took < 0 {
		d.Fail("a negative duration")
	}
	switch d.Byte() {
	case 0:
	case 1:
		e := &Error{Phase: Phase(d.Byte())}
		kind := d.Byte()
		e.Kind, e.Permanent = Kind(kind&^permanentBit), kind&permanentBit != 0
		e.Index = int(d.Varint())
		e.Msg = string(d.Bytes())
		e.Stack = d.Bytes()
		r.Err = e
		switch {
		case d.err != nil:
		case e.Phase != phase && (phase != PhaseRun || e.Phase != PhaseInit || e.Index != -1):
			// A worker that runs its init with its first run (a cluster
			// worker) may answer a run with its init's failure.
			d.Fail(fmt.Sprintf("an error of phase %v in reply to %v", e.Phase, phase))
		case e.Kind > lastKind:
			d.Fail(fmt.Sprintf("an error of unknown kind %d", e.Kind))
		case e.Index != -1 && (phase != PhaseRun || e.Index != r.N || e.Index >= tasks):
			d.Fail(fmt.Sprintf("an error at task %d after %d completed of %d", e.Index, r.N, tasks))
		}
	default:
		d.Fail("a malformed error flag")
	}
	if spans := d.Bytes(); len(spans) > MaxSpans {
		d.Fail(fmt.Sprintf("%d bytes of spans", len(spans)))
	} else if len(spans) > 0 {
		r.Spans = spans
	}
	if d.err == nil && phase == PhaseRun && r.N < tasks && r.Err == nil {
		// A worker runs every task it is given until one fails: the
		// pool's side, not the worker, stops a call.
		d.Fail(fmt.Sprintf("%d tasks completed of the %d asked for, and none failed", r.N, tasks))
	}
	r.Payload = d.b
	return r, d.err
}

// Entries: a worker process records the result of each task in its ledger
// as the task completes (package proc), one entry each: the length of the
// result's encoding as a uvarint, then the encoding of that one result
// alone, by the task's codec.

// AppendEntry appends an entry holding enc to b.
func AppendEntry(b, enc []byte) []byte { return appendBytes(b, enc) }

// NextEntry splits the first entry off b: its encoding, and the entries
// after it. An entry longer than what b holds is an error.
func NextEntry(b []byte) (enc, rest []byte, err error) {
	d := Decoder{b: b}
	enc = d.Bytes()
	return enc, d.b, d.err
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// ErrMalformed is wrapped by the error of every message that does not
// decode.
var ErrMalformed = errors.New("a malformed message")

// A Decoder reads the fields of a message, each bounded by the bytes left:
// the first error sticks, wraps ErrMalformed, and makes the reads after it
// return zeros. The messages of this package are read with one, and so is
// any other encoding that crosses a process boundary (the spans of package
// otelmpire).
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder returns a decoder of b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err returns the first error of d, nil when none.
func (d *Decoder) Err() error { return d.err }

// Len returns the number of bytes left: none after an error.
func (d *Decoder) Len() int { return len(d.b) }

// Fail makes d fail, saying why, unless it failed before: the first
// reason is the one kept.
func (d *Decoder) Fail(why string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, why)
	}
	d.b = nil
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if len(d.b) == 0 {
		d.Fail("it ends early")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// Take reads a field of n bytes, n being the caller's (a fixed size), not
// the message's: past the end it fails, and returns n zeros.
func (d *Decoder) Take(n int) []byte {
	if n > len(d.b) {
		d.Fail("it ends early")
		return make([]byte, n)
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.Fail("a malformed number")
		return 0
	}
	d.b = d.b[k:]
	return v
}

// Varint reads a signed varint.
func (d *Decoder) Varint() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.Fail("a malformed number")
		return 0
	}
	d.b = d.b[k:]
	return v
}

// count reads a count of tasks: it fits an int32, far more than any
// message holds.
func (d *Decoder) count() int {
	v := d.Uvarint()
	if v > maxCount {
		d.Fail(fmt.Sprintf("a count of %d", v))
		return 0
	}
	return int(v)
}

const maxCount = 1<<31 - 1

// Bytes reads a field prefixed by its length as a uvarint, bounded by the
// bytes left. It aliases the decoder's bytes.
func (d *Decoder) Bytes() []byte {
	n := d.Uvarint()
	if n > uint64(len(d.b)) {
		d.Fail(fmt.Sprintf("a field of %d bytes where %d are left", n, len(d.b)))
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}
