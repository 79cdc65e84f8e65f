// These tests read /proc: Linux only.

//go:build linux

package proc

import (
	"github.com/mpire-go/mpire/runtime/internal/wire"

	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// output is a child's stdout or stderr as a test sees it.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until s was written: the child got that far. The test
// fails when it was not within settle.
func (o *output) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(settle)
	for !strings.Contains(o.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("%q was not written within %v; what was: %q", s, settle, o.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// start starts a test worker whose stdout and stderr the test reads, and
// checks when the test ends that it was killed if need be and is gone,
// with its process group, and that the test left no child.
func start(t *testing.T, cfg Config) (*Child, *output, *output) {
	t.Helper()
	watchChildren(t)
	stdout, stderr := &output{}, &output{}
	cfg.Task, cfg.Stdout, cfg.Stderr = testTask, stdout, stderr
	c, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		c.Kill()
		checkGone(t, c.Pid())
	})
	return c, stdout, stderr
}

// settle bounds every wait of these tests for something that must happen
// promptly: a test that waits longer fails, it never hangs.
const settle = 20 * time.Second

// checkGone checks that a worker process this process waited for no longer
// exists, zombie included, and that nothing is left alive in its process
// group. What its tasks started there may take a moment to die of the
// SIGKILL sent to the group; they are then zombies of their new parent,
// which reaps them (or not: the init of some containers never does).
func checkGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists (kill 0: %v)", pid, err)
	}
	left := eventually(func() []process {
		return processesWhere(func(p process) bool { return p.pgrp == pid && p.state != 'Z' })
	})
	if len(left) > 0 {
		t.Errorf("the process group of worker %d still holds %+v after %v", pid, left, settle)
	}
}

// checkDead checks that a process that is not this process's child, a
// task's subprocess, dies promptly: it is gone or a zombie.
func checkDead(t *testing.T, pid int) {
	t.Helper()
	if left := eventually(func() []process {
		return processesWhere(func(p process) bool { return p.pid == pid && p.state != 'Z' })
	}); len(left) > 0 {
		t.Errorf("process %+v is still alive after %v", left[0], settle)
	}
}

// watched holds the tests that watchChildren watches.
var watched sync.Map

// watchChildren checks, once t and all its cleanups are done, that this
// process has no child left, running or zombie: every worker and helper
// was waited for. It registers the check once per test, before the
// cleanups that kill the test's workers, so that it runs after them.
func watchChildren(t *testing.T) {
	t.Helper()
	if _, dup := watched.LoadOrStore(t, true); dup {
		return
	}
	t.Cleanup(func() {
		watched.Delete(t)
		if left := eventually(func() []process {
			return processesWhere(func(p process) bool { return p.ppid == os.Getpid() })
		}); len(left) > 0 {
			t.Errorf("the test left children of this process: %+v", left)
		}
	})
}

// eventually calls f until it returns nothing, for up to settle, and
// returns what it last returned.
func eventually[T any](f func() []T) []T {
	deadline := time.Now().Add(settle)
	for {
		left := f()
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// await waits for a result that must come promptly; the test fails when it
// does not come within settle.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(settle):
		t.Fatalf("%s did not return within %v: it hangs", what, settle)
		panic("unreachable")
	}
}

// run runs a chunk and decodes its results.
func run(t *testing.T, c *Child, ctx context.Context, xs ...int64) ([]int64, wire.Reply, error) {
	t.Helper()
	rep, err := ask(c, ctx, wire.PhaseRun, encodeInts(xs...))
	return decodeInts(rep.Payload), rep, err
}

func doubles(xs ...int64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = 2 * x
	}
	return out
}

