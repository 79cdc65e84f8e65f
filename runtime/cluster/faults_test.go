package cluster_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/cluster/devserver"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// Tests of the cluster under faults (issue 19): replies lost in flight, a
// server node lost, the stream's leader lost, cancels racing with free
// slots, a caller out of reach, chunks gone from the queue, and the bounds
// of what the server keeps.

// cutter is a TCP proxy to a server, whose connections a test cuts: the
// clients behind it lose what was in flight, and reconnect when it lets
// them.
type cutter struct {
	ln   net.Listener
	to   string
	stop sync.WaitGroup

	mu      sync.Mutex
	conns   map[net.Conn]bool
	refuse  bool
	closing bool
}

// newCutter proxies the server at address to (host:port) until the test
// ends.
func newCutter(t *testing.T, to string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, to: to, conns: map[net.Conn]bool{}}
	c.stop.Go(c.accept)
	t.Cleanup(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		ln.Close()
		c.cut()
		c.stop.Wait()
	})
	return c
}

func (c *cutter) accept() {
	for {
		in, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		refuse := c.refuse || c.closing
		c.mu.Unlock()
		if refuse {
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", c.to)
		if err != nil {
			in.Close()
			continue
		}
		c.mu.Lock()
		c.conns[in], c.conns[out] = true, true
		c.mu.Unlock()
		for _, p := range [][2]net.Conn{{in, out}, {out, in}} {
			c.stop.Go(func() {
				io.Copy(p[0], p[1])
				p[0].Close()
				p[1].Close()
			})
		}
	}
}

// cut closes every connection through the proxy.
func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for conn := range c.conns {
		conn.Close()
		delete(c.conns, conn)
	}
}

// refusing makes the proxy refuse connections, or take them again.
func (c *cutter) refusing(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refuse = on
}

// url is userURL (a server's URL with credentials) through the proxy.
func (c *cutter) url(userURL string) string {
	u, err := url.Parse(userURL)
	if err != nil {
		panic(err)
	}
	u.Host = c.ln.Addr().String()
	return u.String()
}

// reconnecting are the options of a client that reconnects quickly and
// for ever, and has no other server to turn to.
var reconnecting = []nats.Option{nats.ReconnectWait(50 * time.Millisecond), nats.MaxReconnects(-1), nats.ReconnectJitter(0, 0)}

// mapThroughFaults maps 200 tasks of 20 ms with p, a chunk each, calls
// fault after the results given in at came, and checks that every result
// came once, in order.
func mapThroughFaults(t *testing.T, p *mpireimpl.Pool[workerState, int, int, struct{}], fault func(), at ...int) {
	t.Helper()
	xs := ints(slowBase, 200)
	var got []int
	within(t, "the call", func() {
		for r, err := range p.IMap(context.Background(), slices.Values(xs), mpire.WithChunkSize(1)) {
			if err != nil {
				t.Error(err)
				return
			}
			got = append(got, r)
			if slices.Contains(at, len(got)) {
				fault()
			}
		}
	})
	if !slices.Equal(got, want(xs, 0)) {
		t.Fatalf("%d results, want %d: %v", len(got), len(xs), got)
	}
}

// TestRepliesLostInFlight (issue 19, 1 and 4): the caller's connection is
// cut twice while workers send replies, and stays down 500 ms each time:
// the replies sent meanwhile, and the workers' checks that the caller still
// listens, do not reach it. Every result still comes, once, in order.
func TestRepliesLostInFlight(t *testing.T) {
	c := newCluster(t)
	c.startWorker(2)
	c.startWorker(2)
	proxy := newCutter(t, strings.TrimPrefix(c.srv.URL(), "nats://"))
	_, js := connect(t, proxy.url(c.srv.CallerURL()), append(reconnecting, cluster.CallerInbox(""))...)
	p := newSharedPoolOn(t, 0, cluster.On(js), mpire.WithJobs(8))
	mapThroughFaults(t, p, func() {
		proxy.refusing(true)
		proxy.cut()
		time.Sleep(500 * time.Millisecond)
		proxy.refusing(false)
	}, 20, 100)
}

// clusterOf3 is a JetStream cluster of three servers, and a test cluster
// whose caller connects to the server of index callerAt first.
func clusterOf3(t *testing.T, callerAt int) (*devserver.Cluster, *testCluster) {
	t.Helper()
	cl, err := devserver.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	// The caller connects to its server first, then the others.
	urls := strings.Split(cl.CallerURL(), ",")
	first := urls[callerAt]
	urls = append([]string{first}, slices.Delete(urls, callerAt, callerAt+1)...)
	nc, js := connect(t, strings.Join(urls, ","), append(reconnecting, nats.DontRandomize(), cluster.CallerInbox(""))...)
	return cl, &testCluster{t: t, srv: cl.Servers[callerAt], nc: nc, js: js}
}

