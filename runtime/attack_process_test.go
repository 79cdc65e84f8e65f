//go:build linux || darwin

package mpire_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// Hostile tests of worker processes: user code that misbehaves in every
// place it runs, in the parent and in the child, and calls that crash and
// are cancelled concurrently on one pool.

// The arguments of hostTask that make its codecs, its functions or the
// formatting of its arguments misbehave. Each codec runs on one side only:
// arguments are encoded in the parent and decoded in the child, results
// and exit values the other way round, the shared object encoded in the
// parent and decoded in the child.
const (
	argsEncodePanic  = -100 // AppendArgs panics (parent)
	argsDecodePanic  = -101 // ReadArgs panics (child)
	argsDecodeGoexit = -102 // ReadArgs calls runtime.Goexit (child)
	argsEncodeGoexit = -103 // AppendArgs calls runtime.Goexit (parent)
	resEncodePanic   = -104 // AppendResults panics (child)
	resDecodePanic   = -105 // ReadResults panics (parent)
	resDecodeGoexit  = -106 // ReadResults calls runtime.Goexit (parent)
	resEncodeGoexit  = -107 // AppendResults calls runtime.Goexit (child)
	exitEncodePanic  = -108 // the worker's exit value: AppendExit panics (child)
	exitDecodePanic  = -109 // ReadExit panics (parent)
	exitPanic        = -110 // the exit function panics
	exitGoexit       = -111 // the exit function calls runtime.Goexit
	taskGoexit       = -113 // the task calls runtime.Goexit (child)
	formatPanic      = -114 // the task fails, and formatting its argument panics (parent)
	formatGoexit     = -115 // the task fails, and formatting its argument calls runtime.Goexit (parent)
	exitEncodeGoexit = -116 // AppendExit calls runtime.Goexit (child)
	exitDecodeGoexit = -117 // ReadExit calls runtime.Goexit (parent)
	closeCommands    = -120 // the task closes descriptor 3
	closeReplies     = -121 // the task closes descriptor 4
	nullCommands     = -122 // the task puts /dev/null on descriptor 3
	nullReplies      = -123 // the task puts /dev/null on descriptor 4
	garbageReplies   = -124 // the task writes garbage on descriptor 4
	forgedReply      = -125 // the task writes a well-formed reply of no task, no error, on descriptor 4
	brokenUnwrap     = -126 // returns an error whose Unwrap panics (child)
	brokenErrorText  = -127 // returns an error whose Error method panics (child)
	hostPid          = -130 // returns its process id
	hostWait         = -131 // waits for its context
)

// The shared objects of hostTask whose codecs or init misbehave.
const (
	sharedEncodePanic = 1 // Shared panics (parent)
	sharedDecodePanic = 2 // Portable.Child panics (child)
	initPanic         = 3 // init panics
	initGoexit        = 4 // init calls runtime.Goexit
	initWait          = 5 // init waits for its context
)

type hostState struct{ exit int }

