package cluster

import (
	"github.com/nats-io/nats.go"

	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// traceHeaders are the headers of a chunk that may hold its call's trace
// context, as OpenTelemetry's propagators write them: W3C trace context and
// baggage. The caller's endpoint sets them from its request's.
var traceHeaders = []string{"traceparent", "tracestate", "baggage"}

// traceOf returns the trace context in a chunk's headers: nil when there is
// none, or when it is beyond wire's bounds.
func traceOf(h nats.Header) wire.TraceContext {
	var t wire.TraceContext
	for _, k := range traceHeaders {
		if v := h.Get(k); v != "" {
			if t == nil {
				t = wire.TraceContext{}
			}
			t[k] = v
		}
	}
	if wire.CheckTrace(t) != nil {
		return nil
	}
	return t
}
