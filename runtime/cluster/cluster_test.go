package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/cluster/devserver"
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// Environment of a worker process: the server's URL, its jobs, and whether
// it is built from other code.
const (
	envWorker    = "MPIRE_CLUSTER_TEST_WORKER"
	envJobs      = "MPIRE_CLUSTER_TEST_JOBS"
	envOtherCode = "MPIRE_CLUSTER_TEST_OTHER_CODE"
	envCaller    = "MPIRE_CLUSTER_TEST_CALLER" // a caller process, killed by its test
	envPrefix    = "MPIRE_CLUSTER_TEST_PREFIX"
	envAckWait   = "MPIRE_CLUSTER_TEST_ACK_WAIT" // default 1s
)

// callAndWait is a caller process: it maps four tasks that wait for their
// context, with no worker to take them, until its test kills it.
func callAndWait(url string) int {
	nc, err := nats.Connect(url, reportErrors, cluster.CallerInbox(""))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// Its consumer of replies goes a second after it: the worker that
	// comes then finds it gone.
	cluster.SetReplyInactive(time.Second)
	fn := taskFunc(0)
	fn.Portable = &taskPortable
	p := mpireimpl.NewPool(fn, cluster.On(js), mpire.WithJobs(4))
	p.Map(context.Background(), slices.Repeat([]int{waitTask}, 4), mpire.WithChunkSize(1))
	return 0
}

func TestMain(m *testing.M) {
	if url := os.Getenv(envWorker); url != "" {
		os.Exit(serveWorker(url))
	}
	if url := os.Getenv(envCaller); url != "" {
		os.Exit(callAndWait(url))
	}
	// nats.go v1.55.0 starts this goroutine once per JetStream context that
	// publishes asynchronously (the object store does), and may leave it
	// blocked on a nil channel after the connection closed: one per
	// context, never per call.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/nats-io/nats.go/jetstream.(*jetStream).resetPendingAcksOnReconnect"))
}

// serveWorker is a worker process: it serves until its stdin closes, which
// its test does, or which happens when the test dies.
func serveWorker(url string) int {
	nc, err := nats.Connect(url, reportErrors, cluster.WorkerInbox(os.Getenv(envPrefix)), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	jobs, _ := strconv.Atoi(os.Getenv(envJobs))
	ackWait, err := time.ParseDuration(os.Getenv(envAckWait))
	if err != nil {
		ackWait = time.Second
	}
	if err := cluster.Serve(ctx, js, cluster.WithJobs(max(jobs, 1)), cluster.WithAckWait(ackWait), cluster.WithPrefix(os.Getenv(envPrefix))); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if violations.Load() > 0 {
		return exitViolation
	}
	return 0
}

// exitViolation is the exit code of a worker process that the server
// refused something: its test fails.
const exitViolation = 3

// violations counts the permission violations of this process's
// connections.
var violations atomic.Int64

// reportErrors prints what the server refuses a connection, and counts the
// permission violations: the tests' callers and workers have only the
// permissions of their role, and one they lack fails their test.
var reportErrors = nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrPermissionViolation) {
		violations.Add(1)
	}
	fmt.Fprintln(os.Stderr, "nats:", err)
})