func TestManyChunks(t *testing.T) {
	c, _, _ := start(t, Config{Worker: 7})
	ctx := context.Background()
	shared := bytes.Repeat([]byte{1}, 1<<20)
	rep, err := ask(c, ctx, wire.PhaseInit, shared)
	if err != nil || rep.Took <= 0 {
		t.Fatalf("Init: %+v, %v", rep, err)
	}
	if got, _, err := run(t, c, ctx, opShared); err != nil || !slices.Equal(got, []int64{1 << 20}) {
		t.Fatalf("the shared object in the child: %v, %v", got, err)
	}

	// Several goroutines keep several chunks in flight, as an executor does.
	const goroutines, chunks = 4, 50
	var wg sync.WaitGroup
	var tasks int
	for g := range goroutines {
		tasks += chunks * (g + 1)
		wg.Go(func() {
			for k := range chunks {
				xs := make([]int64, g+1)
				for i := range xs {
					xs[i] = int64(1000*g + 10*k + i)
				}
				got, rep, err := run(t, c, ctx, xs...)
				if err != nil || rep.N != len(xs) || !slices.Equal(got, doubles(xs...)) {
					t.Errorf("chunk %v: %v, %+v, %v", xs, got, rep, err)
					return
				}
			}
		})
	}
	wg.Wait()

	rep, err = ask(c, ctx, wire.PhaseExit, nil)
	if want := fmt.Sprintf("worker 7 ran %d tasks", tasks+1); err != nil || string(rep.Payload) != want {
		t.Fatalf("Exit: %q, %v; want %q", rep.Payload, err, want)
	}
	if err := c.Close(time.Minute); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestHandlerErrors(t *testing.T) {
	c, _, _ := start(t, Config{Worker: -1})
	ctx := context.Background()
	if _, err := ask(c, ctx, wire.PhaseInit, []byte("fail")); !isError(err, &wire.Error{Phase: wire.PhaseInit, Index: -1, Msg: "init refused"}) {
		t.Errorf("Init: %#v", err)
	}
	if _, err := ask(c, ctx, wire.PhaseInit, []byte("panic")); !isError(err, &wire.Error{Phase: wire.PhaseInit, Index: -1, Msg: "init panicked", Kind: wire.Panicked}) {
		t.Errorf("Init: %#v", err)
	}
	got, rep, err := run(t, c, ctx, 1, 2, opError, 4)
	if !isError(err, &wire.Error{Phase: wire.PhaseRun, Index: 2, Msg: "bad input -8"}) || rep.N != 2 || !slices.Equal(got, []int64{2, 4}) {
		t.Errorf("Run: %v, %+v, %#v", got, rep, err)
	}

	_, rep, err = run(t, c, ctx, 1, opPanic)
	var e *wire.Error
	if !errors.As(err, &e) || e.Kind != wire.Panicked || e.Msg != "boom" || e.Phase != wire.PhaseRun || !bytes.Contains(e.Stack, []byte("testHandler).Run")) || rep.N != 0 {
		t.Errorf("panic: %+v, %#v", rep, err)
	}
	// The child survived them all.
	if got, _, err := run(t, c, ctx, 5); err != nil || !slices.Equal(got, []int64{10}) {
		t.Errorf("after the failures: %v, %v", got, err)
	}
	if rep, err := ask(c, ctx, wire.PhaseExit, nil); err != nil || string(rep.Payload) != "worker -1 ran 4 tasks" {
		t.Errorf("Exit: %q, %v", rep.Payload, err)
	}
}

func TestExitPanics(t *testing.T) {
	c, _, _ := start(t, Config{})
	ctx := context.Background()
	if _, err := ask(c, ctx, wire.PhaseInit, []byte("exit panics")); err != nil {
		t.Fatal(err)
	}
	var e *wire.Error
	if _, err := ask(c, ctx, wire.PhaseExit, nil); !errors.As(err, &e) || e.Phase != wire.PhaseExit || e.Kind != wire.Panicked || e.Msg != "exit panicked" || len(e.Stack) == 0 {
		t.Errorf("Exit: %#v", err)
	}
}

// TestDeathAnswersEveryCall kills a child from outside, as the OOM killer
// does, with calls running and queued, while Close and Kill race.
func TestDeathAnswersEveryCall(t *testing.T) {
	c, _, stderr := start(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range cap(errs) {
		wg.Go(func() {
			_, _, err := run(t, c, context.Background(), opWait)
			errs <- err
		})
	}
	stderr.waitFor(t, "waiting")
	syscall.Kill(c.Pid(), syscall.SIGKILL)
	wg.Wait()
	close(errs)
	interrupted := 0
	for err := range errs {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Killed || ee.State.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("Run: %v", err)
		}
		// The ledger tells the run it was on from those queued behind.
		var in *Interrupted
		if errors.As(err, &in) {
			interrupted++
			if in.Done != 0 || len(in.Results) != 0 {
				t.Errorf("the run it was on: %+v", in)
			}
		}
	}
	if want := map[bool]int{true: 1}[ledgers]; interrupted != want {
		t.Errorf("%d runs interrupted, want %d", interrupted, want)
	}
	wg.Go(c.Kill)
	wg.Go(func() { c.Close(0) })
	wg.Wait()
	checkGone(t, c.Pid())
}

func TestServeTwice(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "called twice") {
			t.Errorf("recovered %v", v)
		}
	}()
	Serve(testTask, &testHandler{})
}

