package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
)

// Tests of a hostile review of issue 19: the cluster under faults, where
// the existing tests did not look.

// streamLastSeq is the last sequence the work stream gave a chunk: it
// grows with every chunk stored, deleted or not.
func streamLastSeq(t *testing.T, c *testCluster) uint64 {
	t.Helper()
	s, err := c.js.Stream(context.Background(), "MPIRE_WORK")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

// TestACancelWhilePublishingReachesTheChunk: a call is cancelled while its
// chunk's publication waits for the server's acknowledgement (the caller's
// connection is down: the publication waits in its reconnect buffer, which
// reaches the server once it reconnects). The chunk then reaches the queue
// after its call returned Canceled, and the worker that comes must not run
// it (or run it cancelled): a task of a cancelled call that waits on its
// context would hold that worker's only slot for ever.
func TestACancelWhilePublishingReachesTheChunk(t *testing.T) {
	c := newCluster(t)
	proxy := newCutter(t, strings.TrimPrefix(c.srv.URL(), "nats://"))
	nc, js := connect(t, proxy.url(c.srv.CallerURL()), append(reconnecting, cluster.CallerInbox(""))...)
	p := newSharedPoolOn(t, 0, cluster.On(js), mpire.WithJobs(1), mpire.WithKeepAlive())
	// A first call sets up the streams and the caller's consumer; no
	// worker serves it, and it is cancelled once its chunk waits.
	first, cancelFirst := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Apply(first, 1)
		done <- err
	}()
	waitForQueue(t, c, func(n uint64) bool { return n == 1 }, "the first chunk in the queue")
	cancelFirst()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the first Apply = %v, want Canceled", err)
	}
	// (A cancel between the server storing the chunk and the caller
	// reading its acknowledgement leaves it there too: the same bug.)
	waitForQueue(t, c, func(n uint64) bool { return n == 0 }, "the first chunk deleted")
	before := streamLastSeq(t, c)

	// The caller's connection goes down; a call publishes a chunk that
	// waits on its context, and is cancelled while the publication waits.
	proxy.refusing(true)
	proxy.cut()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := p.Apply(ctx, waitTask)
		done <- err
	}()
	buffered := func() bool { n, _ := nc.Buffered(); return n > 0 }
	for deadline := time.Now().Add(30 * time.Second); !buffered() || nc.Status() == nats.CONNECTED; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the chunk was not published while the connection was down")
		}
	}
	time.Sleep(500 * time.Millisecond) // the publication is buffered and waits for its acknowledgement
	cancel()
	within(t, "the cancelled call", func() {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Apply = %v, want Canceled", err)
		}
	})
	// The connection comes back, and what it buffered reaches the server.
	proxy.refusing(false)
	for deadline := time.Now().Add(30 * time.Second); nc.Status() != nats.CONNECTED; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the caller did not reconnect")
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if after := streamLastSeq(t, c); after == before {
		t.Fatal("the cancelled call's chunk never reached the stream: this test tested nothing")
	}
	// A one-slot worker comes: the next call runs.
	w := c.startWorker(1)
	// A generous bound turns a hang into a failure, with the pool free to close.
	next, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	if r, err := p.Apply(next, 5); err != nil || r != 25 {
		t.Errorf("Apply after = %d, %v: the cancelled call's chunk holds the worker's only slot", r, err)
	}
	w.stdin.Close()
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not leave in 30 s: a task of the cancelled call holds its slot")
	}
}

// TestATaskLongerThanTheMaxAgeRuns: Limits.MaxAge bounds how long a chunk
// waits for a worker (and a reply for its caller), not how long a task
// runs. A chunk taken at once, whose task runs three times the age limit,
// gives its result: neither the worker (which finds the chunk gone from
// the stream, removed by its age, and takes that for its caller's cancel)
// nor the caller (which finds it gone, and gives its reply 15 s) gives up
// on it.
func TestATaskLongerThanTheMaxAgeRuns(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1, envMaxAge+"=1s")
	limits := cluster.WithLimits(cluster.Limits{MaxAge: time.Second})
	p := newSharedPoolOn(t, 0, cluster.On(c.js, limits), mpire.WithJobs(1))
	within(t, "the call", func() {
		if r, err := p.Apply(context.Background(), sleepTask); err != nil || r != sleepTask*sleepTask {
			t.Errorf("Apply of a task of 3 s with a MaxAge of 1 s = %d, %v; want %d", r, err, sleepTask*sleepTask)
		}
	})
}