func hostTask(ctx context.Context, st *hostState, x int) (int, error) {
	switch x {
	case exitEncodePanic, exitDecodePanic, exitPanic, exitGoexit, exitEncodeGoexit, exitDecodeGoexit:
		st.exit = x
	case taskGoexit:
		runtime.Goexit()
	case formatPanic, formatGoexit:
		return 0, errors.New("the task failed")
	case closeCommands:
		syscall.Close(3)
		time.Sleep(100 * time.Millisecond)
	case closeReplies:
		syscall.Close(4)
		time.Sleep(100 * time.Millisecond)
	case nullCommands, nullReplies:
		fd, err := syscall.Open("/dev/null", syscall.O_RDWR, 0)
		if err != nil {
			return 0, err
		}
		target := 3
		if x == nullReplies {
			target = 4
		}
		if err := syscall.Dup2(fd, target); err != nil {
			return 0, err
		}
		time.Sleep(100 * time.Millisecond)
	case garbageReplies:
		syscall.Write(4, []byte("\x07\x00\x00\x00\x06garbage"))
		time.Sleep(100 * time.Millisecond)
	case forgedReply:
		// The reply of request 1, the first run after the init, that
		// says no task completed and none failed.
		body := []byte{1, 0, 0, 0} // id 1; N 0; took 0; no error
		frame := binary.LittleEndian.AppendUint32(nil, uint32(1+len(body)))
		frame = append(frame, 6) // a reply
		syscall.Write(4, append(frame, body...))
		time.Sleep(200 * time.Millisecond)
	case brokenUnwrap:
		return 0, brokenErr{"Unwrap panics"}
	case brokenErrorText:
		return 0, brokenErr{"Error panics"}
	case hostPid:
		return os.Getpid(), nil
	case hostWait:
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return x, nil
}

func hostFunc(shared int) mpireimpl.Func[hostState, int, int, int] {
	fn := mpireimpl.Func[hostState, int, int, int]{
		Name: "hostTask",
		Run: func(w *mpireimpl.Worker[hostState], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if out[n], err = hostTask(w.Context(), w.State(), args[n]); err != nil {
					return n, err
				}
			}
			return n, nil
		},
		Init: func(w *mpireimpl.Worker[hostState]) error {
			switch shared {
			case initPanic:
				panic("init panicked")
			case initGoexit:
				runtime.Goexit()
			case initWait:
				<-w.Context().Done()
				return w.Context().Err()
			}
			return nil
		},
		Exit: func(w *mpireimpl.Worker[hostState]) (int, error) {
			switch w.State().exit {
			case exitPanic:
				panic("exit panicked")
			case exitGoexit:
				runtime.Goexit()
			}
			return w.State().exit, nil
		},
		Format: func(a *int) string {
			switch *a {
			case formatPanic:
				panic("String panicked")
			case formatGoexit:
				runtime.Goexit()
			}
			return mpireimpl.FormatArgs("x", *a)
		},
		Shared: func(b []byte) []byte {
			if shared == sharedEncodePanic {
				panic("encoding the shared object panicked")
			}
			return binary.AppendVarint(b, int64(shared))
		},
	}
	return fn
}

var hostPortable = mpireimpl.Portable[hostState, int, int, int]{
	Task: "github.com/mpire-go/mpire/runtime_test.hostTask",
	AppendArgs: func(b []byte, xs []int) []byte {
		for _, x := range xs {
			switch x {
			case argsEncodePanic:
				panic("AppendArgs panicked")
			case argsEncodeGoexit:
				runtime.Goexit()
			}
		}
		return flakytest.AppendInts(b, xs)
	},
	ReadArgs: func(b []byte, xs []int) ([]int, error) {
		xs, err := flakytest.ReadInts(b, xs)
		for _, x := range xs {
			switch x {
			case argsDecodePanic:
				panic("ReadArgs panicked")
			case argsDecodeGoexit:
				runtime.Goexit()
			}
		}
		return xs, err
	},
	AppendResults: func(b []byte, out []int) []byte {
		for _, x := range out {
			switch x {
			case resEncodePanic:
				panic("AppendResults panicked")
			case resEncodeGoexit:
				runtime.Goexit()
			}
		}
		return flakytest.AppendInts(b, out)
	},
	ReadResults: func(b []byte, out []int) error {
		got, err := flakytest.ReadInts(b, out[:0])
		for _, x := range got {
			switch x {
			case resDecodePanic:
				panic("ReadResults panicked")
			case resDecodeGoexit:
				runtime.Goexit()
			}
		}
		if err == nil && len(got) != len(out) {
			err = fmt.Errorf("%d results for %d tasks", len(got), len(out))
		}
		return err
	},
	AppendExit: func(b []byte, e *int) []byte {
		switch *e {
		case exitEncodePanic:
			panic("AppendExit panicked")
		case exitEncodeGoexit:
			runtime.Goexit()
		}
		return binary.AppendVarint(b, int64(*e))
	},
	ReadExit: func(b []byte, e *int) error {
		x, k := binary.Varint(b)
		if k <= 0 {
			return errors.New("bad exit value")
		}
		switch x {
		case exitDecodePanic:
			panic("ReadExit panicked")
		case exitDecodeGoexit:
			runtime.Goexit()
		}
		*e = int(x)
		return nil
	},
	Child: func(shared []byte) (mpireimpl.Func[hostState, int, int, int], error) {
		x, k := binary.Varint(shared)
		if k <= 0 {
			return mpireimpl.Func[hostState, int, int, int]{}, errors.New("bad shared object")
		}
		if x == sharedDecodePanic {
			panic("decoding the shared object panicked")
		}
		return hostFunc(int(x)), nil
	},
}