// startWorkerAt starts a worker process connected to the servers of cl,
// the one of index at first.
func (c *testCluster) startWorkerAt(cl *devserver.Cluster, at, jobs int) *worker {
	urls := strings.Split(cl.WorkerURL(), ",")
	urls = append([]string{urls[at]}, slices.Delete(urls, at, at+1)...)
	return c.startWorkerURL(strings.Join(urls, ","), jobs, envReplicas+"=3")
}

// TestLosingTheCallersServer (issue 19, 1): in a cluster of three servers,
// the caller's server is lost while workers on the two others send
// replies: the caller reconnects to another, and every result comes once.
func TestLosingTheCallersServer(t *testing.T) {
	cl, c := clusterOf3(t, 0)
	c.startWorkerAt(cl, 1, 2)
	c.startWorkerAt(cl, 2, 2)
	p := newSharedPoolOn(t, 0, cluster.On(c.js, cluster.WithReplicas(3)), mpire.WithJobs(8))
	mapThroughFaults(t, p, func() { cl.Servers[0].Close() }, 20)
}

// TestLosingTheStreamLeader (issue 19, 2): the server that leads the work
// stream is lost while the caller publishes chunks: the caller's
// publication that the dying leader never acknowledged is sent again, and
// the call ends with every result.
func TestLosingTheStreamLeader(t *testing.T) {
	cl, c := clusterOf3(t, 0)
	ctx := context.Background()
	// The streams are made by a call that no worker serves.
	waiting, cancel := context.WithCancel(ctx)
	called := make(chan struct{})
	go func() {
		defer close(called)
		newSharedPoolOn(t, 0, cluster.On(c.js, cluster.WithReplicas(3))).Apply(waiting, 1)
	}()
	waitForQueue(t, c, func(n uint64) bool { return n == 1 }, "the first chunk in the queue")
	cancel()
	<-called
	info, err := c.js.Stream(ctx, "MPIRE_WORK")
	if err != nil {
		t.Fatal(err)
	}
	leader := slices.IndexFunc(cl.Servers, func(s *devserver.Server) bool { return s.Name() == info.CachedInfo().Cluster.Leader })
	if leader < 0 {
		t.Fatalf("no server leads the stream: %+v", info.CachedInfo().Cluster)
	}
	// The caller and the workers connect to the leader first.
	_, js := connect(t, strings.Join(append([]string{strings.Split(cl.CallerURL(), ",")[leader]}, strings.Split(cl.CallerURL(), ",")...), ","), append(reconnecting, nats.DontRandomize(), cluster.CallerInbox(""))...)
	c.startWorkerAt(cl, leader, 2)
	c.startWorkerAt(cl, (leader+1)%3, 2)
	p := newSharedPoolOn(t, 0, cluster.On(js, cluster.WithReplicas(3)), mpire.WithJobs(8))
	mapThroughFaults(t, p, func() { cl.Servers[leader].Close() }, 20)
}

// TestACancelReachesEveryChunk (issue 19, 3): a one-slot worker runs the
// first of four chunks that wait on their context, the three others wait in
// the queue; the call is cancelled. The slot the cancel frees may take a
// waiting chunk before its caller deletes it: that chunk must not run, or
// run cancelled. The next call runs, and the worker leaves when told.
func TestACancelReachesEveryChunk(t *testing.T) {
	for round := range 3 {
		c := newCluster(t)
		w := c.startWorker(1)
		p := newPool(t, c, 0, mpire.WithJobs(4))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := p.Map(ctx, slices.Repeat([]int{waitTask}, 4), mpire.WithChunkSize(1))
			done <- err
		}()
		waitTaken(t, c)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: Map = %v, want Canceled", round, err)
		}
		within(t, "the next call", func() {
			if r, err := p.Apply(context.Background(), 5); err != nil || r != 25 {
				t.Errorf("round %d: Apply after = %d, %v", round, r, err)
			}
		})
		w.stdin.Close()
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: the worker did not leave in 30 s: a task of the cancelled call holds its slot", round)
		}
	}
}

// TestAChunkGoneFromTheQueueFailsItsCall (issue 19, 4): a chunk removed
// from the queue without a reply (its age past the stream's MaxAge, or
// deleted by an operator) fails its call, saying so, instead of leaving it
// waiting for ever.
func TestAChunkGoneFromTheQueueFailsItsCall(t *testing.T) {
	c := newCluster(t)
	p := newPool(t, c, 0, mpire.WithJobs(1))
	done := make(chan error, 1)
	go func() {
		_, err := p.Apply(context.Background(), 3)
		done <- err
	}()
	waitForQueue(t, c, func(n uint64) bool { return n == 1 }, "the chunk in the queue")
	_, admin := connect(t, c.srv.AdminURL())
	stream, err := admin.Stream(context.Background(), "MPIRE_WORK")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	within(t, "the call", func() {
		if err := <-done; err == nil || !strings.Contains(err.Error(), "left the queue") {
			t.Errorf("Apply = %v, want the chunk's loss", err)
		}
	})
}

