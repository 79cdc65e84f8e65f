// These tests read /proc: Linux only.

//go:build linux

package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tasks, programs and environments that do their worst to a worker process
// or to its parent.

// subprocess returns the pid of the program that a task started, from the
// "subprocess PID" line it wrote on stderr.
func subprocess(t *testing.T, stderr *output) int {
	t.Helper()
	stderr.waitFor(t, "subprocess ")
	var pid int
	for l := range strings.Lines(stderr.String()) {
		fmt.Sscanf(l, "subprocess %d", &pid)
	}
	if pid == 0 {
		t.Fatalf("no subprocess in %q", stderr.String())
	}
	// Once it runs sleep, nohup has made it deaf to SIGHUP; unless it was
	// killed before, with its worker.
	if eventually(func() []int {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return pidIf(string(comm) != "sleep\n" && alive(pid), pid)
	}) != nil {
		t.Fatalf("subprocess %d does not run sleep", pid)
	}
	return pid
}

// TestSubprocessesKilled ends a worker whose task started a program in the
// worker's process group, in every way a worker ends: the program ends
// with it.
func TestSubprocessesKilled(t *testing.T) {
	for _, tc := range []struct {
		name   string
		op     int64
		end    func(c *Child) error // ends the worker while the task runs; nil: it ends by itself
		killed bool                 // the call's *ExitError says it was killed
		code   int                  // else its exit code
	}{
		{"Kill", opSubprocess, func(c *Child) error { c.Kill(); return nil }, true, -1},
		{"Close", opSubprocess, func(c *Child) error { return c.Close(time.Minute) }, false, 0},
		{"the worker exits", opSubprocessExit, nil, false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, stderr := start(t, Config{})
			done := make(chan error, 1)
			go func() {
				_, _, err := run(t, c, context.Background(), tc.op)
				done <- err
			}()
			sub := subprocess(t, stderr)
			if tc.end != nil {
				if err := tc.end(c); err != nil {
					t.Errorf("ending the worker: %v", err)
				}
			}
			var ee *ExitError
			if err := await(t, done, "the call"); !errors.As(err, &ee) || ee.Killed != tc.killed || !tc.killed && ee.State.ExitCode() != tc.code {
				t.Errorf("Run: %v", err)
			}
			checkDead(t, sub)
		})
	}
}

// TestStoppedWorker stops a worker and the program its task started with
// SIGSTOP: Close and Kill still end both, and return.
func TestStoppedWorker(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(c *Child)
	}{
		{"Close", func(c *Child) { c.Close(time.Millisecond) }},
		{"Kill", (*Child).Kill},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, stderr := start(t, Config{})
			done := make(chan error, 1)
			go func() {
				_, _, err := run(t, c, context.Background(), opSubprocess)
				done <- err
			}()
			sub := subprocess(t, stderr)
			stop(t, -c.Pid()) // the whole group
			ended := make(chan struct{})
			go func() {
				tc.end(c)
				close(ended)
			}()
			await(t, ended, tc.name)
			var ee *ExitError
			if err := await(t, done, "the call"); !errors.As(err, &ee) || !ee.Killed {
				t.Errorf("Run: %v", err)
			}
			checkDead(t, sub)
		})
	}
}

// TestForgedFrames has a task, and programs posing as workers, write frame
// headers whose kind and length are wrong for where they come: each is a
// broken protocol at once, not a read that waits for bytes that never
// come.
func TestForgedFrames(t *testing.T) {
	for _, op := range []int64{opForgeCancel, opForgeHello} {
		t.Run(fmt.Sprintf("a task writes % x", forged[op]), func(t *testing.T) {
			c, _, _ := start(t, Config{})
			done := make(chan error, 1)
			go func() {
				_, _, err := run(t, c, context.Background(), 1, op, 3)
				done <- err
			}()
			var ee *ExitError
			if err := await(t, done, "the call"); !errors.As(err, &ee) || !ee.Killed || !strings.Contains(fmt.Sprint(ee.Err), "broke the protocol") {
				t.Errorf("Run: %v", err)
			}
		})
	}
	for _, tc := range []struct{ name, writes, want string }{
		{"a garbled magic", `mpirX`, "another protocol"},
		{"a hello of 2 GiB", `mpire-proc/1\n\0\0\0\200\1`, "hello"},
		{"a reply for a hello", `mpire-proc/1\n\12\0\0\0\6`, "reply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			watchChildren(t)
			// It writes, then stays alive without a word more.
			exe := writeScript(t, fmt.Sprintf("printf '%s' >&4\nexec sleep 60\n", tc.writes))
			ctx, cancel := context.WithTimeout(context.Background(), settle)
			defer cancel()
			_, err := Start(ctx, Config{Task: testTask, exe: exe, Stderr: &output{}})
			var ee *ExitError
			if !errors.As(err, &ee) || errors.Is(err, context.DeadlineExceeded) || !ee.Killed || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start: %v", err)
			}
			t.Log(err)
			checkGone(t, ee.Pid)
		})
	}
}