func init() { mpireimpl.ServePortable(&hostPortable) }

func newHostPool(t testing.TB, shared int, opts ...mpire.Option) *mpireimpl.Pool[hostState, int, int, int] {
	t.Helper()
	fn := hostFunc(shared)
	fn.Portable = &hostPortable
	p := mpireimpl.NewPool(fn, append([]mpire.Option{mpire.WithProcesses()}, opts...)...)
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Close()
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("Close hangs")
		}
	})
	return p
}

// closeBounded closes p, failing the test when Close hangs.
func closeBounded(t *testing.T, p interface{ Close() error }) (err error) {
	t.Helper()
	bounded(t, "Close", func() { err = p.Close() })
	return err
}

// TestAttackProcessUserCodeMisbehavesEverywhere: each of the user's
// functions and codecs panics or ends its goroutine, in the parent or in the
// child. The call fails (never hangs, never takes the program down), and
// the pool goes on giving exact results; no worker process outlives it.
func TestAttackProcessUserCodeMisbehavesEverywhere(t *testing.T) {
	for _, tc := range []struct {
		name  string
		x     int
		limit time.Duration // a task time limit: the tasks run one by one
	}{
		{"AppendArgs panics", argsEncodePanic, 0},
		{"AppendArgs Goexit", argsEncodeGoexit, 0},
		{"ReadArgs panics in the child", argsDecodePanic, 0},
		{"ReadArgs Goexit in the child", argsDecodeGoexit, 0},
		{"AppendResults panics in the child", resEncodePanic, 0},
		{"AppendResults Goexit in the child", resEncodeGoexit, 0},
		{"ReadResults panics", resDecodePanic, 0},
		{"ReadResults Goexit", resDecodeGoexit, 0},
		{"task Goexit in the child", taskGoexit, 0},
		{"String panics", formatPanic, 0},
		{"String Goexit", formatGoexit, 0},
		{"the task's error: Unwrap panics", brokenUnwrap, 0},
		{"the task's error: Error panics", brokenErrorText, 0},
		{"AppendResults panics in the child, under a time limit", resEncodePanic, time.Minute},
		{"AppendResults Goexit in the child, under a time limit", resEncodeGoexit, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newHostPool(t, 0, mpire.WithJobs(1), mpire.WithKeepAlive())
			var err error
			opts := []mpire.CallOption{mpire.WithChunkSize(3)}
			if tc.limit > 0 {
				opts = append(opts, mpire.WithTaskTimeout(tc.limit))
			}
			bounded(t, "the call", func() { _, err = p.Map(ctx, []int{1, tc.x, 3}, opts...) })
			if err == nil {
				t.Fatalf("Map succeeded")
			}
			t.Logf("Map: %v", err)
			if tc.x == argsDecodeGoexit && !strings.Contains(err.Error(), "decoding the arguments") {
				t.Errorf("Map: %v, want a failure of the arguments' decoding, not of init or a task", err)
			}
			// Recorded in the worker's ledger as each task completes, a
			// result that fails to encode is not taken for a task's failure.
			if (tc.x == resEncodePanic || tc.x == resEncodeGoexit) && !strings.Contains(err.Error(), "encoding the results") {
				t.Errorf("Map: %v, want a failure of the results' encoding", err)
			}
			var got []int
			bounded(t, "the next call", func() { got, err = p.Map(ctx, []int{1, 2, 3}) })
			if err != nil || !slices.Equal(got, []int{1, 2, 3}) {
				t.Fatalf("the next call: %v, %v", got, err)
			}
			closeBounded(t, p)
			noChildrenLeft(t)
		})
	}
}

