package cluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	mpire "github.com/mpire-go/mpire/runtime"
)

// TestAThirdUserCannotReadChunksOnTheSharedInbox (review of issue 18): a
// user with the permissions of another deployment (mallory) may subscribe to
// _INBOX.>, as every role may. A worker pulls its chunks with JetStream's
// Next, whose messages the server delivers on the worker's _INBOX subject:
// mallory reads every chunk, its arguments and its token, of a deployment
// she has no role in.
func TestAThirdUserCannotReadChunksOnTheSharedInbox(t *testing.T) {
	opt, urlOf := mallory()
	c := newCluster(t, opt)
	c.startWorker(1)
	nc, err := nats.Connect(urlOf(c.srv))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var mu sync.Mutex
	var chunks, tokens int
	if _, err := nc.Subscribe("_INBOX.>", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if m.Header.Get("Mpire-Schema") != "" {
			chunks++
		}
		if m.Header.Get("Mpire-Token") != "" {
			tokens++
		}
	}); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	p := newPool(t, c, 0, mpire.WithJobs(2))
	xs := ints(0, 20)
	within(t, "the call", func() {
		if _, err := p.Map(context.Background(), xs, mpire.WithChunkSize(1)); err != nil {
			t.Errorf("Map: %v", err)
		}
	})
	nc.Flush()
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if chunks > 0 || tokens > 0 {
		t.Errorf("mallory, a user of another deployment, read %d chunks (%d with their token) on _INBOX.>", chunks, tokens)
	}
}
