package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestReplyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		phase Phase
		tasks int
		rep   Reply
	}{
		{PhaseInit, 0, Reply{}},
		{PhaseRun, 2, Reply{N: 2, Spans: []byte("spans"), Payload: []byte("results")}},
		{PhaseRun, 2, Reply{N: 0, Err: &Error{Phase: PhaseRun, Index: 0, Msg: "failed"}, Spans: make([]byte, MaxSpans)}},
		{PhaseRun, 3, Reply{N: 3, Took: time.Second, Payload: []byte("results")}},
		{PhaseRun, 4, Reply{N: 1, Took: 5, Err: &Error{Phase: PhaseRun, Kind: DeadlineExceeded, Index: 1, Msg: "bad"}, Payload: []byte{1}}},
		{PhaseRun, 4, Reply{Err: &Error{Phase: PhaseInit, Kind: Failed, Index: -1, Msg: "init with the first run"}}},
		{PhaseInit, 0, Reply{Err: &Error{Phase: PhaseInit, Kind: Panicked, Index: -1, Msg: "boom", Stack: []byte("goroutine 1")}}},
		{PhaseExit, 0, Reply{Err: &Error{Phase: PhaseExit, Kind: Canceled, Index: -1}}},
		{PhaseExit, 0, Reply{Payload: []byte("exit value")}},
		{PhaseRun, 2, Reply{Err: &Error{Phase: PhaseRun, Kind: Failed, Permanent: true, Index: 0, Msg: "not worth retrying"}}},
		{PhaseRun, 2, Reply{N: 1, Err: &Error{Phase: PhaseRun, Kind: Panicked, Permanent: true, Index: 1, Msg: "boom", Stack: []byte("goroutine 1")}}},
	} {
		got, err := ParseReply(AppendReply(nil, &tc.rep), tc.phase, tc.tasks)
		if err != nil {
			t.Fatalf("%+v: %v", tc.rep, err)
		}
		if len(got.Payload) == 0 {
			got.Payload = nil
		}
		if got.Err != nil && len(got.Err.Stack) == 0 {
			got.Err.Stack = nil
		}
		if !reflect.DeepEqual(got, tc.rep) {
			t.Errorf("got %+v, want %+v", got, tc.rep)
		}
	}
}

// TestForgedReplies holds what a forged or broken reply must never do:
// claim more tasks than were asked for, name a task out of range, or claim
// bytes it does not have.
func TestForgedReplies(t *testing.T) {
	reply := func(r Reply) []byte { return AppendReply(nil, &r) }
	for _, tc := range []struct {
		name  string
		body  []byte
		phase Phase
		tasks int
	}{
		{"empty", nil, PhaseRun, 1},
		{"cut", []byte{1}, PhaseRun, 1},
		{"2^64-1 tasks with an error", append(binary.AppendUvarint(nil, 1<<64-1), 0, 1, byte(PhaseRun), 0, 1, 0, 0), PhaseRun, 2},
		{"more tasks than asked", reply(Reply{N: 3}), PhaseRun, 2},
		{"fewer tasks than asked, and no error", reply(Reply{N: 1}), PhaseRun, 2},
		{"no task, and no error", reply(Reply{}), PhaseRun, 2},
		{"tasks in reply to init", reply(Reply{N: 1}), PhaseInit, 0},
		{"an index past the chunk", reply(Reply{N: 2, Err: &Error{Phase: PhaseRun, Index: 2}}), PhaseRun, 2},
		{"an index before the completed", reply(Reply{N: 1, Err: &Error{Phase: PhaseRun, Index: 0}}), PhaseRun, 2},
		{"a negative index", reply(Reply{Err: &Error{Phase: PhaseRun, Index: -5}}), PhaseRun, 2},
		{"an index outside a run", reply(Reply{Err: &Error{Phase: PhaseExit, Index: 0}}), PhaseExit, 0},
		{"another phase", reply(Reply{Err: &Error{Phase: PhaseExit, Index: -1}}), PhaseRun, 2},
		{"an unknown kind", reply(Reply{Err: &Error{Phase: PhaseRun, Kind: lastKind + 1, Index: -1}}), PhaseRun, 2},
		{"an unknown kind, marked permanent", reply(Reply{Err: &Error{Phase: PhaseRun, Kind: lastKind + 1, Permanent: true, Index: -1}}), PhaseRun, 2},
		{"a bad error flag", []byte{0, 0, 7}, PhaseRun, 2},
		{"a message longer than the reply", []byte{0, 0, 1, byte(PhaseRun), 0, 1, 0xff, 0xff, 0x03, 'x'}, PhaseRun, 2},
		{"a stack longer than the reply", []byte{0, 0, 1, byte(PhaseRun), 0, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x08}, PhaseRun, 2},
		{"no spans field", []byte{1, 0, 0}, PhaseRun, 1},
		{"spans longer than the reply", []byte{1, 0, 0, 0x80, 0x01, 'x'}, PhaseRun, 1},
		{"spans over the bound", reply(Reply{N: 1, Spans: make([]byte, MaxSpans+1)}), PhaseRun, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseReply(tc.body, tc.phase, tc.tasks); !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseReply: %v, want ErrMalformed", err)
			}
		})
	}
}

