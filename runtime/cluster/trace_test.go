package cluster

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// A chunk's trace context comes in its headers, from whoever published it:
// a worker takes the W3C fields within wire's bounds, and nothing else.
func TestTheTraceContextOfAChunkIsTakenFromItsHeadersWithinBounds(t *testing.T) {
	parent := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, tc := range []struct {
		name string
		h    nats.Header
		want wire.TraceContext
	}{
		{"none", nats.Header{hSeq: {"1"}}, nil},
		{"traceparent", nats.Header{"traceparent": {parent}, hSeq: {"1"}}, wire.TraceContext{"traceparent": parent}},
		{"all three", nats.Header{"traceparent": {parent}, "tracestate": {"a=b"}, "baggage": {"k=v"}}, wire.TraceContext{"traceparent": parent, "tracestate": "a=b", "baggage": "k=v"}},
		{"too long", nats.Header{"traceparent": {parent}, "baggage": {strings.Repeat("k", wire.MaxTraceValue+1)}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := traceOf(tc.h)
			if len(got) != len(tc.want) {
				t.Fatalf("traceOf: %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
