package otelmpire

// What the tests of package otelmpire_test reach inside.

var (
	EncodeSpans  = encodeSpans
	DecodeSpans  = decodeSpans
	Relay        = relay
	ErrMalformed = errMalformed
)

const (
	MaxSpans = maxSpans
	MaxDepth = maxDepth
)
