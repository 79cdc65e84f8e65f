package cluster

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mpire-go/mpire/runtime/internal/remote"
)

// What the tests of package cluster_test reach inside.

// TaskID is taskID.
var TaskID = taskID

// TaskConsumer is the name of the consumer of task in the default
// deployment, whose work stream is work.
func TaskConsumer(work jetstream.Stream, task string) string {
	return namesFor("").taskConsumer(work.CachedInfo().Config.Metadata[keyMetadata], task)
}

// SharedName is the name under which a caller stores an encoded shared
// object now, in a bucket that keeps objects for ttl.
func SharedName(shared []byte, ttl time.Duration) string {
	return sharedName(sharedHash(shared), ttl, time.Now())
}

// Endpoint is a caller's endpoint, for tests of what it accepts.
type Endpoint = endpoint

// StartEndpoint starts an endpoint of the default deployment for task.
func StartEndpoint(ctx context.Context, js jetstream.JetStream, task string) (*Endpoint, error) {
	c := &client{js: js, nc: js.Conn(), names: namesFor(""), o: onOptions{maxDeliver: 5}, id: newID(), eps: map[string]*endpoint{}}
	ep, err := c.Start(ctx, remote.EndpointConfig{Task: task, Schema: "test"})
	if err != nil {
		return nil, err
	}
	return ep.(*endpoint), nil
}

// Reply is the subject of the endpoint's replies.
func (e *endpoint) Reply() string { return e.c.names.reply + e.c.id + "." + e.id }

// SetReplyInactive sets how long a client's consumer of replies lasts
// without the client, for the consumers made after, until restore.
func SetReplyInactive(d time.Duration) (restore func()) {
	old := replyInactive
	replyInactive = d
	return func() { replyInactive = old }
}

// SetLostAfter sets how long a caller waits for the reply of a chunk gone
// from the queue, until restore.
func SetLostAfter(d time.Duration) (restore func()) {
	old := lostAfter
	lostAfter = d
	return func() { lostAfter = old }
}

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