// writeScript writes a shell script and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// helperEnv makes this test binary run one of the helper tests below, as a
// program in a process of its own.
const helperEnv = "MPIRE_PROC_TEST_HELPER"

// TestLeakedEnvironment runs this test binary as a plain program with the
// environment of a worker process, leaked, as a program may inherit it: it
// must run as itself, say why on stderr, and leave descriptors 3 and 4
// alone, whatever they are.
func TestLeakedEnvironment(t *testing.T) {
	c, _, _ := start(t, Config{})
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", c.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	c.Kill()             // the subtests check that they leave no child
	var workers []string // a real worker's variables
	for kv := range strings.SplitSeq(string(environ), "\x00") {
		if strings.HasPrefix(kv, "MPIRE_PROC_") {
			workers = append(workers, kv)
		}
	}
	for _, tc := range []struct {
		name  string
		env   []string
		pipes bool // descriptors 3 and 4 are pipes of this test's
	}{
		{"the task alone, descriptors 3 and 4 open", []string{envTask + "=" + testTask}, true},
		{"the task alone, descriptors 3 and 4 closed", []string{envTask + "=" + testTask}, false},
		{"a worker's environment, descriptors 3 and 4 open", workers, true},
		{"a worker's environment, descriptors 3 and 4 closed", workers, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			watchChildren(t)
			stdout, stderr := &output{}, &output{}
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLeakedEnvironment$")
			cmd.Env = append(environWithout(helperEnv), append(tc.env, helperEnv+"=leaked")...)
			cmd.Stdout, cmd.Stderr = stdout, stderr
			var theirs, ours []*os.File // the helper's ends, this test's ends
			if tc.pipes {
				cmdR, cmdW := pipe(t)
				repR, repW := pipe(t)
				theirs, ours = []*os.File{cmdR, repW}, []*os.File{cmdW, repR}
				cmd.ExtraFiles = theirs
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.pipes {
				theirs[1].Close() // so that the reply pipe ends with the helper
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(settle):
				cmd.Process.Kill()
				<-done
				t.Fatalf("the program hangs; its stderr: %q", stderr.String())
			}
			if err != nil || !strings.Contains(stdout.String(), fmt.Sprintf("ran as itself; %s=\"\"", envTask)) ||
				!strings.Contains(stderr.String(), "not a worker process started by its parent") {
				t.Fatalf("%v; stdout %q; stderr %q", err, stdout.String(), stderr.String())
			}
			if tc.pipes {
				// Nothing written on the reply pipe, no flag changed on the
				// command pipe: its file description is the one that this
				// process holds, which starting the helper made blocking.
				if b, err := io.ReadAll(ours[1]); err != nil || len(b) > 0 {
					t.Errorf("it wrote %q on descriptor 4 (%v)", b, err)
				}
				if flags := fileFlags(t, theirs[0]); flags&unix.O_NONBLOCK != 0 {
					t.Errorf("it made descriptor 3 non-blocking")
				}
			}
		})
	}
}

// TestHelperLeakedEnvironment is the program that TestLeakedEnvironment
// runs: it got past package initialisation and runs as itself.
func TestHelperLeakedEnvironment(t *testing.T) {
	if os.Getenv(helperEnv) != "leaked" {
		t.Skip("a helper process of TestLeakedEnvironment")
	}
	fmt.Printf("ran as itself; %s=%q\n", envTask, os.Getenv(envTask))
}

// pipe returns a pipe whose ends are closed when the test ends.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		w.Close()
	})
	return r, w
}

// fileFlags returns a file's status flags, without changing its blocking
// mode as Fd does.
func fileFlags(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	var ferr error
	if err := rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil || ferr != nil {
		t.Fatal(err, ferr)
	}
	return flags
}

// nobody is the unprivileged user that TestExecuteOnly runs a binary as.
const nobody = 65534