// testCluster is an embedded server with its users, a caller's connection
// of the test to it, and the worker processes the test started.
type testCluster struct {
	t   testing.TB
	srv *devserver.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

func newCluster(t testing.TB, opts ...devserver.Option) *testCluster {
	t.Helper()
	srv, err := devserver.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	before := violations.Load()
	t.Cleanup(func() {
		if n := violations.Load() - before; n > 0 && !t.Skipped() && !allowViolations[t.Name()] {
			t.Errorf("the server refused this process's connections %d times", n)
		}
	})
	nc, js := connect(t, srv.CallerURL(), cluster.CallerInbox(""))
	return &testCluster{t: t, srv: srv, nc: nc, js: js}
}

// allowViolations names the tests whose callers try what their role may
// not: a caller of another deployment; a caller that replaces an object
// planted under its shared object's name, which the object store follows
// with a purge of the planted chunks, which a caller may not.
var allowViolations = map[string]bool{
	"TestPrefixesSeparateDeployments":                                                 true,
	"TestSharedObjectsAreCheckedAgainstTheirHash/planted_before_the_caller_stored_it": true,
}

// connect connects to url until the test ends.
func connect(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, append([]nats.Option{reportErrors}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// worker is a worker process.
type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

// startWorker starts a worker process serving with jobs slots; it is gone
// when the test ends.
func (c *testCluster) startWorker(jobs int, env ...string) *worker {
	c.t.Helper()
	return c.startWorkerURL(c.srv.WorkerURL(), jobs, env...)
}

// startWorkerURL starts a worker process connecting to url.
func (c *testCluster) startWorkerURL(url string, jobs int, env ...string) *worker {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorker+"="+url, envJobs+"="+strconv.Itoa(jobs))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	w := &worker{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(w.done)
	}()
	// Cleanups run last in first out: the workers stop before the server.
	c.t.Cleanup(func() {
		stdin.Close()
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-w.done
		}
		if cmd.ProcessState.ExitCode() == exitViolation {
			c.t.Errorf("the server refused a worker process's connection: see its output")
		}
	})
	return w
}

// kill kills the worker process with SIGKILL.
func (w *worker) kill() {
	w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
}

func newPool(t testing.TB, c *testCluster, shared int, opts ...mpire.Option) *mpireimpl.Pool[workerState, int, int, struct{}] {
	t.Helper()
	return newSharedPoolOn(t, shared, cluster.On(c.js), opts...)
}

// newPoolOn is a pool of the task with no shared object, on a cluster.
func newPoolOn(t testing.TB, on mpire.Option) *mpireimpl.Pool[workerState, int, int, struct{}] {
	t.Helper()
	return newSharedPoolOn(t, 0, on)
}

func newSharedPoolOn(t testing.TB, shared int, on mpire.Option, opts ...mpire.Option) *mpireimpl.Pool[workerState, int, int, struct{}] {
	t.Helper()
	fn := taskFunc(shared)
	fn.Portable = &taskPortable
	p := mpireimpl.NewPool(fn, append([]mpire.Option{on}, opts...)...)
	t.Cleanup(func() { p.Close() })
	return p
}

func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

func want(xs []int, shared int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = x*x + shared
	}
	return out
}

func ints(from, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = from + i
	}
	return s
}

func collect(seq func(func(int, error) bool)) ([]int, error) {
	var out []int
	for r, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func TestEveryMethodGivesTheSequentialAnswer(t *testing.T) {
	c := newCluster(t)
	c.startWorker(2)
	c.startWorker(2)
	ctx := context.Background()
	p := newPool(t, c, 1000, mpire.WithJobs(4))
	xs := ints(0, 3000)
	expect := want(xs, 1000)
	within(t, "the calls", func() {
		if got, err := p.Map(ctx, xs); err != nil || !slices.Equal(got, expect) {
			t.Errorf("Map = %v, %v", got, err)
		}
		got, err := p.MapUnordered(ctx, xs)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, expect) {
			t.Errorf("MapUnordered = %v, %v", got, err)
		}
		if got, err := collect(p.IMap(ctx, slices.Values(xs), mpire.WithChunkSize(7))); err != nil || !slices.Equal(got, expect) {
			t.Errorf("IMap = %v, %v", got, err)
		}
		got, err = collect(p.IMapUnordered(ctx, slices.Values(xs)))
		slices.Sort(got)
		if err != nil || !slices.Equal(got, expect) {
			t.Errorf("IMapUnordered = %v, %v", got, err)
		}
		if r, err := p.Apply(ctx, 12); err != nil || r != 1144 {
			t.Errorf("Apply = %d, %v", r, err)
		}
		if r, err := p.ApplyAsync(ctx, 13).Get(); err != nil || r != 1169 {
			t.Errorf("ApplyAsync = %d, %v", r, err)
		}
		// The tasks ran in the worker processes, both of them.
		pids, err := p.Map(ctx, slices.Repeat([]int{pidTask}, 40), mpire.WithChunkSize(1))
		if err != nil || slices.Contains(pids, os.Getpid()) {
			t.Errorf("tasks ran in %v (this process is %d): %v", pids, os.Getpid(), err)
		}
		if n := len(slices.Compact(slices.Sorted(slices.Values(pids)))); n != 2 {
			t.Errorf("tasks ran in %d processes, want 2: %v", n, pids)
		}
	})
}

