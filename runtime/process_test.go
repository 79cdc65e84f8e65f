//go:build linux || darwin

package mpire_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// These tests run real worker processes: the test binary started again,
// serving the task registered below from package initialisation, as
// generated code registers a portable task.

// procState is the worker state of the process pool: tasks run in this
// worker process's life.
type procState struct{ tasks int }

// The arguments that make a task misbehave.
const (
	exitTask     = -1 // os.Exit(3)
	killTask     = -2 // SIGKILL to itself
	overflowTask = -3 // a Go fatal error: stack overflow
	hangTask     = -4 // loops forever, ignoring its context
	noisyTask    = -5 // writes garbage to stdout and stderr, then succeeds
	panicTask    = -6
	failTask     = -7
	waitTask     = -8  // waits for its context
	pidTask      = -9  // returns its process id
	deafTask     = -10 // replaces its command descriptor with a pipe nobody writes to
	muteTask     = -11 // replaces its reply descriptor with /dev/null
)

// procTask is a task function run in worker processes; shared is an offset
// added to every result, which crosses once per process.
func procTask(ctx context.Context, shared int, st *procState, x int) (int, error) {
	st.tasks++
	switch x {
	case exitTask:
		os.Exit(3)
	case killTask:
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case overflowTask:
		debug.SetMaxStack(8 << 20) // overflow soon: the default 1 GB takes seconds
		return overflow(x), nil
	case hangTask:
		for {
			time.Sleep(time.Millisecond)
		}
	case noisyTask:
		fmt.Fprint(os.Stdout, "\x00\x01garbage on stdout\xff\n")
		fmt.Fprint(os.Stderr, "noise on stderr\n")
	case panicTask:
		panic("the task panicked")
	case failTask:
		return 0, errors.New("the task failed")
	case waitTask:
		<-ctx.Done()
		return 0, ctx.Err()
	case pidTask:
		return os.Getpid(), nil
	case deafTask:
		r, _, err := os.Pipe() // the write end stays open: no EOF
		if err == nil {
			err = unix.Dup2(int(r.Fd()), 3)
		}
		return 0, err
	case muteTask:
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err == nil {
			err = unix.Dup2(int(null.Fd()), 4)
		}
		return 0, err
	}
	return x*x + shared, nil
}

func overflow(x int) int { return overflow(x+1) + 1 }

// procFunc is what generated code builds for procTask with its shared object.
func procFunc(shared int) mpireimpl.Func[procState, int, int, int] {
	return mpireimpl.Func[procState, int, int, int]{
		Name: "procTask",
		Run: func(w *mpireimpl.Worker[procState], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if out[n], err = procTask(w.Context(), shared, w.State(), args[n]); err != nil {
					return n, err
				}
			}
			return n, nil
		},
		Init: func(w *mpireimpl.Worker[procState]) error { return nil },
		Exit: func(w *mpireimpl.Worker[procState]) (int, error) {
			return w.State().tasks, nil
		},
		Format: func(a *int) string { return mpireimpl.FormatArgs("x", *a) },
		Shared: func(b []byte) []byte { return binary.AppendVarint(b, int64(shared)) },
	}
}

// procPortable is the hand-written form of the codecs that mpiregen writes
// for a portable task.
var procPortable = mpireimpl.Portable[procState, int, int, int]{
	Task:       "github.com/mpire-go/mpire/runtime_test.procTask",
	AppendArgs: flakytest.AppendInts,
	ReadArgs:   flakytest.ReadInts,
	AppendResults: func(b []byte, out []int) []byte {
		return flakytest.AppendInts(b, out)
	},
	ReadResults: func(b []byte, out []int) error {
		got, err := flakytest.ReadInts(b, out[:0])
		if err == nil && len(got) != len(out) {
			err = fmt.Errorf("%d results for %d tasks", len(got), len(out))
		}
		return err
	},
	AppendExit: func(b []byte, e *int) []byte { return binary.AppendVarint(b, int64(*e)) },
	ReadExit: func(b []byte, e *int) error {
		x, k := binary.Varint(b)
		if k <= 0 {
			return errors.New("bad exit value")
		}
		*e = int(x)
		return nil
	},
	Child: func(shared []byte) (mpireimpl.Func[procState, int, int, int], error) {
		x, k := binary.Varint(shared)
		if k <= 0 {
			return mpireimpl.Func[procState, int, int, int]{}, errors.New("bad shared object")
		}
		return procFunc(int(x)), nil
	},
}

