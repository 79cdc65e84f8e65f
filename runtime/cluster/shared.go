package cluster

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrSharedMismatch is wrapped by the error of a call whose shared object,
// as the object store holds it, is not what its name (the hash of its
// encoding) says: a worker refuses it.
var ErrSharedMismatch = errors.New("mpire: cluster: the shared object does not match its hash")

// fetchVerified fetches the shared object named name and checks it against
// the hash its name holds: an object planted under the right name is
// refused.
func fetchVerified(ctx context.Context, obs jetstream.ObjectStore, name string) ([]byte, error) {
	b, err := obs.GetBytes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("mpire: cluster worker: fetching the shared object %s: %w", name, err)
	}
	if hash := hashOf(name); sharedHash(b) != hash {
		return nil, fmt.Errorf("%w: the object store holds %d bytes of hash %s under %s", ErrSharedMismatch, len(b), sharedHash(b), name)
	}
	return b, nil
}

// sharedHash is the hash of an encoded shared object.
func sharedHash(shared []byte) string {
	sum := sha256.Sum256(shared)
	return hex.EncodeToString(sum[:])
}

// sharedName is the name under which a caller stores the shared object of
// that hash at time now, in a bucket that keeps objects for ttl: the hash,
// and the number of the period of ttl/2 that now falls in. A caller stores
// its object again in each period, under a new name, so that a chunk sent
// in a period finds its object for ttl/2 at least, and an object used for
// longer than ttl does not expire; a name not new would make the object
// store purge the object it replaces, which callers may not.
func sharedName(hash string, ttl time.Duration, now time.Time) string {
	if ttl/2 <= 0 {
		return hash
	}
	return hash + "." + strconv.FormatInt(now.UnixNano()/int64(ttl/2), 10)
}

// hashOf is the hash in a shared object's name.
func hashOf(name string) string {
	hash, _, _ := strings.Cut(name, ".")
	return hash
}

// sharedCache holds the shared objects a worker fetched, by hash, up to a
// number of bytes; beyond, the least recently used go.
type sharedCache struct {
	limit int64

	mu    sync.Mutex
	size  int64
	order *list.List               // of *cached, most recently used first
	byKey map[string]*list.Element //
}

type cached struct {
	hash string
	b    []byte
}

func newSharedCache(limit int64) *sharedCache {
	return &sharedCache{limit: limit, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the object named hash, from the cache or else from fetch.
// Slots that miss at once may each fetch it.
func (c *sharedCache) get(hash string, fetch func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if e := c.byKey[hash]; e != nil {
		c.order.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(*cached).b, nil
	}
	c.mu.Unlock()
	b, err := fetch()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(len(b)) > c.limit || c.byKey[hash] != nil {
		return b, nil
	}
	c.byKey[hash] = c.order.PushFront(&cached{hash: hash, b: b})
	c.size += int64(len(b))
	for c.size > c.limit {
		last := c.order.Back()
		old := c.order.Remove(last).(*cached)
		delete(c.byKey, old.hash)
		c.size -= int64(len(old.b))
	}
	return b, nil
}

// bytes returns the bytes the cache holds.
func (c *sharedCache) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