func TestErrorsCrossWithTheirKind(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	ctx := context.Background()
	p := newPool(t, c, 0, mpire.WithJobs(1))
	within(t, "the calls", func() {
		_, err := p.Map(ctx, []int{1, 2, failTask, 4}, mpire.WithChunkSize(2))
		var te *mpire.TaskError
		if !errors.As(err, &te) || te.Index != 2 || te.Args != fmt.Sprintf("x=%d", failTask) || te.Err.Error() != "the task failed" {
			t.Errorf("a failing task: %v", err)
		}
		_, err = p.Apply(ctx, panicTask)
		var pe *mpire.PanicError
		if !errors.As(err, &pe) || pe.Value != "the task panicked" || !strings.Contains(string(pe.Stack), "cluster_test.task") {
			t.Errorf("a panicking task: %v", err)
		}
		if r, err := p.Apply(ctx, 3); err != nil || r != 9 {
			t.Errorf("Apply after = %d, %v", r, err)
		}
	})
}

// TestAWorkerKilledMidCallLosesNothing: SIGKILL to a worker holding chunks;
// they go to the other worker after the ack deadline, and every result
// comes back once.
func TestAWorkerKilledMidCallLosesNothing(t *testing.T) {
	c := newCluster(t)
	victim := c.startWorker(2)
	c.startWorker(2)
	ctx := context.Background()
	p := newPool(t, c, 7, mpire.WithJobs(6))
	xs := ints(slowBase, 120)
	var got []int
	within(t, "the call", func() {
		for r, err := range p.IMap(ctx, slices.Values(xs), mpire.WithChunkSize(2)) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
			if len(got) == 10 {
				victim.kill()
			}
		}
	})
	if !slices.Equal(got, want(xs, 7)) {
		t.Fatalf("after a worker died: %d results %v, want %v", len(got), got, want(xs, 7))
	}
}

// TestAWorkerJoinsMidCall: a worker started while a call runs takes part
// in it.
func TestAWorkerJoinsMidCall(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	ctx := context.Background()
	p := newPool(t, c, 0, mpire.WithJobs(4))
	var pids []int
	within(t, "the call", func() {
		for r, err := range p.IMap(ctx, slices.Values(slices.Repeat([]int{pidTask}, 150)), mpire.WithChunkSize(1)) {
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, r)
			if len(pids) == 5 {
				c.startWorker(1)
			}
		}
	})
	if n := len(slices.Compact(slices.Sorted(slices.Values(pids)))); n != 2 {
		t.Fatalf("the call ran in %d worker processes, want 2 (one joined)", n)
	}
}