func TestRequest(t *testing.T) {
	for _, want := range []Request{
		{Tasks: 64, TaskTimeout: time.Second, Args: []byte("args")},
		{Tasks: 1, Trace: TraceContext{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": ""}, Args: []byte("a")},
	} {
		got, err := ParseRequest(AppendRequest(nil, &want))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseRequest: %+v, %v; want %+v", got, err, want)
		}
		if err := CheckTrace(want.Trace); err != nil {
			t.Errorf("CheckTrace(%v): %v", want.Trace, err)
		}
	}
	// A trace context as a forger may write it: the count, then pairs.
	trace := func(fields ...string) []byte {
		b := binary.AppendVarint([]byte{1}, 0)
		b = binary.AppendUvarint(b, uint64(len(fields)/2))
		for _, f := range fields {
			b = appendBytes(b, []byte(f))
		}
		return append(b, "args"...)
	}
	many := make([]string, 2*(MaxTraceFields+1))
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	for _, body := range [][]byte{
		nil, {0x80}, {1, 1}, binary.AppendUvarint(nil, 1<<40),
		trace(many...),
		trace("", "empty key"),
		trace(strings.Repeat("k", MaxTraceKey+1), "v"),
		trace("k", strings.Repeat("v", MaxTraceValue+1)),
		trace("k", "v", "k", "twice"),
		append(binary.AppendVarint([]byte{1}, 0), 1, 3, 'k'), // a key cut short
	} {
		if _, err := ParseRequest(body); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseRequest(%x): %v", body, err)
		}
	}
	if err := CheckTrace(TraceContext{"k": strings.Repeat("v", MaxTraceValue+1)}); !errors.Is(err, ErrMalformed) {
		t.Errorf("CheckTrace of a long value: %v", err)
	}
}

