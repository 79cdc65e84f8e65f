package cluster_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"runtime"
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
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
	"github.com/mpire-go/mpire/runtime/internal/wire"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// Tests of the cluster against hostile input (issue 18): forged replies,
// users without the permissions of a role, forged chunks and cancels,
// planted shared objects, floods, and tasks abandoned at their time limit.

// fakeWorker is a connection of the administrator that sees the chunks of
// the default deployment as they are published, with their headers, and
// answers as it likes.
type fakeWorker struct {
	nc     *nats.Conn
	chunks chan *nats.Msg
}

func newFakeWorker(t *testing.T, c *testCluster) *fakeWorker {
	t.Helper()
	nc, _ := connect(t, c.srv.AdminURL())
	f := &fakeWorker{nc: nc, chunks: make(chan *nats.Msg, 16)}
	if _, err := nc.ChanSubscribe("mpire.work.>", f.chunks); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return f
}

// next returns the next chunk.
func (f *fakeWorker) next(t *testing.T) *nats.Msg {
	t.Helper()
	select {
	case m := <-f.chunks:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no chunk came")
		return nil
	}
}

// answer sends a reply to chunk m: its body, and headers to which the
// reply's seq and proof are added unless given.
func (f *fakeWorker) answer(t *testing.T, m *nats.Msg, body []byte, hdr ...string) {
	t.Helper()
	_, ep, _ := strings.Cut(strings.TrimPrefix(m.Subject, "mpire.work."), ".")
	out := nats.NewMsg("mpire.reply." + ep)
	out.Data = body
	out.Header.Set("Mpire-Seq", m.Header.Get("Mpire-Seq"))
	out.Header.Set("Mpire-Proof", cluster.Proof(m.Header.Get("Mpire-Token")))
	for i := 0; i+1 < len(hdr); i += 2 {
		out.Header.Set(hdr[i], hdr[i+1])
	}
	if err := f.nc.PublishMsg(out); err != nil {
		t.Fatal(err)
	}
}

// runEndpoint runs a request of tasks tasks on a fresh caller's endpoint,
// in the background.
func runEndpoint(t *testing.T, c *testCluster, tasks int) (*cluster.Endpoint, <-chan wire.Reply, <-chan error) {
	t.Helper()
	ep, err := cluster.StartEndpoint(context.Background(), c.js, taskName)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close(0) })
	reps, errs := make(chan wire.Reply, 1), make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		rep, err := ep.Run(ctx, 0, &wire.Request{Tasks: tasks, Args: []byte("args")})
		reps <- rep
		errs <- err
	}()
	return ep, reps, errs
}

// TestForgedRepliesNeverCrashACaller: replies that claim more tasks than
// were asked for, or parts that contradict each other, are dropped; the
// request then takes its true reply.
func TestForgedRepliesNeverCrashACaller(t *testing.T) {
	huge := binary.AppendUvarint(nil, math.MaxUint64) // tasks completed
	huge = binary.AppendUvarint(huge, 0)              // took
	huge = append(huge, 1, byte(wire.PhaseRun), byte(wire.Failed))
	huge = binary.AppendVarint(huge, math.MaxInt64)
	huge = append(huge, 0, 0)
	for _, tc := range []struct {
		name   string
		forged func(t *testing.T, f *fakeWorker, m *nats.Msg)
	}{
		{"2^64-1 tasks with an error", func(t *testing.T, f *fakeWorker, m *nats.Msg) {
			f.answer(t, m, huge)
		}},
		{"parts 0/2 then 5/10 of one attempt", func(t *testing.T, f *fakeWorker, m *nats.Msg) {
			f.answer(t, m, []byte{1}, "Mpire-Attempt", "forger", "Mpire-Part", "0/2")
			f.answer(t, m, []byte{2}, "Mpire-Attempt", "forger", "Mpire-Part", "5/10")
		}},
		{"an error at a task past the request", func(t *testing.T, f *fakeWorker, m *nats.Msg) {
			f.answer(t, m, wire.AppendReply(nil, &wire.Reply{N: 3, Err: &wire.Error{Phase: wire.PhaseRun, Index: 3}}))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			f := newFakeWorker(t, c)
			_, reps, errs := runEndpoint(t, c, 3)
			m := f.next(t)
			tc.forged(t, f, m)
			f.answer(t, m, wire.AppendReply(nil, &wire.Reply{N: 3, Payload: []byte("true")}), "Mpire-Attempt", "worker")
			rep, err := <-reps, <-errs
			if err != nil || rep.N != 3 || string(rep.Payload) != "true" {
				t.Fatalf("Run = %+v, %v; want the true reply", rep, err)
			}
		})
	}
}