// TestCancellingACall: running tasks see their context cancelled, and the
// work that waits in the queue is dropped.
func TestCancellingACall(t *testing.T) {
	c := newCluster(t)
	c.startWorker(2)
	p := newPool(t, c, 0, mpire.WithJobs(4))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var err error
	within(t, "a cancelled call", func() {
		_, err = p.Map(ctx, slices.Repeat([]int{waitTask}, 8), mpire.WithChunkSize(1))
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Map = %v, want DeadlineExceeded", err)
	}
	// Two chunks ran and were cancelled; the two that waited for a worker
	// are gone from the queue.
	waitForQueue(t, c, func(n uint64) bool { return n == 0 }, "the chunks of a cancelled call dropped")
	// The pool goes on.
	if r, err := p.Apply(context.Background(), 5); err != nil || r != 25 {
		t.Fatalf("Apply after = %d, %v", r, err)
	}
}

// TestAChunkLargerThanTheMaxPayload: a chunk whose arguments and results
// encode to more than a message may hold travels in several.
func TestAChunkLargerThanTheMaxPayload(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	p := newPool(t, c, 1, mpire.WithJobs(1))
	// Ints of 6 bytes each, results of 10: 1.2 MB and 2 MB, over 1 MiB.
	xs := ints(1<<40, 200_000)
	if size := len(flakytest.AppendInts(nil, xs)); size <= int(c.nc.MaxPayload()) {
		t.Fatalf("the chunk encodes to %d bytes, not over the max payload %d", size, c.nc.MaxPayload())
	}
	within(t, "the call", func() {
		got, err := p.Map(context.Background(), xs, mpire.WithChunkSize(len(xs)))
		if err != nil || !slices.Equal(got, want(xs, 1)) {
			t.Fatalf("Map of one big chunk: %d results, %v", len(got), err)
		}
	})
}

// TestAWorkerFromOtherCodeRefuses: a worker whose task has other types
// refuses the call, which fails with ErrRefused.
func TestAWorkerFromOtherCodeRefuses(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1, envOtherCode+"=1")
	p := newPool(t, c, 0, mpire.WithJobs(1))
	var err error
	within(t, "the call", func() { _, err = p.Map(context.Background(), ints(0, 10)) })
	if !errors.Is(err, cluster.ErrRefused) || !strings.Contains(err.Error(), "built from other code") {
		t.Fatalf("Map = %v, want ErrRefused", err)
	}
}

func TestWhatAClusterRefusesWhenThePoolIsMade(t *testing.T) {
	c := newCluster(t)
	for _, tc := range []struct {
		name string
		opt  mpire.Option
		want string
	}{
		{"lifespan", mpire.WithWorkerLifespan(3), "WithWorkerLifespan"},
		{"pinning", mpire.WithCPUIDs(0), "WithCPUIDs"},
		{"init timeout", mpire.WithWorkerInitTimeout(time.Second), "WithWorkerInitTimeout"},
		{"processes", mpire.WithProcesses(), "WithProcesses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if msg := fmt.Sprint(recover()); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "cluster.On") {
					t.Fatalf("panic %q does not name %s and cluster.On", msg, tc.want)
				}
			}()
			newPool(t, c, 0, tc.opt)
		})
	}
	// Given to a call, a refused option is the call's error.
	p := newPool(t, c, 0)
	if _, err := p.Map(context.Background(), ints(0, 3), mpire.WithWorkerLifespan(1)); err == nil || !strings.Contains(err.Error(), "WithWorkerLifespan") {
		t.Fatalf("a lifespan given to a call: %v", err)
	}
}

// TestATaskEndingItsGoroutine: runtime.Goexit in a task on a worker fails
// its call with ErrWorkerDied, and the worker goes on.
func TestATaskEndingItsGoroutine(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	p := newPool(t, c, 0, mpire.WithJobs(1))
	within(t, "the calls", func() {
		_, err := p.Map(context.Background(), []int{1, exitTask, 3}, mpire.WithChunkSize(3))
		var te *mpire.TaskError
		if !errors.Is(err, mpire.ErrWorkerDied) || !errors.As(err, &te) || te.Index != 1 {
			t.Errorf("Map = %v, want ErrWorkerDied at index 1", err)
		}
		if r, err := p.Apply(context.Background(), 4); err != nil || r != 16 {
			t.Errorf("Apply after = %d, %v", r, err)
		}
	})
}