func TestDeaths(t *testing.T) {
	for _, tc := range []struct {
		name   string
		op     int64
		code   int            // exit code; -1 for a signal
		signal syscall.Signal // when code is -1
		fatal  string         // in ExitError.Fatal
		stderr string         // in the last lines of stderr
	}{
		{"os.Exit", opExit3, 3, 0, "", ""},
		{"SIGKILL", opSigkill, -1, syscall.SIGKILL, "", ""},
		{"stack overflow", opOverflow, 2, 0, "fatal error: stack overflow", "goroutine"},
		{"Goexit", opGoexit, 2, 0, "", "the task called runtime.Goexit"},
		{"grandchild", opGrandkids, 4, 0, "", "grandchild "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := start(t, Config{})
			_, _, err := run(t, c, context.Background(), 1, tc.op, 3)
			var ee *ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("Run: %v, want an *ExitError", err)
			}
			t.Log(ee)
			if ee.Killed || ee.Pid != c.Pid() || ee.State.ExitCode() != tc.code || !strings.Contains(ee.Fatal, tc.fatal) ||
				!strings.Contains(strings.Join(ee.Stderr, "\n"), tc.stderr) {
				t.Errorf("%#v", ee)
			}
			if tc.code == -1 {
				if ws := ee.State.Sys().(syscall.WaitStatus); ws.Signal() != tc.signal {
					t.Errorf("signal %v, want %v", ws.Signal(), tc.signal)
				}
			}
			// Its ledger says that it died in the second task, and holds
			// the first one's result.
			var in *Interrupted
			if errors.As(err, &in) != ledgers {
				t.Errorf("Run: %#v; with a ledger: %v", err, ledgers)
			} else if in != nil {
				if got, err := decodeEntries(in.Results); in.Done != 1 || in.Exit != ee || err != nil || !slices.Equal(got, []int64{2}) {
					t.Errorf("the record of the run: %d done, results %v (%v)", in.Done, got, err)
				}
			}
			if tc.op == opGrandkids {
				checkGrandchild(t, ee.Stderr)
			}
			<-c.Dead()
			if _, err := ask(c, context.Background(), wire.PhaseRun, nil); err != error(ee) || c.Err() != error(ee) {
				t.Errorf("after its death: Run %v, Err %v", err, c.Err())
			}
			if err := c.Close(time.Minute); err != error(ee) {
				t.Errorf("Close: %v", err)
			}
			checkGone(t, c.Pid())
		})
	}
}