// TestRepliesWithoutTheTokenAreDropped: a reply with the request's seq but
// not the proof of its token (none, another, the token itself) answers
// nothing.
func TestRepliesWithoutTheTokenAreDropped(t *testing.T) {
	c := newCluster(t)
	f := newFakeWorker(t, c)
	_, reps, errs := runEndpoint(t, c, 1)
	m := f.next(t)
	f.answer(t, m, wire.AppendReply(nil, &wire.Reply{N: 1, Payload: []byte("forged")}), "Mpire-Proof", "")
	f.answer(t, m, wire.AppendReply(nil, &wire.Reply{N: 1, Payload: []byte("forged")}), "Mpire-Proof", "0123456789abcdef0123456789abcdef")
	f.answer(t, m, wire.AppendReply(nil, &wire.Reply{N: 1, Payload: []byte("forged")}), "Mpire-Proof", m.Header.Get("Mpire-Token"))
	f.answer(t, m, wire.AppendReply(nil, &wire.Reply{N: 1, Payload: []byte("true")}))
	if rep, err := <-reps, <-errs; err != nil || string(rep.Payload) != "true" {
		t.Fatalf("Run = %q, %v; want the true reply", rep.Payload, err)
	}
}

// TestReplyPartsAreBounded: 200 one-byte parts claiming 65,536 parts each
// cost the caller little memory, and the true reply still ends the request.
func TestReplyPartsAreBounded(t *testing.T) {
	c := newCluster(t)
	f := newFakeWorker(t, c)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, reps, errs := runEndpoint(t, c, 1)
	m := f.next(t)
	for i := range 200 {
		f.answer(t, m, []byte{byte(i)}, "Mpire-Attempt", "forger", "Mpire-Part", wire.FormatPart(i, wire.MaxParts))
	}
	f.answer(t, m, wire.AppendReply(nil, &wire.Reply{N: 1, Payload: []byte("true")}))
	if rep, err := <-reps, <-errs; err != nil || string(rep.Payload) != "true" {
		t.Fatalf("Run = %q, %v; want the true reply", rep.Payload, err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Fatalf("200 parts of one byte allocated %d MiB", grown>>20)
	}
}

// TestAnIdleEndpointKeepsNothing: replies that come when no request waits
// (to a kept-alive pool's idle worker slot) are dropped as they come.
func TestAnIdleEndpointKeepsNothing(t *testing.T) {
	c := newCluster(t)
	ep, err := cluster.StartEndpoint(context.Background(), c.js, taskName)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close(0)
	nc, admin := connect(t, c.srv.AdminURL())
	for range 1000 {
		m := nats.NewMsg(ep.Reply())
		m.Data = make([]byte, 1024)
		m.Header.Set("Mpire-Seq", "1")
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	// The stream of replies keeps a reply until the endpoint's client
	// acknowledged it, after the endpoint looked at it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		s, err := admin.Stream(context.Background(), "MPIRE_REPLIES")
		if err != nil {
			t.Fatal(err)
		}
		if s.CachedInfo().State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replies not acknowledged in 30 s", s.CachedInfo().State.Msgs)
		}
	}
	if n := ep.Queued(); n != 0 {
		t.Fatalf("an idle endpoint keeps %d replies", n)
	}
}

// mallory is a user of the same server with the permissions of another
// deployment's caller and worker, both.
func mallory() (devserver.Option, func(*devserver.Server) string) {
	caller, worker := cluster.CallerPermissions("other"), cluster.WorkerPermissions("other")
	both := cluster.Permissions{
		Publish:   append(caller.Publish, worker.Publish...),
		Subscribe: append(caller.Subscribe, worker.Subscribe...),
	}
	return devserver.User("mallory", "secret", both), func(s *devserver.Server) string {
		u, _ := url.Parse(s.URL())
		u.User = url.UserPassword("mallory", "secret")
		return u.String()
	}
}