func init() { mpireimpl.ServePortable(&procPortable) }

func newProcPool(t testing.TB, shared int, opts ...mpire.Option) *mpireimpl.Pool[procState, int, int, int] {
	t.Helper()
	fn := procFunc(shared)
	fn.Portable = &procPortable
	p := mpireimpl.NewPool(fn, append([]mpire.Option{mpire.WithProcesses()}, opts...)...)
	t.Cleanup(func() { p.Close() })
	return p
}

// children returns the processes whose parent is pid.
func children(t testing.TB, pid int) []int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return nil
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var kids []int
	for _, task := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(b)) {
			k, _ := strconv.Atoi(f)
			kids = append(kids, k)
		}
	}
	return kids
}

// alive reports whether a process with that pid runs (not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// noChildrenLeft fails the test when a worker process outlives the pool.
func noChildrenLeft(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		kids := children(t, os.Getpid())
		if len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var desc []string
			for _, k := range kids {
				stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", k))
				desc = append(desc, strings.TrimSpace(string(stat)))
			}
			t.Fatalf("worker processes %v outlive their pool: %q", kids, desc)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProcessesMapLikeGoroutines(t *testing.T) {
	p := newProcPool(t, 1000, mpire.WithJobs(2))
	want := make([]int, 500)
	for i := range want {
		want[i] = i*i + 1000
	}
	got, err := p.Map(ctx, ints(500))
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Map = %v, %v", got, err)
	}
	got, err = p.MapUnordered(ctx, ints(500))
	slices.Sort(got)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("MapUnordered = %v, %v", got, err)
	}
	if got, err := collect(p.IMap(ctx, slices.Values(ints(500)), mpire.WithChunkSize(7))); err != nil || !slices.Equal(got, want) {
		t.Fatalf("IMap = %v, %v", got, err)
	}
	if r, err := p.ApplyAsync(ctx, 12).Get(); err != nil || r != 1144 {
		t.Fatalf("ApplyAsync = %d, %v", r, err)
	}
	// The tasks ran in other processes.
	pids, err := p.Map(ctx, []int{pidTask, pidTask, pidTask, pidTask}, mpire.WithChunkSize(1))
	if err != nil || slices.Contains(pids, os.Getpid()) {
		t.Fatalf("tasks ran in %v (this process is %d): %v", pids, os.Getpid(), err)
	}
	// Without keep-alive, the workers stopped with the call: their exit
	// values came back, one per process, adding up to the tasks run.
	exits := p.ExitResults()
	sum := 0
	for _, e := range exits {
		sum += e
	}
	if len(exits) != 2 || sum != 4 {
		t.Fatalf("exit results %v, want two adding up to 4", exits)
	}
	noChildrenLeft(t)
}

// TestADyingProcessFailsOnlyItsCall covers each way a worker process dies.
func TestADyingProcessFailsOnlyItsCall(t *testing.T) {
	p := newProcPool(t, 0, mpire.WithJobs(2), mpire.WithKeepAlive())
	for _, tc := range []struct {
		name string
		x    int
		want string
	}{
		{"os.Exit", exitTask, "exit status 3"},
		{"SIGKILL", killTask, "killed"},
		{"stack overflow", overflowTask, "stack overflow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Map(ctx, []int{1, 2, tc.x, 4}, mpire.WithChunkSize(1))
			if !errors.Is(err, mpire.ErrWorkerDied) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Map = %v, want ErrWorkerDied saying %q", err, tc.want)
			}
			te := taskErr(t, err)
			if te.Phase != mpire.PhaseTask || te.Index != 2 || te.Args != fmt.Sprintf("x=%d", tc.x) {
				t.Errorf("TaskError %+v does not name task 2", te)
			}
			if _, err := p.Apply(ctx, tc.x); !errors.Is(err, mpire.ErrWorkerDied) {
				t.Errorf("Apply = %v, want ErrWorkerDied", err)
			}
			// The pool goes on, with a new process in the slot.
			if r, err := p.Apply(ctx, 3); err != nil || r != 9 {
				t.Fatalf("Apply after = %d, %v", r, err)
			}
		})
	}
}