// TestAttackProcessExitMisbehaves: the exit function, or the codecs of its
// value, misbehave when the pool closes; Close returns an error, never
// hangs, and no worker process outlives it.
func TestAttackProcessExitMisbehaves(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    int
	}{
		{"exit panics", exitPanic},
		{"exit Goexit", exitGoexit},
		{"AppendExit panics in the child", exitEncodePanic},
		{"AppendExit Goexit in the child", exitEncodeGoexit},
		{"ReadExit panics", exitDecodePanic},
		{"ReadExit Goexit", exitDecodeGoexit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newHostPool(t, 0, mpire.WithJobs(1), mpire.WithKeepAlive())
			var err error
			bounded(t, "the call", func() { _, err = p.Map(ctx, []int{1, tc.x}) })
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			err = closeBounded(t, p)
			if err == nil {
				t.Fatalf("Close succeeded")
			}
			t.Logf("Close: %v", err)
			noChildrenLeft(t)
		})
		t.Run(tc.name+" at the end of a lifespan", func(t *testing.T) {
			p := newHostPool(t, 0, mpire.WithJobs(1))
			var err error
			bounded(t, "the call", func() {
				_, err = p.Map(ctx, []int{1, tc.x, 3, 4}, mpire.WithChunkSize(2), mpire.WithWorkerLifespan(2))
			})
			if err == nil {
				t.Fatalf("Map succeeded")
			}
			t.Logf("Map: %v", err)
			var got []int
			bounded(t, "the next call", func() { got, err = p.Map(ctx, []int{1, 2, 3}) })
			if err != nil || !slices.Equal(got, []int{1, 2, 3}) {
				t.Fatalf("the next call: %v, %v", got, err)
			}
			closeBounded(t, p)
			noChildrenLeft(t)
		})
	}
}

// TestAttackProcessSharedAndInitMisbehave: the shared object's codecs and
// the init function misbehave; every call fails, none hangs.
func TestAttackProcessSharedAndInitMisbehave(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shared int
	}{
		{"Shared panics", sharedEncodePanic},
		{"Child panics in the child", sharedDecodePanic},
		{"init panics", initPanic},
		{"init Goexit", initGoexit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newHostPool(t, tc.shared, mpire.WithJobs(2))
			for range 2 {
				var err error
				bounded(t, "the call", func() { _, err = p.Map(ctx, []int{1, 2, 3}, mpire.WithChunkSize(1)) })
				if err == nil {
					t.Fatalf("Map succeeded")
				}
				t.Logf("Map: %v", err)
			}
			closeBounded(t, p)
			noChildrenLeft(t)
		})
	}
}

// TestAttackProcessTaskTouchesItsDescriptors: a task that closes or
// replaces the protocol's descriptors, or writes on the replies' own. Its
// call fails with ErrWorkerDied, naming it; it never hangs, and the pool
// goes on.
func TestAttackProcessTaskTouchesItsDescriptors(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    int
		bug  string
	}{
		{"close 3", closeCommands, ""},
		{"close 4", closeReplies, ""},
		{"/dev/null on 3", nullCommands, ""},
		{"/dev/null on 4", nullReplies, ""},
		{"garbage on 4", garbageReplies, ""},
		{"a forged reply on 4", forgedReply, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.bug != "" {
				t.Skip(tc.bug)
			}
			p := newHostPool(t, 0, mpire.WithJobs(1), mpire.WithKeepAlive())
			var got []int
			var err error
			bounded(t, "the call", func() { got, err = p.Map(ctx, []int{1, tc.x, 3}, mpire.WithChunkSize(3)) })
			// A worker that can still reply may answer its call; one that
			// cannot is dead, and its call fails with ErrWorkerDied.
			if err == nil && !slices.Equal(got, []int{1, tc.x, 3}) {
				t.Fatalf("Map = %v, nil: want an error or exact results", got)
			}
			if err != nil && !errors.Is(err, mpire.ErrWorkerDied) {
				t.Errorf("Map: %v, want ErrWorkerDied", err)
			}
			t.Logf("Map: %v, %v", got, err)
			// The next call is not to blame for what the last did.
			bounded(t, "the next call", func() { got, err = p.Map(ctx, []int{1, 2, 3}) })
			if err != nil || !slices.Equal(got, []int{1, 2, 3}) {
				t.Fatalf("the next call: %v, %v", got, err)
			}
			closeBounded(t, p)
			noChildrenLeft(t)
		})
	}
}

// TestAttackProcessKilledWhileIdle: a worker process killed between calls is
// replaced; the next call succeeds, and no task is blamed.
func TestAttackProcessKilledWhileIdle(t *testing.T) {
	testKilledWhileIdle(t, true)
}

// TestAttackProcessKilledJustBeforeACall: the same, with the next call made
// as soon as the kill is sent.
func TestAttackProcessKilledJustBeforeACall(t *testing.T) {

	testKilledWhileIdle(t, false)
}