// TestAUserWithoutTheRolesCanNeitherReadNorAnswer: a third user of the
// server, with the permissions of another deployment, can neither read a
// chunk nor answer one, and the caller gets its workers' results.
func TestAUserWithoutTheRolesCanNeitherReadNorAnswer(t *testing.T) {
	opt, urlOf := mallory()
	c := newCluster(t, opt)
	c.startWorker(1)
	var mu sync.Mutex
	var refused []string
	nc, err := nats.Connect(urlOf(c.srv), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		mu.Lock()
		defer mu.Unlock()
		refused = append(refused, err.Error())
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()

	// Mallory listens where chunks and replies travel, and answers every
	// chunk she sees, and every inbox, with a forged result.
	seen := make(chan *nats.Msg, 100)
	for _, subj := range []string{"mpire.work.>", "mpire.reply.>", "mpire.>"} {
		if _, err := nc.ChanSubscribe(subj, seen); err != nil {
			t.Fatal(err)
		}
	}
	// Refused requests go unanswered: they end at their deadline.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := js.Stream(short, "MPIRE_WORK"); err == nil {
		t.Error("mallory reads the work stream's info")
	}
	if _, err := js.CreateOrUpdateConsumer(short, "MPIRE_WORK", jetstream.ConsumerConfig{Durable: "mallory", AckPolicy: jetstream.AckExplicitPolicy}); err == nil {
		t.Error("mallory made a consumer of the work stream")
	}
	p := newPool(t, c, 0, mpire.WithJobs(2))
	xs := ints(0, 50)
	stop := make(chan struct{})
	var forging sync.WaitGroup
	forging.Go(func() {
		forged := wire.AppendReply(nil, &wire.Reply{N: 1, Payload: flakytest.AppendInts(nil, []int{666})})
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			nc.Publish("mpire.reply.x.r", forged)
		}
	})
	within(t, "the call", func() {
		got, err := p.Map(ctx, xs, mpire.WithChunkSize(1))
		if err != nil || !slices.Equal(got, want(xs, 0)) {
			t.Errorf("Map = %v, %v", got, err)
		}
	})
	close(stop)
	forging.Wait()
	nc.Flush()
	if len(seen) > 0 {
		t.Errorf("mallory saw %d messages, the first on %s", len(seen), (<-seen).Subject)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(refused) == 0 || !strings.Contains(strings.ToLower(strings.Join(refused, "\n")), "permissions violation") {
		t.Errorf("the server did not refuse mallory: %q", refused)
	}
}

// TestAWorkerAnswersOnlyItsDeploymentsInboxes: a chunk that names another
// reply subject in a header (and that the worker refuses, its fingerprint
// being another) is answered at the inbox of the endpoint its subject
// names, and nowhere else.
func TestAWorkerAnswersOnlyItsDeploymentsInboxes(t *testing.T) {
	c := newCluster(t)
	admin, _ := connect(t, c.srv.AdminURL())
	const ep = "0123456789abcdef01234567.89abcdef0123456789abcdef"
	elsewhere, err := admin.SubscribeSync("elsewhere.>")
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := admin.SubscribeSync("mpire.reply." + ep)
	if err != nil {
		t.Fatal(err)
	}
	admin.Flush()
	if _, err := c.js.Stream(context.Background(), "MPIRE_WORK"); err != nil { // made by a caller or a worker
		p := newPool(t, c, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		p.Apply(ctx, 1)
		cancel()
	}
	m := nats.NewMsg("mpire.work." + cluster.TaskID(taskName) + "." + ep)
	m.Data = []byte{0}
	m.Header.Set("Mpire-Schema", "another build")
	m.Header.Set("Mpire-Reply", "elsewhere.inbox")
	m.Header.Set("Mpire-Seq", "1")
	if _, err := c.js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	c.startWorker(1)
	reply, err := inbox.NextMsg(30 * time.Second)
	if err != nil {
		t.Fatalf("no refusal at the endpoint's inbox: %v", err)
	}
	if rep, err := wire.ParseReply(reply.Data, wire.PhaseRun, 1); err != nil || rep.Err == nil || rep.Err.Kind != wire.Refused {
		t.Fatalf("the reply %+v, %v is not a refusal", rep, err)
	}
	if m, err := elsewhere.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatalf("the worker published on %s", m.Subject)
	}
}