func TestProcessErrorsCrossWithTheirKind(t *testing.T) {
	p := newProcPool(t, 0, mpire.WithJobs(1))
	_, err := p.Apply(ctx, panicTask)
	var pe *mpire.PanicError
	if !errors.As(err, &pe) || pe.Value != "the task panicked" || !strings.Contains(string(pe.Stack), "procTask") {
		t.Fatalf("a panic in a worker process: %v", err)
	}
	_, err = p.Apply(ctx, failTask)
	if te := taskErr(t, err); te.Err.Error() != "the task failed" || te.Index != 0 {
		t.Fatalf("an error in a worker process: %+v", te)
	}
	if r, err := p.Apply(ctx, noisyTask); err != nil || r != 25 {
		t.Fatalf("a task printing garbage: %d, %v", r, err)
	}
	noChildrenLeft(t)
}

// TestATimeLimitKillsTheProcess: a task that ignores its context past its
// time limit is gone, process and all, when the call returns.
func TestATimeLimitKillsTheProcess(t *testing.T) {
	p := newProcPool(t, 0, mpire.WithJobs(1), mpire.WithKeepAlive())
	pid, err := p.Apply(ctx, pidTask)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Map(ctx, []int{1, hangTask, 3}, mpire.WithChunkSize(1), mpire.WithTaskTimeout(100*time.Millisecond))
	if !errors.Is(err, mpire.ErrTimeout) || taskErr(t, err).Index != 1 {
		t.Fatalf("Map = %v, want ErrTimeout at index 1", err)
	}
	if alive(pid) {
		t.Fatalf("the stuck worker process %d still runs after the call returned", pid)
	}
	if r, err := p.Apply(ctx, 4); err != nil || r != 16 {
		t.Fatalf("Apply after = %d, %v", r, err)
	}
}

func TestCancellingStopsTasksInProcesses(t *testing.T) {
	p := newProcPool(t, 0, mpire.WithJobs(2))
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	var err error
	within(t, "a cancelled call on processes", func() {
		_, err = p.Map(cctx, []int{waitTask, waitTask, hangTask}, mpire.WithChunkSize(1))
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Map = %v, want DeadlineExceeded", err)
	}
	noChildrenLeft(t)
}

func TestProcessesWithLifespans(t *testing.T) {
	p := newProcPool(t, 0, mpire.WithJobs(1))
	pids, err := p.Map(ctx, []int{pidTask, pidTask, pidTask}, mpire.WithChunkSize(1), mpire.WithWorkerLifespan(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(pids)))) != 3 {
		t.Fatalf("a lifespan of 1 ran 3 tasks in processes %v: want a new process each", pids)
	}
	if exits := p.ExitResults(); !slices.Equal(exits, []int{1, 1, 1}) {
		t.Fatalf("exit results %v, want one per process", exits)
	}
}

func TestProcessesNeedAPortableTask(t *testing.T) {
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "square") || !strings.Contains(msg, "portable") {
			t.Fatalf("panic %q does not name the task and the key", msg)
		}
	}()
	newPool(t, spec{}, mpire.WithProcesses())
}

// TestWorkerProcessesDieWithTheirParent kills a parent with SIGKILL: its
// worker processes exit too.
func TestWorkerProcessesDieWithTheirParent(t *testing.T) {
	if os.Getenv("MPIRE_TEST_PARENT") == "1" {
		p := newProcPool(t, 0, mpire.WithJobs(2))
		// Two tasks that never end: the parent is killed meanwhile.
		fmt.Println("ready")
		p.Map(ctx, []int{hangTask, hangTask}, mpire.WithChunkSize(1))
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcessesDieWithTheirParent$")
	cmd.Env = append(os.Environ(), "MPIRE_TEST_PARENT=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("parent said %q, %v", line, err)
	}
	var kids []int
	for deadline := time.Now().Add(10 * time.Second); len(kids) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		kids = children(t, cmd.Process.Pid)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(kids) < 2 {
		t.Fatalf("the parent started worker processes %v, want 2", kids)
	}
	deadline := time.Now().Add(time.Second)
	for _, k := range kids {
		for alive(k) {
			if time.Now().After(deadline) {
				t.Fatalf("worker process %d outlived its parent by a second", k)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// BenchmarkProcesses measures tiny tasks (about a nanosecond of work each)
// on kept-alive worker processes: what a task costs in crossing to a worker
// process and back, its result recorded in the worker's ledger on the way.
func BenchmarkProcesses(b *testing.B) {
	const tasks = 200_000
	p := newProcPool(b, 0, mpire.WithJobs(2), mpire.WithKeepAlive())
	in := ints(tasks)
	for b.Loop() {
		if _, err := p.Map(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tasks), "ns/task")
}