// checkGrandchild checks that the program a worker started holds none of the
// protocol's descriptors, which would hide the worker's death, nor its
// ledger, and kills it. The program may have opened files of its own there.
func checkGrandchild(t *testing.T, stderr []string) {
	t.Helper()
	var pid int
	for _, l := range stderr {
		fmt.Sscanf(l, "grandchild %d", &pid)
	}
	if pid == 0 {
		t.Fatalf("no grandchild in %q", stderr)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	for fd, ours := range map[int]string{fdCommands: "pipe:", fdReplies: "pipe:", fdLedger: "/memfd:mpire-ledger"} {
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd)); err == nil && strings.HasPrefix(link, ours) {
			t.Errorf("the grandchild holds descriptor %d: %s", fd, link)
		}
	}
}

func TestLoopForeverKilled(t *testing.T) {
	c, _, stderr := start(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, _, err := run(t, c, ctx, opLoop)
		done <- err
	}()
	stderr.waitFor(t, "looping")
	cancel() // deaf to it
	c.Kill()
	var ee *ExitError
	if err := <-done; !errors.As(err, &ee) || !ee.Killed || ee.State.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("Run: %v", err)
	}
	checkGone(t, c.Pid())
}

func TestGarbageOutput(t *testing.T) {
	c, stdout, stderr := start(t, Config{})
	got, _, err := run(t, c, context.Background(), 1, opGarbage, 3)
	if err != nil || !slices.Equal(got, []int64{2, 0, 6}) {
		t.Fatalf("Run: %v, %v", got, err)
	}
	// Both arrive through the copies of os/exec, maybe after the reply.
	stdout.waitFor(t, "\x00\x01\xffgarbage on stdout\n")
	stderr.waitFor(t, "garbage on stderr \x00\xff\n")
	_, _, err = run(t, c, context.Background(), opExit3)
	var ee *ExitError
	if !errors.As(err, &ee) || !slices.ContainsFunc(ee.Stderr, func(l string) bool { return strings.HasPrefix(l, "garbage on stderr") }) {
		t.Errorf("the death report does not end with the stderr: %v", err)
	}
}

func TestProtocolBroken(t *testing.T) {
	c, _, _ := start(t, Config{})
	_, _, err := run(t, c, context.Background(), opSabotage)
	var ee *ExitError
	if !errors.As(err, &ee) || !ee.Killed || ee.Err == nil || !strings.Contains(ee.Error(), "broke the protocol: bytes that are not a frame") {
		t.Fatalf("Run: %v", err)
	}
	t.Log(err)
}