// TestACancelOnlyFromTheCaller: cancels that do not carry the chunk's
// token (by its seq alone, or a wrong token) leave it running; the
// caller's own cancel stops it.
func TestACancelOnlyFromTheCaller(t *testing.T) {
	c := newCluster(t)
	f := newFakeWorker(t, c)
	c.startWorker(1)
	p := newPool(t, c, 0, mpire.WithJobs(1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := p.Apply(ctx, waitTask)
		done <- err
	}()
	m := f.next(t)
	_, caller, _ := strings.Cut(strings.TrimPrefix(m.Subject, "mpire.work."), ".")
	subject := "mpire.cancel." + caller
	seq, token := m.Header.Get("Mpire-Seq"), m.Header.Get("Mpire-Token")
	waitTaken(t, c)
	for range 20 {
		for _, forged := range []string{seq, seq + " ", seq + " 00112233445566778899aabbccddeeff", seq + " " + token[:len(token)-1]} {
			f.nc.Publish(subject, []byte(forged))
		}
		select {
		case err := <-done:
			t.Fatalf("a forged cancel ended the call: %v", err)
		case <-time.After(25 * time.Millisecond):
		}
	}
	// The caller's own cancel, as it sends it.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		f.nc.Publish(subject, []byte(seq+" "+token))
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Apply = %v, want the task's cancellation", err)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("the caller's own cancel did not end the call")
}

// waitTaken waits until a worker took the one chunk of the test's task
// that waits in the queue.
func waitTaken(t *testing.T, c *testCluster) {
	t.Helper()
	_, admin := connect(t, c.srv.AdminURL())
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		cons, err := admin.Consumer(context.Background(), "MPIRE_WORK", taskConsumer(t, admin))
		if err == nil && cons.CachedInfo().NumAckPending == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no worker took the chunk")
		}
	}
}

// TestSharedObjectsAreCheckedAgainstTheirHash: an object planted under the
// name of the caller's before the caller stores it is replaced by the
// caller; one planted after is refused by the worker (the caller trusts
// what it stored itself).
func TestSharedObjectsAreCheckedAgainstTheirHash(t *testing.T) {
	ctx := context.Background()
	encode := func(shared int) []byte { return binary.AppendVarint(nil, int64(shared)) }
	// plant stores the encoding of 1000 under the name of 10's.
	plant := func(c *testCluster) {
		t.Helper()
		_, admin := connect(t, c.srv.AdminURL())
		obs, err := admin.ObjectStore(ctx, "mpire_shared")
		if err != nil {
			t.Fatal(err)
		}
		status, err := obs.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := obs.PutBytes(ctx, cluster.SharedName(encode(10), status.TTL()), encode(1000)); err != nil {
			t.Fatal(err)
		}
	}
	// setUp makes the stream and the bucket with a call that no worker
	// serves; with store, the call's pool stores its shared object, and
	// is returned.
	setUp := func(c *testCluster, store bool) *mpireimpl.Pool[workerState, int, int, struct{}] {
		shared := 0
		if store {
			shared = 10
		}
		p := newPool(t, c, shared, mpire.WithJobs(1))
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		p.Apply(short, 1)
		return p
	}

	t.Run("planted before the caller stored it", func(t *testing.T) {
		c := newCluster(t)
		setUp(c, false)
		plant(c)
		c.startWorker(1)
		p := newPool(t, c, 10, mpire.WithJobs(1))
		within(t, "the call", func() {
			if r, err := p.Apply(ctx, 1); err != nil || r != 11 {
				t.Errorf("Apply = %d, %v; want 11", r, err)
			}
		})
	})
	t.Run("planted after", func(t *testing.T) {
		c := newCluster(t)
		p := setUp(c, true)
		plant(c)
		c.startWorker(1)
		within(t, "the call", func() {
			if r, err := p.Apply(ctx, 1); err == nil || !strings.Contains(err.Error(), "does not match its hash") {
				t.Errorf("Apply = %d, %v; want a refused shared object", r, err)
			}
		})
	})
}

// TestAWorkersSharedCacheIsBounded: the cache holds at most its bound, and
// drops the least recently used.
func TestAWorkersSharedCacheIsBounded(t *testing.T) {
	c := cluster.NewSharedCache(10)
	fetches := 0
	get := func(name string, size int) {
		t.Helper()
		b, err := c.Get(name, func() ([]byte, error) { fetches++; return make([]byte, size), nil })
		if err != nil || len(b) != size {
			t.Fatalf("Get(%s) = %d bytes, %v", name, len(b), err)
		}
	}
	get("a", 4)
	get("b", 4)
	get("a", 4) // a is used last
	get("c", 4) // b goes
	if fetches != 3 || c.Bytes() != 8 {
		t.Fatalf("%d fetches, %d bytes held; want 3 and 8", fetches, c.Bytes())
	}
	get("a", 4)
	get("b", 4) // fetched again
	if fetches != 4 {
		t.Fatalf("%d fetches, want 4: b was dropped, a kept", fetches)
	}
	get("big", 11) // larger than the bound: not kept
	if c.Bytes() > 10 {
		t.Fatalf("%d bytes held, over the bound 10", c.Bytes())
	}
}