// TestACallWhoseConnectionClosesFails (issue 19): a call waits for a reply
// when its caller's connection is closed: the call fails, saying so,
// rather than wait for a reply that cannot come.
func TestACallWhoseConnectionClosesFails(t *testing.T) {
	c := newCluster(t)
	nc, js := connect(t, c.srv.CallerURL(), cluster.CallerInbox(""))
	p := newPoolOn(t, cluster.On(js))
	done := make(chan error, 1)
	go func() {
		_, err := p.Apply(context.Background(), 3)
		done <- err
	}()
	waitForQueue(t, c, func(n uint64) bool { return n == 1 }, "the chunk in the queue")
	nc.Close()
	within(t, "the call", func() {
		if err := <-done; !errors.Is(err, nats.ErrConnectionClosed) {
			t.Errorf("Apply = %v, want the connection closed", err)
		}
	})
}

// TestDeadlinesTravelAsDurations (issue 19, 4): a chunk carries what
// remains of its call's time as a duration, which no clock skew between
// machines changes, and no wall-clock time.
func TestDeadlinesTravelAsDurations(t *testing.T) {
	c := newCluster(t)
	f := newFakeWorker(t, c)
	p := newPool(t, c, 0, mpire.WithJobs(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	go p.Apply(ctx, 1)
	m := f.next(t)
	if d := m.Header.Get("Mpire-Deadline"); d != "" {
		t.Errorf("a chunk carries a wall-clock deadline, %s", d)
	}
	if d, err := time.ParseDuration(m.Header.Get("Mpire-Timeout")); err != nil || d <= 59*time.Minute || d > time.Hour {
		t.Errorf("the chunk's time left is %q (%v), want about an hour", m.Header.Get("Mpire-Timeout"), err)
	}
	cancel()
}

// TestTheStreamsAreBounded (issue 19, 5): the work stream bounds the age,
// bytes and number of the chunks it keeps, and refuses new ones when full
// rather than dropping the oldest; shared objects expire.
func TestTheStreamsAreBounded(t *testing.T) {
	c := newCluster(t)
	p := newPool(t, c, 7, mpire.WithJobs(1))
	short, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	p.Apply(short, 1) // sets them up
	cancel()
	ctx := context.Background()
	_, admin := connect(t, c.srv.AdminURL())
	for _, name := range []string{"MPIRE_WORK", "MPIRE_REPLIES", "OBJ_mpire_shared"} {
		s, err := admin.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		cfg := s.CachedInfo().Config
		if cfg.MaxAge <= 0 || cfg.MaxBytes <= 0 || cfg.MaxMsgs <= 0 && name != "OBJ_mpire_shared" {
			t.Errorf("%s keeps messages %v, %d bytes, %d messages", name, cfg.MaxAge, cfg.MaxBytes, cfg.MaxMsgs)
		}
		if cfg.Discard != jetstream.DiscardNew {
			t.Errorf("%s drops its oldest messages when full", name)
		}
	}
}

// TestWorkersKeepTheConsumersSettings (issue 19, 5): a worker that asks
// another ack wait than the task's consumer has neither changes it nor
// loses its chunks to redelivery: it tells the server it is alive as often
// as the consumer's ack wait needs.
func TestWorkersKeepTheConsumersSettings(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1, envAckWait+"=30s")
	p := newPool(t, c, 0, mpire.WithJobs(2))
	within(t, "a call", func() { p.Apply(context.Background(), 1) })
	c.startWorker(1, envAckWait+"=1s")
	// The second worker is up when it ran a task: it starts in its own
	// time, so calls go on until it did.
	within(t, "the calls", func() {
		for {
			pids, err := p.Map(context.Background(), slices.Repeat([]int{pidTask}, 20), mpire.WithChunkSize(1))
			if err != nil {
				t.Errorf("Map: %v", err)
				return
			}
			if len(slices.Compact(slices.Sorted(slices.Values(pids)))) == 2 {
				return
			}
		}
	})
	_, admin := connect(t, c.srv.AdminURL())
	cons, err := admin.Consumer(context.Background(), "MPIRE_WORK", "mpire_"+cluster.TaskID(taskName))
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.CachedInfo().Config.AckWait; got != 30*time.Second {
		t.Errorf("a worker changed the consumer's ack wait to %v", got)
	}
}

// TestManySlotsOfOneTask (issue 19, 5): a worker with 600 slots of one
// task has them all waiting for a chunk: the consumer does not cap them
// at its default of 512 waiting requests.
func TestManySlotsOfOneTask(t *testing.T) {
	c := newCluster(t)
	c.startWorker(600)
	_, admin := connect(t, c.srv.AdminURL())
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		cons, err := admin.Consumer(context.Background(), "MPIRE_WORK", "mpire_"+cluster.TaskID(taskName))
		if err == nil && cons.CachedInfo().NumWaiting == 600 {
			return
		}
		if time.Now().After(deadline) {
			n := -1
			if err == nil {
				n = cons.CachedInfo().NumWaiting
			}
			t.Fatalf("%d of 600 slots wait for a chunk (%v)", n, err)
		}
	}
}

