package cluster_test

import (
	"context"
	"strings"
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

// TestAnotherCallerCannotCancelACall (review of issue 18): a cancel is to
// be honoured only from the caller that made the call. Another caller of
// the same deployment (the caller role's user, which may subscribe to
// _INBOX.> and publish on mpire.cancel.>) reads the chunk and its token
// as the worker pulls it, and cancels the call of a caller that did not.
func TestAnotherCallerCannotCancelACall(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	eve, err := nats.Connect(c.srv.CallerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer eve.Close()
	stolen := make(chan *nats.Msg, 16)
	if _, err := eve.Subscribe("_INBOX.>", func(m *nats.Msg) {
		if m.Header.Get("Mpire-Token") != "" {
			select {
			case stolen <- m:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	eve.Flush()
	p := newPool(t, c, 0, mpire.WithJobs(1))
	ctx, cancelCall := context.WithCancel(context.Background())
	defer cancelCall()
	done := make(chan error, 1)
	go func() {
		_, err := p.Apply(ctx, waitTask) // not cancelled by its caller until the test ends
		done <- err
	}()
	var m *nats.Msg
	select {
	case m = <-stolen:
	case <-time.After(30 * time.Second):
		t.Fatal("eve saw no chunk") // what the issue wants; the call still waits
	}
	ep := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	cancel := []byte(m.Header.Get("Mpire-Seq") + " " + m.Header.Get("Mpire-Token"))
	for range 100 {
		eve.Publish("mpire.cancel."+ep, cancel)
		select {
		case err := <-done:
			t.Fatalf("another caller cancelled the call with the token it read on _INBOX.>: Apply = %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The call still runs: its own caller ends it.
	cancelCall()
	within(t, "the call cancelled by its caller", func() { <-done })
}