// serveHere serves as a worker in this process, with the worker's user,
// until the test ends.
func serveHere(t *testing.T, c *testCluster, opts ...cluster.ServeOption) {
	t.Helper()
	_, js := connect(t, c.srv.WorkerURL(), cluster.WorkerInbox(""))
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- cluster.Serve(ctx, js, opts...) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
}

// TestJobsBoundAbandonedTasks: a one-slot worker whose tasks outlive a 1ms
// limit runs one at a time: the slot waits for the abandoned task.
func TestJobsBoundAbandonedTasks(t *testing.T) {
	c := newCluster(t)
	serveHere(t, c, cluster.WithJobs(1))
	p := newPool(t, c, 0, mpire.WithJobs(4))
	var calls sync.WaitGroup
	for range 4 {
		calls.Go(func() {
			for range 5 {
				if _, err := p.Apply(context.Background(), countTask, mpire.WithTaskTimeout(time.Millisecond)); !errors.Is(err, mpire.ErrTimeout) {
					t.Errorf("Apply = %v, want ErrTimeout", err)
				}
			}
		})
	}
	within(t, "the calls", calls.Wait)
	if n := running.most(); n != 1 {
		t.Fatalf("a one-slot worker ran %d tasks at once", n)
	}
}

// TestPrefixesSeparateDeployments: a caller and a worker with one prefix
// work together; the caller, with the permissions of its deployment only,
// cannot use the default one.
func TestPrefixesSeparateDeployments(t *testing.T) {
	c := newCluster(t, devserver.Prefix("team-a"))
	c.startWorker(1, envPrefix+"=team-a")
	ctx := context.Background()
	_, js := connect(t, c.srv.CallerURL(), cluster.CallerInbox("team-a"))
	within(t, "the calls", func() {
		p := newPoolOn(t, cluster.On(js, cluster.WithPrefix("team-a")))
		if got, err := p.Map(ctx, ints(0, 10)); err != nil || !slices.Equal(got, want(ints(0, 10), 0)) {
			t.Errorf("Map with the deployment's prefix = %v, %v", got, err)
		}
		if _, err := js.Stream(ctx, "team-a_MPIRE_WORK"); err != nil {
			t.Errorf("the prefixed stream: %v", err)
		}
		other := newPoolOn(t, cluster.On(js))
		// The server refuses its requests, which go unanswered: the call
		// fails at its deadline.
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if got, err := other.Map(short, ints(0, 10)); err == nil {
			t.Errorf("Map on the default deployment = %v, want a refusal by permissions", got)
		}
	})
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "WithPrefix") {
			t.Errorf("a prefix with a dot: %v", msg)
		}
	}()
	newPoolOn(t, cluster.On(c.js, cluster.WithPrefix("a.b")))
}

// TestACallerCannotPurgeTheSharedObjects: a caller of the deployment (eve)
// asks the server to purge the shared objects' bucket; it refuses, and the
// objects stay.
func TestACallerCannotPurgeTheSharedObjects(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	p := newPool(t, c, 10, mpire.WithJobs(1))
	within(t, "the call", func() {
		if r, err := p.Apply(context.Background(), 1); err != nil || r != 11 {
			t.Errorf("Apply = %d, %v", r, err)
			return
		}
	})
	_, admin := connect(t, c.srv.AdminURL())
	bucket, err := admin.Stream(context.Background(), "OBJ_mpire_shared")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := bucket.Info(context.Background())
	if err != nil || stored.State.Msgs == 0 {
		t.Fatalf("the bucket holds %+v, %v", stored, err)
	}
	eve, err := nats.Connect(c.srv.CallerURL(), cluster.CallerInbox(""))
	if err != nil {
		t.Fatal(err)
	}
	defer eve.Close()
	// The request's subject is refused: no answer comes.
	if _, err := eve.Request("$JS.API.STREAM.PURGE.OBJ_mpire_shared", nil, time.Second); err == nil {
		t.Error("the server answered a caller's purge of the bucket")
	}
	if info, err := bucket.Info(context.Background()); err != nil || info.State.Msgs != stored.State.Msgs {
		t.Fatalf("after a caller's purge, the bucket holds %d messages of %d: %v", info.State.Msgs, stored.State.Msgs, err)
	}
	within(t, "a call after", func() {
		if r, err := p.Apply(context.Background(), 2); err != nil || r != 14 {
			t.Errorf("Apply after = %d, %v", r, err)
			return
		}
	})
}