// TestASharedObjectOutlivesTheBucketsTTL (issue 19, 5): shared objects
// expire (twice the limits' MaxAge, here 2 s), and a pool kept alive
// longer stores its object again: a worker that comes after the first
// object expired finds it.
func TestASharedObjectOutlivesTheBucketsTTL(t *testing.T) {
	c := newCluster(t)
	limits := cluster.WithLimits(cluster.Limits{MaxAge: time.Second})
	first := c.startWorker(1, envMaxAge+"=1s")
	p := newSharedPoolOn(t, 7, cluster.On(c.js, limits), mpire.WithJobs(1), mpire.WithKeepAlive())
	within(t, "the first call", func() {
		if r, err := p.Apply(context.Background(), 1); err != nil || r != 8 {
			t.Errorf("Apply = %d, %v", r, err)
			return
		}
	})
	first.stdin.Close()
	<-first.done
	_, admin := connect(t, c.srv.AdminURL())
	obs, err := admin.ObjectStore(context.Background(), "mpire_shared")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if names, _ := obs.List(context.Background()); len(names) == 0 {
			break // expired
		}
		if time.Now().After(deadline) {
			t.Fatal("the shared object did not expire in 30 s")
		}
	}
	c.startWorker(1, envMaxAge+"=1s")
	within(t, "the call after", func() {
		if r, err := p.Apply(context.Background(), 2); err != nil || r != 11 {
			t.Errorf("Apply after the object expired = %d, %v", r, err)
			return
		}
	})
}

// TestACallerAwayLongerThanItsConsumerLasts (issue 19, 4): a caller out of
// reach longer than its consumer of replies lasts (here a second) has it
// deleted by the server; its next call makes it anew, and runs.
func TestACallerAwayLongerThanItsConsumerLasts(t *testing.T) {
	defer cluster.SetReplyInactive(time.Second)()
	c := newCluster(t)
	c.startWorker(1)
	proxy := newCutter(t, strings.TrimPrefix(c.srv.URL(), "nats://"))
	_, js := connect(t, proxy.url(c.srv.CallerURL()), append(reconnecting, cluster.CallerInbox(""))...)
	p := newSharedPoolOn(t, 0, cluster.On(js), mpire.WithJobs(1), mpire.WithKeepAlive())
	within(t, "the first call", func() {
		if r, err := p.Apply(context.Background(), 3); err != nil || r != 9 {
			t.Errorf("Apply = %d, %v", r, err)
		}
	})
	proxy.refusing(true)
	proxy.cut()
	_, admin := connect(t, c.srv.AdminURL())
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		s, err := admin.Stream(context.Background(), "MPIRE_REPLIES")
		if err != nil {
			t.Fatal(err)
		}
		if s.CachedInfo().State.Consumers == 0 {
			break // deleted
		}
		if time.Now().After(deadline) {
			t.Fatal("the consumer of an absent caller lasts 30 s")
		}
	}
	proxy.refusing(false)
	within(t, "the call after", func() {
		if r, err := p.Apply(context.Background(), 4); err != nil || r != 16 {
			t.Errorf("Apply after = %d, %v", r, err)
		}
	})
}

// TestAServerRestartedMidCall (issue 19, 1): the only server stops while
// workers send replies, and starts again on its files a moment later: the
// chunks, the replies and the consumers it stored are there, and every
// result comes once, in order.
func TestAServerRestartedMidCall(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	opts := []devserver.Option{devserver.StoreDir(t.TempDir()), devserver.Listen(addr),
		devserver.User("caller", "c", cluster.CallerPermissions("")), devserver.User("worker", "w", cluster.WorkerPermissions(""))}
	srv, err := devserver.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := &testCluster{t: t, srv: srv}
	c.nc, c.js = connect(t, "nats://caller:c@"+addr, append(reconnecting, cluster.CallerInbox(""))...)
	c.startWorkerURL("nats://worker:w@"+addr, 2)
	c.startWorkerURL("nats://worker:w@"+addr, 2)
	p := newSharedPoolOn(t, 0, cluster.On(c.js), mpire.WithJobs(8))
	mapThroughFaults(t, p, func() {
		srv.Close()
		if srv, err = devserver.Start(opts...); err != nil {
			t.Error(err)
		}
	}, 20)
}
