package cluster

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mpire-go/mpire/runtime/internal/remote"
)

// What the tests of package cluster_test reach inside.

// TaskID is taskID.
var TaskID = taskID

// SharedName is the name of an encoded shared object in the object store.
var SharedName = sharedName

// Endpoint is a caller's endpoint, for tests of what it accepts.
type Endpoint = endpoint

// StartEndpoint starts an endpoint of the default deployment for task.
func StartEndpoint(ctx context.Context, js jetstream.JetStream, task string) (*Endpoint, error) {
	c := &client{js: js, nc: js.Conn(), names: namesFor("")}
	ep, err := c.Start(ctx, remote.EndpointConfig{Task: task, Schema: "test"})
	if err != nil {
		return nil, err
	}
	return ep.(*endpoint), nil
}

// Inbox is the endpoint's inbox, to which replies go (+ ".r").
func (e *endpoint) Inbox() string { return e.inbox }

// Queued is how many messages the endpoint keeps: replies being assembled,
// and a whole one.
func (e *endpoint) Queued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.parts.Len()
	if e.reply != nil {
		n++
	}
	return n
}

// Proof is what a reply to the request whose token is token carries.
var Proof = proof

// SetMaxReplyParts sets the most parts a worker of this process sends a
// reply in, until restore.
func SetMaxReplyParts(n int) (restore func()) {
	old := maxReplyParts
	maxReplyParts = n
	return func() { maxReplyParts = old }
}

// SharedCache is a worker's cache of shared objects.
type SharedCache = sharedCache

var NewSharedCache = newSharedCache

// Get returns the object named hash, from the cache or fetch.
func (c *sharedCache) Get(hash string, fetch func() ([]byte, error)) ([]byte, error) {
	return c.get(hash, fetch)
}

// Bytes is what the cache holds.
func (c *sharedCache) Bytes() int64 { return c.bytes() }