// TestAReplyOfManyParts: a reply in more parts than a caller once kept
// messages (4096), arriving as fast as the server sends them, ends its
// request.
func TestAReplyOfManyParts(t *testing.T) {
	c := newCluster(t)
	f := newFakeWorker(t, c)
	_, reps, errs := runEndpoint(t, c, 1)
	m := f.next(t)
	const k = 5000
	body := wire.AppendReply(nil, &wire.Reply{N: 1, Payload: make([]byte, 3*k)})
	for i := range k {
		f.answer(t, m, body[i*len(body)/k:(i+1)*len(body)/k], "Mpire-Attempt", "worker", "Mpire-Part", wire.FormatPart(i, k))
	}
	var rep wire.Reply
	var err error
	within(t, "the request", func() { rep, err = <-reps, <-errs })
	if err != nil || len(rep.Payload) != 3*k {
		t.Fatalf("Run = %d bytes, %v; want %d", len(rep.Payload), err, 3*k)
	}
}

// TestAReplyOverTheBoundFailsTheCall: results that take more parts than a
// caller takes (here 1, of 60 KiB) fail the call with an error that says
// so, rather than parts the caller drops; the worker goes on.
func TestAReplyOverTheBoundFailsTheCall(t *testing.T) {
	c := newCluster(t, devserver.MaxPayload(64<<10))
	t.Cleanup(cluster.SetMaxReplyParts(1)) // once the worker stopped
	serveHere(t, c, cluster.WithJobs(1))
	p := newPool(t, c, 0, mpire.WithJobs(1))
	// 10,000 arguments of 6 bytes fit a message; their results, of 10
	// bytes, take two.
	xs := ints(1<<40, 10_000)
	within(t, "the calls", func() {
		if _, err := p.Map(context.Background(), xs, mpire.WithChunkSize(len(xs))); err == nil || !strings.Contains(err.Error(), "make the chunks smaller") {
			t.Errorf("Map = %v, want the reply's size refused", err)
		}
		if got, err := p.Map(context.Background(), xs, mpire.WithChunkSize(len(xs)/4)); err != nil || !slices.Equal(got, want(xs, 0)) {
			t.Errorf("Map of smaller chunks = %d results, %v", len(got), err)
		}
	})
}

// TestTheREADMEStatesThePermissions: the README's table of each role's
// permissions, its braces expanded, is what CallerPermissions and
// WorkerPermissions return.
func TestTheREADMEStatesThePermissions(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile("`([^`]*)`")
	// expand expands the first {a,b} of s, and what follows.
	var expand func(s string) []string
	expand = func(s string) []string {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return []string{s}
		}
		j := i + strings.IndexByte(s[i:], '}')
		var out []string
		for _, alt := range strings.Split(s[i+1:j], ",") {
			out = append(out, expand(s[:i]+alt+s[j+1:])...)
		}
		return out
	}
	for role, want := range map[string]cluster.Permissions{"caller": cluster.CallerPermissions(""), "worker": cluster.WorkerPermissions("")} {
		var row string
		for line := range strings.Lines(string(readme)) {
			if strings.HasPrefix(line, "| "+role+" | ") {
				row = line
			}
		}
		cols := strings.Split(row, " | ")
		if len(cols) != 3 {
			t.Fatalf("no row of the %s in the README's table", role)
		}
		for i, want := range [][]string{want.Publish, want.Subscribe} {
			var got []string
			for _, m := range quoted.FindAllStringSubmatch(cols[i+1], -1) {
				got = append(got, expand(m[1])...)
			}
			slices.Sort(got)
			if want = slices.Sorted(slices.Values(want)); !slices.Equal(got, want) {
				t.Errorf("the README's %s may %s\n%q\nbut the %s's permissions are\n%q", role, []string{"publish", "subscribe"}[i], got, role, want)
			}
		}
	}
}