// TestTheWorkOfACallerThatWentAwayIsDropped: a caller killed while its
// chunks wait for a worker; the worker that comes drops them instead of
// running them (they would wait forever, holding its only slot).
func TestTheWorkOfACallerThatWentAwayIsDropped(t *testing.T) {
	c := newCluster(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCaller+"="+c.srv.CallerURL())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	waitForQueue(t, c, func(n uint64) bool { return n == 4 }, "the caller's 4 chunks in the queue")
	cmd.Process.Kill()
	cmd.Wait()
	c.startWorker(1)
	waitForQueue(t, c, func(n uint64) bool { return n == 0 }, "the chunks of a caller that went away dropped")
}

// waitForQueue waits until the number of chunks in the queue satisfies ok.
func waitForQueue(t *testing.T, c *testCluster, ok func(uint64) bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n uint64
		if stream, err := c.js.Stream(context.Background(), "MPIRE_WORK"); err == nil {
			info, err := stream.Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			n = info.State.Msgs
			if ok(n) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %d chunks in the queue", what, n)
		}
	}
}

// TestATaskTimeLimitOnAWorker: the worker enforces WithTaskTimeout.
func TestATaskTimeLimitOnAWorker(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	p := newPool(t, c, 0, mpire.WithJobs(1))
	within(t, "the calls", func() {
		_, err := p.Map(context.Background(), []int{1, waitTask, 3}, mpire.WithChunkSize(3), mpire.WithTaskTimeout(100*time.Millisecond))
		var te *mpire.TaskError
		if !errors.Is(err, mpire.ErrTimeout) || !errors.As(err, &te) || te.Index != 1 {
			t.Errorf("Map = %v, want ErrTimeout at index 1", err)
		}
		if r, err := p.Apply(context.Background(), 4); err != nil || r != 16 {
			t.Errorf("Apply after = %d, %v", r, err)
		}
	})
}

// TestAChunkThatKillsEveryWorker: a chunk that no worker survives fails its
// call with ErrWorkerDied once it was delivered as many times as its caller
// allows (WithMaxDeliver), rather than going round forever: the worker it
// is delivered to once more answers so, without running it.
func TestAChunkThatKillsEveryWorker(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	c.startWorker(1)
	p := newSharedPoolOn(t, 0, cluster.On(c.js, cluster.WithMaxDeliver(1)), mpire.WithJobs(1))
	var err error
	within(t, "the call", func() { _, err = p.Map(context.Background(), []int{1, killTask, 3}, mpire.WithChunkSize(3)) })
	if !errors.Is(err, mpire.ErrWorkerDied) || !strings.Contains(err.Error(), "delivered 1 times") {
		t.Fatalf("Map = %v, want ErrWorkerDied after 1 delivery", err)
	}
}

// TestADecoderPanickingOnAWorker: the arguments' decoder panics on the
// worker; the call fails, never hangs, and the worker goes on.
func TestADecoderPanickingOnAWorker(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	p := newPool(t, c, 0, mpire.WithJobs(1))
	within(t, "the calls", func() {
		_, err := p.Map(context.Background(), []int{1, decodeBad, 3}, mpire.WithChunkSize(3))
		if err == nil || !strings.Contains(err.Error(), "ReadArgs panicked") {
			t.Errorf("Map = %v, want the decoder's panic", err)
		}
		if r, err := p.Apply(context.Background(), 4); err != nil || r != 16 {
			t.Errorf("Apply after = %d, %v", r, err)
		}
	})
}

// taskConsumer is the name of the consumer of the test's task in the
// default deployment, as the administrator js finds it.
func taskConsumer(t testing.TB, js jetstream.JetStream) string {
	t.Helper()
	work, err := js.Stream(context.Background(), "MPIRE_WORK")
	if err != nil {
		t.Fatal(err)
	}
	return cluster.TaskConsumer(work, taskName)
}