func testKilledWhileIdle(t *testing.T, idle bool) {
	p := newHostPool(t, 0, mpire.WithJobs(1), mpire.WithKeepAlive())
	for i := range 10 {
		var pid int
		var err error
		bounded(t, "a call", func() { pid, err = p.Apply(ctx, hostPid) })
		if err != nil {
			t.Fatalf("round %d: Apply: %v", i, err)
		}
		if i%2 == 1 {
			syscall.Kill(pid, syscall.SIGSTOP) // frozen, then killed
		}
		syscall.Kill(pid, syscall.SIGKILL)
		if idle {
			// Really idle: dead for a while before the next call.
			for deadline := time.Now().Add(5 * time.Second); alive(pid) && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond)
		}
		var r int
		bounded(t, "the next call", func() { r, err = p.Apply(ctx, 7) })
		if err != nil || r != 7 {
			t.Fatalf("round %d: after its worker was killed while idle: %d, %v", i, r, err)
		}
	}
	closeBounded(t, p)
	noChildrenLeft(t)
}

// TestAttackProcessCancelAtEveryStep cancels a call on worker processes
// before init, during init, during a run, and during a lifespan restart;
// the call returns its context's error, and the pool goes on.
func TestAttackProcessCancelAtEveryStep(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		p := newHostPool(t, 0, mpire.WithJobs(2))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var err error
		bounded(t, "the call", func() { _, err = p.Map(cctx, []int{1, 2, 3}) })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Map = %v, want Canceled", err)
		}
		closeBounded(t, p)
		noChildrenLeft(t)
	})
	t.Run("during init", func(t *testing.T) {
		p := newHostPool(t, initWait, mpire.WithJobs(2))
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		var err error
		bounded(t, "the call", func() { _, err = p.Map(cctx, []int{1, 2, 3}) })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Map = %v, want DeadlineExceeded", err)
		}
		closeBounded(t, p)
		noChildrenLeft(t)
	})
	t.Run("during a run", func(t *testing.T) {
		p := newHostPool(t, 0, mpire.WithJobs(2), mpire.WithKeepAlive())
		for i := range 5 {
			cctx, cancel := context.WithTimeout(ctx, time.Duration(i*20)*time.Millisecond)
			var err error
			bounded(t, "the call", func() { _, err = p.Map(cctx, []int{1, hostWait, 3, hostWait}, mpire.WithChunkSize(1)) })
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Map = %v, want DeadlineExceeded", err)
			}
			var got []int
			bounded(t, "the next call", func() { got, err = p.Map(ctx, []int{1, 2, 3}) })
			if err != nil || !slices.Equal(got, []int{1, 2, 3}) {
				t.Fatalf("the next call: %v, %v", got, err)
			}
		}
		closeBounded(t, p)
		noChildrenLeft(t)
	})
	t.Run("at random moments, with lifespans", func(t *testing.T) {
		p := newHostPool(t, 0, mpire.WithJobs(2), mpire.WithKeepAlive())
		rng := rand.New(rand.NewPCG(1, 2))
		for range 20 {
			cctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(time.Duration(rng.IntN(30000))*time.Microsecond, cancel)
			in := ints(40)
			var got []int
			var err error
			bounded(t, "the call", func() {
				got, err = p.Map(cctx, in, mpire.WithChunkSize(1+rng.IntN(3)), mpire.WithWorkerLifespan(1+rng.IntN(3)))
			})
			cancel()
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("Map = %v, want success or Canceled", err)
			}
			if err == nil && !slices.Equal(got, in) {
				t.Fatalf("Map = %v, want %v", got, in)
			}
		}
		closeBounded(t, p)
		noChildrenLeft(t)
	})
}