func TestCancel(t *testing.T) {
	c, _, stderr := start(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	var rep wire.Reply
	go func() {
		var err error
		_, rep, err = run(t, c, ctx, 1, 2, opWait, 4)
		done <- err
	}()
	stderr.waitFor(t, "waiting")
	cancel()
	if err := <-done; !isError(err, &wire.Error{Phase: wire.PhaseRun, Index: 2, Msg: "context canceled", Kind: wire.Canceled}) || rep.N != 2 {
		t.Fatalf("Run: %+v, %#v", rep, err)
	}

	// A request cancelled before it starts never reaches the Handler.
	_, rep, err := run(t, c, ctx, 1)
	if !errors.Is(err, context.Canceled) || rep.N != 0 {
		t.Fatalf("Run with a cancelled context: %+v, %#v", rep, err)
	}
	r, err := ask(c, context.Background(), wire.PhaseExit, nil)
	if err != nil || string(r.Payload) != "worker 0 ran 2 tasks" {
		t.Fatalf("Exit: %q, %v", r.Payload, err)
	}
}

func TestClose(t *testing.T) {
	c, _, stderr := start(t, Config{})
	// Closing its pipe ends a child at once, even in a task deaf to its
	// context: as when its parent dies.
	done := make(chan error)
	go func() {
		_, _, err := run(t, c, context.Background(), opLoop)
		done <- err
	}()
	stderr.waitFor(t, "looping")
	if err := c.Close(time.Hour); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var ee *ExitError
	if err := <-done; !errors.As(err, &ee) || ee.Killed || !ee.State.Success() {
		t.Fatalf("the call in flight: %v", err)
	}
	if _, err := ask(c, context.Background(), wire.PhaseRun, nil); err != ErrClosed {
		t.Errorf("Run after Close: %v", err)
	}
	checkGone(t, c.Pid())
	goleak.VerifyNone(t)
}

// TestCloseDaemon closes a child that started a program which holds its
// stderr: the child's end is still a clean one.
func TestCloseDaemon(t *testing.T) {
	c, _, stderr := start(t, Config{})
	if _, _, err := run(t, c, context.Background(), opDaemon); err != nil {
		t.Fatal(err)
	}
	stderr.waitFor(t, "grandchild ")
	if err := c.Close(time.Minute); err != nil {
		t.Errorf("Close: %v", err)
	}
	checkGrandchild(t, strings.Split(stderr.String(), "\n"))
}

func TestCloseGrace(t *testing.T) {
	c, _, _ := start(t, Config{})
	stop(t, c.Pid()) // deaf to its pipe
	err := c.Close(time.Millisecond)
	var ee *ExitError
	if !errors.As(err, &ee) || !ee.Killed {
		t.Fatalf("Close: %v", err)
	}
	if _, err := ask(c, context.Background(), wire.PhaseRun, nil); err != ErrClosed {
		t.Errorf("Run after Close: %v", err)
	}
}

func TestKillThenRun(t *testing.T) {
	c, _, _ := start(t, Config{})
	c.Kill()
	c.Kill()
	var ee *ExitError
	if err := c.Err(); !errors.As(err, &ee) || !ee.Killed {
		t.Fatalf("Err after Kill: %v", err)
	}
	if _, err := ask(c, context.Background(), wire.PhaseRun, nil); err != ErrClosed {
		t.Errorf("Run after Kill: %v", err)
	}
	if !strings.Contains(ee.Error(), "was killed by its parent (signal: killed)") {
		t.Errorf("message: %v", ee)
	}
}

func TestStartFailures(t *testing.T) {
	t.Run("no Serve for the task", func(t *testing.T) {
		if _, err := Start(context.Background(), Config{Task: "nobody serves this"}); !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), `no Serve("nobody serves this"`) {
			t.Errorf("Start: %v", err)
		}
	})
	t.Run("not a worker", func(t *testing.T) {
		watchChildren(t)
		truePath, err := exec.LookPath("true")
		if err != nil {
			t.Skip(err)
		}
		_, err = Start(context.Background(), Config{Task: testTask, exe: truePath})
		var ee *ExitError
		if !errors.Is(err, ErrStart) || !errors.Is(err, errExitedEarly) || !errors.As(err, &ee) || ee.Killed || !ee.State.Success() {
			t.Fatalf("Start: %v", err)
		}
		checkGone(t, ee.Pid)
	})
	t.Run("cancelled", func(t *testing.T) {
		watchChildren(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Start(ctx, Config{Task: testTask, Stderr: &output{}})
		var ee *ExitError
		if !errors.Is(err, ErrStart) || !errors.Is(err, context.Canceled) || !errors.As(err, &ee) {
			t.Fatalf("Start: %v", err)
		}
		checkGone(t, ee.Pid)
	})
	t.Run("other build", func(t *testing.T) {
		watchChildren(t)
		exe := buildProgram(t)
		_, err := Start(context.Background(), Config{Task: testTask, exe: exe})
		var ee *ExitError
		if !errors.Is(err, ErrStart) || !errors.Is(err, ErrMismatch) || !errors.As(err, &ee) || !ee.Killed {
			t.Fatalf("Start: %v", err)
		}
		t.Log(err)
		checkGone(t, ee.Pid)
	})
}

// buildProgram builds testdata/program and returns its path.
func buildProgram(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "program")
	if out, err := exec.Command(goTool(t), "build", "-o", exe, "./testdata/program").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

func goTool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("go")
	if err != nil {
		t.Skip(err)
	}
	return path
}

