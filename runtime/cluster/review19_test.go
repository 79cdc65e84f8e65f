package cluster_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/cluster/devserver"
	"github.com/mpire-go/mpire/runtime/internal/wire"
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

// TestATaskLongerThanTheMaxAgeFailsSayingSo: Limits.MaxAge bounds a
// chunk's whole life, waiting and running (JetStream removes a message by
// its age whether or not a consumer holds it). A chunk taken at once, whose
// task would run three times the age limit, is removed while it runs: its
// worker cancels the task, and the call fails with an error that says the
// chunk outlived MaxAge, not with the task's cancellation. The worker's
// slot is free after.
func TestATaskLongerThanTheMaxAgeFailsSayingSo(t *testing.T) {
	c := newCluster(t, devserver.Deployment(cluster.WithLimits(cluster.Limits{MaxAge: time.Second})))
	c.startWorker(1)
	p := newSharedPoolOn(t, 0, cluster.On(c.js), mpire.WithJobs(1))
	within(t, "the call", func() {
		_, err := p.Apply(context.Background(), sleepTask)
		if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "outlived the stream's MaxAge (1s, cluster.Limits.MaxAge)") {
			t.Errorf("Apply of a task of 3 s with a MaxAge of 1 s = %v; want the chunk outliving MaxAge", err)
		}
		if err != nil && !strings.Contains(err.Error(), "its task was cancelled") {
			t.Errorf("Apply = %v; want the worker's answer that it cancelled the task", err)
		}
	})
	within(t, "the call after", func() {
		if r, err := p.Apply(context.Background(), 5); err != nil || r != 25 {
			t.Errorf("Apply after = %d, %v; want 25", r, err)
		}
	})
}

// TestAWorkerCancelsAChunkDeletedWhileItRuns: a chunk deleted from the
// queue while a worker runs it, with no cancel that the worker hears (an
// operator deleted it; a caller's cancel, a plain message, may not reach
// the worker either), is found gone by the worker, which cancels its task
// (which waits for its context: it would hold the only slot for ever) and
// says why: the call fails saying so, not with the task's cancellation,
// and the next call runs on the slot.
func TestAWorkerCancelsAChunkDeletedWhileItRuns(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	p := newSharedPoolOn(t, 0, cluster.On(c.js), mpire.WithJobs(1))
	done := make(chan error, 1)
	go func() {
		_, err := p.Apply(context.Background(), waitTask)
		done <- err
	}()
	waitTaken(t, c)
	_, admin := connect(t, c.srv.AdminURL())
	stream, err := admin.Stream(context.Background(), "MPIRE_WORK")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.DeleteMsg(context.Background(), info.State.FirstSeq); err != nil {
		t.Fatal(err)
	}
	within(t, "the call", func() {
		if err := <-done; err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "was deleted from the work queue while it ran") {
			t.Errorf("Apply = %v; want the worker's answer that the chunk was deleted", err)
		}
	})
	within(t, "the call after", func() {
		if r, err := p.Apply(context.Background(), 5); err != nil || r != 25 {
			t.Errorf("Apply after = %d, %v; want 25", r, err)
		}
	})
}

// TestAChunkWaitingLongerThanTheMaxAgeFailsSayingSo: a chunk that no
// worker takes within Limits.MaxAge is removed by the server; its caller,
// finding it gone and no reply come, fails the call with an error that
// says the chunk outlived MaxAge.
func TestAChunkWaitingLongerThanTheMaxAgeFailsSayingSo(t *testing.T) {
	t.Cleanup(cluster.SetLostAfter(time.Second))
	c := newCluster(t, devserver.Deployment(cluster.WithLimits(cluster.Limits{MaxAge: time.Second})))
	p := newSharedPoolOn(t, 0, cluster.On(c.js), mpire.WithJobs(1))
	within(t, "the call", func() {
		_, err := p.Apply(context.Background(), 5)
		if err == nil || !strings.Contains(err.Error(), "left the queue") || !strings.Contains(err.Error(), "outlived the stream's MaxAge (1s, cluster.Limits.MaxAge)") {
			t.Errorf("Apply with no worker and a MaxAge of 1 s = %v; want the chunk outliving MaxAge", err)
		}
	})
}

// TestAnAckWaitTooShortIsRefused: a worker whose ack wait is shorter than
// it can keep alive (three times per ack wait) is refused when it starts,
// saying so, rather than dying at its first chunk.
func TestAnAckWaitTooShortIsRefused(t *testing.T) {
	c := newCluster(t)
	for _, d := range []time.Duration{time.Nanosecond, 999 * time.Millisecond, 0, -time.Second} {
		err := cluster.Serve(context.Background(), c.js, cluster.WithAckWait(d))
		if err == nil || !strings.Contains(err.Error(), "cluster.WithAckWait") {
			t.Errorf("Serve with WithAckWait(%v) = %v, want it refused", d, err)
		}
	}
}

