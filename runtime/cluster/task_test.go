package cluster_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/flakytest"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// The test task, served by the worker processes: this test binary started
// again, registered below from package initialisation as generated code
// registers a portable task. shared is an offset added to every result; it
// crosses through the object store.

type workerState struct{ ready bool }

// Arguments that make the task do something else than x*x + shared.
const (
	pidTask   = -1 // returns its process id, after a short sleep
	waitTask  = -2 // waits for its context
	failTask  = -3
	panicTask = -4
	exitTask  = -5        // ends its goroutine with runtime.Goexit
	killTask  = -6        // kills its worker process with SIGKILL
	countTask = -7        // counts the tasks running at once in this process (running), for 20ms
	decodeBad = -8        // its decoder panics on the worker (ReadArgs)
	sleepTask = -9        // sleeps 3 s, unless its context ends first (then fails with its cause)
	slowBase  = 1_000_000 // slowBase <= x < 2*slowBase: sleeps 20ms first; up to 3*slowBase: busy 50µs first
)

func task(ctx context.Context, shared int, st *workerState, x int) (int, error) {
	if !st.ready {
		return 0, errors.New("init did not run")
	}
	switch {
	case x == pidTask:
		time.Sleep(20 * time.Millisecond)
		return os.Getpid(), nil
	case x == waitTask:
		<-ctx.Done()
		return 0, ctx.Err()
	case x == failTask:
		return 0, errors.New("the task failed")
	case x == panicTask:
		panic("the task panicked")
	case x == exitTask:
		runtime.Goexit()
	case x == killTask:
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case x == sleepTask:
		select {
		case <-time.After(3 * time.Second):
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	case x == countTask:
		running.enter()
		time.Sleep(20 * time.Millisecond)
		running.leave()
	case x >= slowBase && x < 2*slowBase:
		time.Sleep(20 * time.Millisecond)
	case x >= 2*slowBase && x < 3*slowBase: // busy for 50µs
		for start := time.Now(); time.Since(start) < 50*time.Microsecond; {
		}
	}
	return x*x + shared, nil
}

// running counts the count tasks that run at once in this process, and the
// most that did.
var running concurrency

type concurrency struct {
	mu       sync.Mutex
	now, top int
}

func (c *concurrency) enter() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now++
	c.top = max(c.top, c.now)
}

func (c *concurrency) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now--
}

func (c *concurrency) most() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.top
}

const taskName = "github.com/mpire-go/mpire/runtime/cluster_test.task"

// taskFunc is what generated code builds for task with its shared object.
func taskFunc(shared int) mpireimpl.Func[workerState, int, int, struct{}] {
	return mpireimpl.Func[workerState, int, int, struct{}]{
		Name: "task",
		Run: func(w *mpireimpl.Worker[workerState], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if out[n], err = task(w.Context(), shared, w.State(), args[n]); err != nil {
					return n, err
				}
			}
			return n, nil
		},
		Init:   func(w *mpireimpl.Worker[workerState]) error { w.State().ready = true; return nil },
		Format: func(a *int) string { return mpireimpl.FormatArgs("x", *a) },
		Shared: func(b []byte) []byte { return binary.AppendVarint(b, int64(shared)) },
	}
}

// taskPortable is the hand-written form of the codecs that mpiregen writes
// for a portable task.
var taskPortable = mpireimpl.Portable[workerState, int, int, struct{}]{
	Task:       taskName,
	AppendArgs: flakytest.AppendInts,
	ReadArgs: func(b []byte, xs []int) ([]int, error) {
		xs, err := flakytest.ReadInts(b, xs)
		if slices.Contains(xs, decodeBad) {
			panic("ReadArgs panicked")
		}
		return xs, err
	},
	AppendResults: flakytest.AppendInts,
	ReadResults: func(b []byte, out []int) error {
		got, err := flakytest.ReadInts(b, out[:0])
		if err == nil && len(got) != len(out) {
			err = fmt.Errorf("%d results for %d tasks", len(got), len(out))
		}
		return err
	},
	AppendExit: func(b []byte, _ *struct{}) []byte { return b },
	ReadExit:   func([]byte, *struct{}) error { return nil },
	Child: func(shared []byte) (mpireimpl.Func[workerState, int, int, struct{}], error) {
		x, k := binary.Varint(shared)
		if k <= 0 {
			return mpireimpl.Func[workerState, int, int, struct{}]{}, errors.New("bad shared object")
		}
		return taskFunc(int(x)), nil
	},
}

// otherPortable is the same task as another build would have it, its
// argument a string: a worker with it must refuse this build's calls.
var otherPortable = mpireimpl.Portable[workerState, string, int, struct{}]{
	Task: taskName,
	Child: func([]byte) (mpireimpl.Func[workerState, string, int, struct{}], error) {
		return mpireimpl.Func[workerState, string, int, struct{}]{}, errors.New("never run")
	},
}

func init() {
	if os.Getenv(envOtherCode) != "" {
		mpireimpl.ServePortable(&otherPortable)
		return
	}
	mpireimpl.ServePortable(&taskPortable)
}