// TestExecuteOnly copies this test binary to a file that a user may run
// but not read, and has that user run a worker process from it.
func TestExecuteOnly(t *testing.T) {
	watchChildren(t)
	if os.Getuid() != 0 {
		t.Skip("running a binary as another user needs root")
	}
	dir, err := os.MkdirTemp("", "mpire-execute-only-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "proc.test")
	if err := os.WriteFile(exe, self, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, exe} {
		if err := os.Chmod(path, 0o711); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	stdout, stderr := &output{}, &output{}
	cmd := exec.Command(exe, "-test.run=^TestHelperExecuteOnly$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(environWithout(helperEnv), helperEnv+"=execute-only")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run a copy of this binary as uid %d: %v", nobody, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if err := await(t, done, "the program"); err != nil || strings.Contains(stdout.String(), "SKIP") {
		t.Fatalf("%v; its output:\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var worker int
	for l := range strings.Lines(stdout.String()) {
		fmt.Sscanf(l, "worker %d doubled", &worker)
	}
	if worker == 0 {
		t.Fatalf("no worker in its output:\n%s", stdout.String())
	}
	t.Logf("run as uid %d:\n%s", nobody, stdout.String())
	checkGone(t, worker)
}

// TestHelperExecuteOnly is the program that TestExecuteOnly runs as a user
// who cannot read it: it starts a worker and runs a chunk there.
func TestHelperExecuteOnly(t *testing.T) {
	if os.Getenv(helperEnv) != "execute-only" {
		t.Skip("a helper process of TestExecuteOnly")
	}
	if f, err := os.Open("/proc/self/exe"); !errors.Is(err, fs.ErrPermission) {
		f.Close()
		t.Skipf("this binary is readable (%v): nothing to prove", err)
	}
	c, err := Start(context.Background(), Config{Task: testTask})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Kill()
	got, _, err := run(t, c, context.Background(), 1, 2, 3)
	if err != nil || !slices.Equal(got, []int64{2, 4, 6}) {
		t.Fatalf("Run: %v, %v", got, err)
	}
	fmt.Printf("worker %d doubled 1 2 3: %v\n", c.Pid(), got)
	if err := c.Close(time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestGORACE checks the GORACE of a worker process: under the race
// detector, one that does not make the worker sleep a second at exit; and,
// for the programs its tasks start, the user's own.
func TestGORACE(t *testing.T) {
	for _, tc := range []struct {
		name, user, race string // "-": unset
	}{
		{"unset", "-", "atexit_sleep_ms=0"},
		{"other options", "halt_on_error=1", "halt_on_error=1 atexit_sleep_ms=0"},
		{"the user's sleep", "atexit_sleep_ms=5 halt_on_error=1", "atexit_sleep_ms=5 halt_on_error=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GORACE", tc.user)
			if tc.user == "-" {
				os.Unsetenv("GORACE")
			}
			want := tc.user
			if raceEnabled {
				want = tc.race
			}
			c, _, stderr := start(t, Config{})
			environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", c.Pid()))
			if err != nil {
				t.Fatal(err)
			}
			got := "-"
			for kv := range strings.SplitSeq(string(environ), "\x00") {
				if v, ok := strings.CutPrefix(kv, "GORACE="); ok {
					got = v
				}
			}
			if got != want {
				t.Errorf("the worker started with GORACE %q, want %q", got, want)
			}
			if _, _, err := run(t, c, context.Background(), opEnv); err != nil {
				t.Fatal(err)
			}
			inherited := "GORACE unset"
			if tc.user != "-" {
				inherited = "GORACE=" + tc.user
			}
			stderr.waitFor(t, inherited+"\n")
		})
	}
}

// TestSilentParent starts a worker process and sends it no hello: it exits
// by itself, saying why, once the time its ticket gives has passed.
func TestSilentParent(t *testing.T) {
	watchChildren(t)
	stderr := &output{}
	c, err := Start(context.Background(), Config{Task: testTask, Stderr: stderr, noHello: true, hello: 100 * time.Millisecond})
	if err != nil { // its own hello came: Start knows no more
		t.Fatal(err)
	}
	t.Cleanup(c.Kill)
	await(t, c.Dead(), "the worker")
	var ee *ExitError
	if err := c.Err(); !errors.As(err, &ee) || ee.Killed || ee.State.ExitCode() != 2 ||
		!strings.Contains(err.Error(), "its parent sent no hello within 100ms") {
		t.Fatalf("the worker's end: %v", err)
	}
	checkGone(t, c.Pid())
}

// TestHostileLedger: a child that writes garbage over its ledger, or
// records more than it was asked, then dies: its parent reads whole
// entries within the file or nothing, and never panics. Reading the run's
// tasks out of what it records is the caller's to check (package remote).
func TestHostileLedger(t *testing.T) {
	for range 20 {
		c, _, _ := start(t, Config{})
		_, _, err := run(t, c, context.Background(), 1, 2, opScribble, 4)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.State.ExitCode() != 6 {
			t.Fatalf("Run: %v", err)
		}
		// Random counts claim more than a megabyte holds, but in one case
		// in 2^44.
		if in := (*Interrupted)(nil); errors.As(err, &in) {
			t.Fatalf("a record in random bytes: %d results in %d bytes", in.Done, len(in.Results))
		}
	}
	c, _, _ := start(t, Config{})
	_, _, err := run(t, c, context.Background(), 1, opForgeLedger)
	var in *Interrupted
	if !errors.As(err, &in) || in.Done != 1000 {
		t.Fatalf("Run: %#v", err)
	}
	if got, err := decodeEntries(in.Results); err != nil || len(got) != 1000 {
		t.Fatalf("%d results: %v", len(got), err)
	}
}