func TestParts(t *testing.T) {
	var p Parts
	if _, done, err := p.Add("a", 1, 3, []byte("bb")); done || err != nil {
		t.Fatalf("part 1 of 3: done %v, %v", done, err)
	}
	p.Add("other", 0, 2, []byte("x"))
	if _, _, err := p.Add("a", 5, 10, []byte("?")); !errors.Is(err, ErrMalformed) {
		t.Errorf("a part of another count: %v", err)
	}
	if _, _, err := p.Add("a", 1, 3, []byte("bb")); !errors.Is(err, ErrMalformed) {
		t.Errorf("a part twice: %v", err)
	}
	p.Add("a", 2, 3, []byte("c"))
	whole, done, err := p.Add("a", 0, 3, []byte("a"))
	if !done || err != nil || string(whole) != "abbc" {
		t.Errorf("the whole message: %q, %v, %v", whole, done, err)
	}
	// Claims of many parts hold nothing but what came, and no more than
	// MaxMessages messages at once.
	for i := range 200 {
		p.Add(string(rune('A'+i)), 0, MaxParts, []byte{1})
	}
	if len(p.msgs) > MaxMessages || len(p.order) > MaxMessages {
		t.Errorf("%d messages kept", len(p.msgs))
	}
	for _, s := range []string{"", "1", "0/0", "2/2", "-1/2", "0/65537", "a/b", "1/2/3"} {
		if _, _, err := ParsePart(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePart(%q): %v", s, err)
		}
	}
	if i, k, err := ParsePart(FormatPart(3, 7)); i != 3 || k != 7 || err != nil {
		t.Errorf("ParsePart(FormatPart(3, 7)): %d, %d, %v", i, k, err)
	}
}