// TestAttackProcessConcurrentCallsWhileWorkersCrash: calls on one process
// pool, some of which kill their worker, some cancelled at random moments.
// Every call that neither crashed nor was cancelled succeeds, exactly.
func TestAttackProcessConcurrentCallsWhileWorkersCrash(t *testing.T) {
	p := newHostPool(t, 0, mpire.WithJobs(2), mpire.WithKeepAlive())
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 12 {
				in := ints(1 + rng.IntN(8))
				crash, cancelled := false, false
				cctx, cancel := context.WithCancel(ctx)
				switch rng.IntN(4) {
				case 0:
					in[rng.IntN(len(in))] = taskGoexit
					crash = true
				case 1:
					in[rng.IntN(len(in))] = hostWait
					cancelled = true
					time.AfterFunc(time.Duration(rng.IntN(20))*time.Millisecond, cancel)
				case 2:
					cancelled = true
					time.AfterFunc(time.Duration(rng.IntN(5000))*time.Microsecond, cancel)
				}
				got, err := p.Map(cctx, in, mpire.WithChunkSize(1+rng.IntN(3)))
				cancel()
				switch {
				case crash && !errors.Is(err, mpire.ErrWorkerDied) && !(cancelled && errors.Is(err, context.Canceled)):
					errs <- fmt.Errorf("a crashing call: %v", err)
				case cancelled && err != nil && !errors.Is(err, context.Canceled):
					errs <- fmt.Errorf("a cancelled call failed with %v", err)
				case !crash && !cancelled && (err != nil || !slices.Equal(got, in)):
					errs <- fmt.Errorf("a call with neither crash nor cancel: %v, %v", got, err)
				case !crash && cancelled && err == nil && !slices.Equal(got, in):
					errs <- fmt.Errorf("a call that was not cancelled in time: %v, want %v", got, in)
				}
			}
		}()
	}
	bounded(t, "the calls", wg.Wait)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	closeBounded(t, p)
	noChildrenLeft(t)
}

// TestAttackProcessExtremeOptionValues: time limits of 1ns, lifespans of 1,
// insights, on worker processes: every call returns, with exact results
// or the error of its limit, and the pool goes on.
func TestAttackProcessExtremeOptionValues(t *testing.T) {
	p := newHostPool(t, 0, mpire.WithJobs(2), mpire.WithKeepAlive(), mpire.WithInsights())
	in := ints(12)
	for _, tc := range []struct {
		name string
		opts []mpire.CallOption
		want error // nil: exact results
	}{
		{"task timeout 1ns", []mpire.CallOption{mpire.WithTaskTimeout(1)}, mpire.ErrTimeout},
		{"init timeout 1ns", []mpire.CallOption{mpire.WithWorkerInitTimeout(1), mpire.WithWorkerLifespan(1)}, mpire.ErrTimeout},
		{"exit timeout 1ns", []mpire.CallOption{mpire.WithWorkerExitTimeout(1), mpire.WithWorkerLifespan(1)}, mpire.ErrTimeout},
		{"lifespan 1, chunk 1", []mpire.CallOption{mpire.WithWorkerLifespan(1), mpire.WithChunkSize(1)}, nil},
		{"lifespan 1, one chunk", []mpire.CallOption{mpire.WithWorkerLifespan(1), mpire.WithChunkSize(len(in))}, nil},
		{"max tasks active 1", []mpire.CallOption{mpire.WithMaxTasksActive(1)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 3 {
				var got []int
				var err error
				bounded(t, "the call", func() { got, err = p.Map(ctx, in, tc.opts...) })
				switch {
				case err == nil && !slices.Equal(got, in):
					t.Fatalf("Map = %v, want %v", got, in)
				case err != nil && (tc.want == nil || !errors.Is(err, tc.want)):
					t.Fatalf("Map: %v, want %v", err, tc.want)
				}
				var r int
				bounded(t, "the next call", func() { r, err = p.Apply(ctx, 5) })
				if err != nil || r != 5 {
					t.Fatalf("the next call: %d, %v", r, err)
				}
			}
		})
	}
	closeBounded(t, p)
	noChildrenLeft(t)
}

// TestAttackProcessCloseWithAFrozenWorker: Close with an idle worker that
// was stopped (SIGSTOP) returns, and leaves no worker process.
func TestAttackProcessCloseWithAFrozenWorker(t *testing.T) {
	t.Skip("a task with an exit function and no WithWorkerExitTimeout waits for its exit, as in one process; TestCloseWithAFrozenWorkerWithoutExit holds the case without one")
	p := newHostPool(t, 0, mpire.WithJobs(1), mpire.WithKeepAlive())
	var pid int
	var err error
	bounded(t, "a call", func() { pid, err = p.Apply(ctx, hostPid) })
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGSTOP)
	defer syscall.Kill(pid, syscall.SIGKILL)
	t.Logf("Close: %v", closeBounded(t, p))
	noChildrenLeft(t)
}