// TestPrograms runs a program that starts a worker process of its own,
// built and with go run: the worker serves it from its package
// initialisation and never runs main.
func TestPrograms(t *testing.T) {
	watchChildren(t)
	for name, cmd := range map[string]*exec.Cmd{
		"built":  exec.Command(buildProgram(t), "parent"),
		"go run": exec.Command(goTool(t), "run", "./testdata/program", "parent"),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var parent, worker int
			if _, err := fmt.Sscanf(string(out), "main runs in %d\n0 1 4 9 in %d\n", &parent, &worker); err != nil || parent == worker {
				t.Errorf("it printed %q", out)
			}
		})
	}
}

// TestParentKilled starts a parent of workers in a process of its own, kills
// it with SIGKILL and checks that its workers end.
func TestParentKilled(t *testing.T) {
	watchChildren(t)
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperParent$")
	helper.Env = append(os.Environ(), "MPIRE_PROC_TEST_HELPER=1")
	helper.Stderr = os.Stderr
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		helper.Process.Kill()
		helper.Wait()
		t.Fatalf("reading the helper's children: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(strings.TrimPrefix(line, "children:")) {
		pid, _ := strconv.Atoi(f)
		pids = append(pids, pid)
	}
	if len(pids) != 2 {
		t.Fatalf("the helper said %q", line)
	}
	helper.Process.Kill()
	helper.Wait()
	killed := time.Now()
	for _, pid := range pids {
		if eventually(func() []int { return pidIf(alive(pid), pid) }) != nil {
			t.Errorf("worker %d outlived its parent by %v", pid, settle)
		}
	}
	t.Logf("the children of a parent killed with SIGKILL were gone after %v", time.Since(killed))
}

// pidIf returns pid in a slice when cond holds: for eventually.
func pidIf(cond bool, pid int) []int {
	if cond {
		return []int{pid}
	}
	return nil
}

// stop stops a process, or a process group for a negative pid, with
// SIGSTOP and waits until it has landed.
func stop(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if left := eventually(func() []process {
		return processesWhere(func(p process) bool {
			return (p.pid == pid || p.pgrp == -pid) && p.state != 'T' && p.state != 't'
		})
	}); len(left) > 0 {
		t.Fatalf("not stopped after %v: %+v", settle, left)
	}
}

// alive tells whether a process exists and is not a zombie (its new parent
// may not reap it).
func alive(pid int) bool {
	st := state(pid)
	return st != 0 && st != 'Z'
}

// state returns a process's state letter from /proc/PID/stat (R, S, T, Z
// ...), or 0 when there is no such process.
func state(pid int) byte {
	p, ok := readProcess(pid)
	if !ok {
		return 0
	}
	return p.state
}

// A process is what /proc/PID/stat says of a process.
type process struct {
	pid   int
	state byte // R, S, T, Z ...
	ppid  int  // its parent
	pgrp  int  // its process group
}

// readProcess reads /proc/PID/stat; false when there is no such process.
func readProcess(pid int) (process, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return process{}, false
	}
	// pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
	p := process{pid: pid}
	rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
	if _, err := fmt.Sscanf(rest, " %c %d %d", &p.state, &p.ppid, &p.pgrp); err != nil {
		return process{}, false
	}
	return p, true
}

// processesWhere returns the processes for which keep is true.
func processesWhere(keep func(process) bool) []process {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		panic(err)
	}
	var out []process
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProcess(pid); ok && keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// TestHelperParent is the parent that TestParentKilled kills: it starts two
// workers, one of them in a task, says their pids and waits to be killed.
func TestHelperParent(t *testing.T) {
	if os.Getenv("MPIRE_PROC_TEST_HELPER") == "" {
		t.Skip("a helper process of TestParentKilled")
	}
	var pids []string
	for range 2 {
		c, err := Start(context.Background(), Config{Task: testTask, Stderr: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, strconv.Itoa(c.Pid()))
		go ask(c, context.Background(), wire.PhaseRun, encodeInts(opWait))
	}
	fmt.Printf("children: %s\n", strings.Join(pids, " "))
	select {}
}