// checkReply checks what ParseReply promises of a reply it accepts.
func checkReply(t *testing.T, rep Reply, body []byte, phase Phase, tasks int) {
	if rep.N < 0 || rep.N > tasks {
		t.Fatalf("N %d of %d tasks", rep.N, tasks)
	}
	if phase == PhaseRun && rep.N < tasks && rep.Err == nil {
		t.Fatalf("N %d of %d tasks without an error", rep.N, tasks)
	}
	if e := rep.Err; e != nil {
		if e.Index != -1 && (e.Index != rep.N || e.Index >= tasks) {
			t.Fatalf("error at %d after %d of %d", e.Index, rep.N, tasks)
		}
		if len(e.Msg)+len(e.Stack) > len(body) {
			t.Fatalf("fields larger than the body")
		}
	}
	if len(rep.Payload) > len(body) {
		t.Fatalf("payload larger than the body")
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add(AppendReply(nil, &Reply{N: 2, Took: 3, Payload: []byte("xy")}), uint8(PhaseRun), 2)
	f.Add(AppendReply(nil, &Reply{N: 1, Err: &Error{Phase: PhaseRun, Kind: Panicked, Index: 1, Msg: "boom", Stack: []byte("stack")}}), uint8(PhaseRun), 2)
	f.Add(append(binary.AppendUvarint(nil, 1<<64-1), 0, 1, byte(PhaseRun), 0, 1, 0, 0), uint8(PhaseRun), 2)
	f.Add([]byte{0, 0, 1, byte(PhaseRun), 0, 1, 0xff, 0xff, 0x03}, uint8(PhaseRun), 2)
	f.Fuzz(func(t *testing.T, body []byte, phase uint8, tasks int) {
		if tasks < 0 {
			tasks = -tasks
		}
		rep, err := ParseReply(body, Phase(phase), tasks)
		if err != nil {
			return
		}
		checkReply(t, rep, body, Phase(phase), tasks)
		// What decodes encodes back to something that decodes the same.
		again, err := ParseReply(AppendReply(nil, &rep), Phase(phase), tasks)
		if err != nil || again.N != rep.N || !bytes.Equal(again.Payload, rep.Payload) || (again.Err == nil) != (rep.Err == nil) {
			t.Fatalf("re-encoded: %+v, %v; was %+v", again, err, rep)
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	f.Add(AppendRequest(nil, &Request{Tasks: 3, TaskTimeout: time.Second, Args: []byte("abc")}))
	f.Add(binary.AppendUvarint(nil, 1<<63))
	f.Add(AppendRequest(nil, &Request{Tasks: 1, Trace: TraceContext{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRequest(body)
		if err != nil {
			return
		}
		if r.Tasks < 0 || r.TaskTimeout < 0 || len(r.Args) > len(body) {
			t.Fatalf("accepted %+v", r)
		}
		if err := CheckTrace(r.Trace); err != nil {
			t.Fatalf("accepted a trace context out of bounds: %v", err)
		}
	})
}

func FuzzParts(f *testing.F) {
	f.Add("a", "0/2", []byte("x"), "5/10", []byte("y"), "1/2", []byte("z"))
	f.Add("a", "0/65536", []byte("x"), "0/65536", []byte("x"), "65535/65536", []byte{})
	f.Fuzz(func(t *testing.T, key, l1 string, d1 []byte, l2 string, d2 []byte, l3 string, d3 []byte) {
		var p Parts
		in := 0
		for _, part := range []struct {
			label string
			data  []byte
		}{{l1, d1}, {l2, d2}, {l3, d3}} {
			i, k, err := ParsePart(part.label)
			if err != nil {
				continue
			}
			in += len(part.data)
			whole, done, err := p.Add(key, i, k, part.data)
			if done && (err != nil || len(whole) > in) {
				t.Fatalf("a whole message of %d bytes from %d: %v", len(whole), in, err)
			}
		}
	})
}

func TestEntries(t *testing.T) {
	var b []byte
	want := [][]byte{{}, []byte("a"), bytes.Repeat([]byte("x"), 300)}
	for _, e := range want {
		b = AppendEntry(b, e)
	}
	for i, w := range want {
		e, rest, err := NextEntry(b)
		if err != nil || !bytes.Equal(e, w) {
			t.Fatalf("entry %d = %q, %v; want %q", i, e, err, w)
		}
		b = rest
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes left", len(b))
	}
	for _, bad := range [][]byte{nil, {2, 'x'}, {0x80}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		if e, rest, err := NextEntry(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("NextEntry(%q) = %q, %q, %v; want ErrMalformed", bad, e, rest, err)
		}
	}
}

func FuzzNextEntry(f *testing.F) {
	f.Add(AppendEntry(AppendEntry(nil, []byte("abc")), nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, rest, err := NextEntry(b)
		if err != nil {
			return
		}
		// The entry's length, the entry, what follows: b, cut in three.
		if k := len(b) - len(e) - len(rest); k < 1 || !bytes.Equal(b[k:k+len(e)], e) || !bytes.Equal(b[k+len(e):], rest) {
			t.Fatalf("NextEntry(%q) = %q, %q", b, e, rest)
		}
	})
}

func TestADecoderKeepsItsFirstErrorAndReadsZerosAfter(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		read func(d *Decoder)
		why  string
	}{
		{"a field longer than the bytes left", append(binary.AppendUvarint([]byte{7}, 5), "ab"...),
			func(d *Decoder) { d.Byte(); d.Bytes() }, "a field of 5 bytes where 2 are left"},
		{"a fixed field past the end", []byte{1, 2}, func(d *Decoder) { d.Take(3) }, "it ends early"},
		{"a byte past the end", nil, func(d *Decoder) { d.Byte() }, "it ends early"},
		{"a malformed number", []byte{0x80}, func(d *Decoder) { d.Varint() }, "a malformed number"},
		{"a failure of the caller's", []byte{1, 2, 3}, func(d *Decoder) { d.Fail("no reason") }, "no reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.b)
			tc.read(d)
			first := d.Err()
			if !errors.Is(first, ErrMalformed) || !strings.HasSuffix(first.Error(), ": "+tc.why) {
				t.Fatalf("error %v, want one of ErrMalformed saying %q", first, tc.why)
			}
			if d.Len() != 0 {
				t.Errorf("%d bytes left after an error", d.Len())
			}
			if c, u, v, f, s := d.Byte(), d.Uvarint(), d.Varint(), d.Take(4), d.Bytes(); c != 0 || u != 0 || v != 0 || !bytes.Equal(f, make([]byte, 4)) || s != nil {
				t.Errorf("reads after an error: %d, %d, %d, %v, %q; want zeros", c, u, v, f, s)
			}
			if d.Fail("later"); d.Err() != first {
				t.Errorf("error %v after another failure, want the first, %v", d.Err(), first)
			}
		})
	}
}
