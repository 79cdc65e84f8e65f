package otelmpire

// What the tests of package otelmpire_test reach inside.

var (
	EncodeSpans  = encodeSpans
	DecodeSpans  = decodeSpans
	Relay        = relay
	ErrMalformed = errMalformed
)

const (
	MaxSpans  = maxSpans
	MaxDepth  = maxDepth
	MaxValues = maxValues
	MaxElems  = maxElems
)

// ForgetRelayScopes forgets the scopes of relayed spans admitted so far.
func ForgetRelayScopes() {
	relayScopes.mu.Lock()
	defer relayScopes.mu.Unlock()
	clear(relayScopes.m)
}