// TestRepliesLostWhenTheWorkersConnectionIsCut: the workers' connections
// (through one proxy) are cut twice while they send replies and
// acknowledge chunks, and stay down 500 ms each time: the replies and
// acknowledgements in flight are lost, and chunks run again. Every result
// still comes, once, in order.
func TestRepliesLostWhenTheWorkersConnectionIsCut(t *testing.T) {
	c := newCluster(t)
	proxy := newCutter(t, strings.TrimPrefix(c.srv.URL(), "nats://"))
	c.startWorkerURL(proxy.url(c.srv.WorkerURL()), 2)
	c.startWorkerURL(proxy.url(c.srv.WorkerURL()), 2)
	p := newSharedPoolOn(t, 0, cluster.On(c.js), mpire.WithJobs(8))
	mapThroughFaults(t, p, func() {
		proxy.refusing(true)
		proxy.cut()
		time.Sleep(500 * time.Millisecond)
		proxy.refusing(false)
	}, 20, 100)
}

// TestConcurrentCallersWhileWorkersDie: three callers, each on its own
// connection, map at once while two of three workers are killed: every
// caller gets every result once, in order.
func TestConcurrentCallersWhileWorkersDie(t *testing.T) {
	c := newCluster(t)
	victims := []*worker{c.startWorker(2), c.startWorker(2)}
	c.startWorker(2)
	var pools []func() []int
	for i := range 3 {
		_, js := connect(t, c.srv.CallerURL(), cluster.CallerInbox(""))
		p := newSharedPoolOn(t, i, cluster.On(js), mpire.WithJobs(4))
		xs := ints(slowBase+1000*i, 100)
		pools = append(pools, func() []int {
			var got []int
			for r, err := range p.IMap(context.Background(), slices.Values(xs), mpire.WithChunkSize(1)) {
				if err != nil {
					t.Error(err)
					return got
				}
				got = append(got, r)
				if i == 0 && len(got) == 20 {
					victims[0].kill()
				}
				if i == 1 && len(got) == 50 {
					victims[1].kill()
				}
			}
			return got
		})
	}
	results := make([][]int, 3)
	var calls sync.WaitGroup
	for i, call := range pools {
		calls.Go(func() { results[i] = call() })
	}
	within(t, "the calls", calls.Wait)
	for i, got := range results {
		if want := want(ints(slowBase+1000*i, 100), i); !slices.Equal(got, want) {
			t.Errorf("caller %d: %d results %v, want %v", i, len(got), got, want)
		}
	}
}

// TestRepliesInPartsTwiceAndInterleaved: the parts of two attempts at one
// request come interleaved, some twice (a part published again when its
// acknowledgement was lost is stored again), and the whole of the later
// attempt comes first: the request takes one whole reply, and the next
// request on the endpoint is not answered by what remains of the first.
func TestRepliesInPartsTwiceAndInterleaved(t *testing.T) {
	c := newCluster(t)
	f := newFakeWorker(t, c)
	ep, err := cluster.StartEndpoint(context.Background(), c.js, taskName)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close(0)
	run := func(payload string) (<-chan wire.Reply, <-chan error) {
		reps, errs := make(chan wire.Reply, 1), make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rep, err := ep.Run(ctx, 0, &wire.Request{Tasks: 2, Args: []byte(payload)})
			reps <- rep
			errs <- err
		}()
		return reps, errs
	}
	reps, errs := run("first")
	m := f.next(t)
	body := wire.AppendReply(nil, &wire.Reply{N: 2, Payload: []byte("the first request's results")})
	third := (len(body) + 2) / 3
	part := func(attempt string, i int) {
		f.answer(t, m, body[i*third:min((i+1)*third, len(body))], "Mpire-Attempt", attempt, "Mpire-Part", wire.FormatPart(i, 3))
	}
	part("a", 0)
	part("b", 0)
	part("a", 0)
	part("b", 1)
	part("a", 1)
	part("b", 1)
	part("b", 2)
	part("b", 2)
	if rep, err := <-reps, <-errs; err != nil || rep.N != 2 || string(rep.Payload) != "the first request's results" {
		t.Fatalf("Run = %+v, %v; want the first request's results", rep, err)
	}
	// What remains of attempt a, and a whole reply again, come while the
	// next request waits: they answer the first, not it.
	reps, errs = run("second")
	m2 := f.next(t)
	part("a", 2)
	f.answer(t, m, body, "Mpire-Attempt", "c")
	f.answer(t, m2, wire.AppendReply(nil, &wire.Reply{N: 2, Payload: []byte("the second request's results")}), "Mpire-Attempt", "a")
	if rep, err := <-reps, <-errs; err != nil || string(rep.Payload) != "the second request's results" {
		t.Fatalf("Run = %q, %v; want the second request's results", rep.Payload, err)
	}
}
