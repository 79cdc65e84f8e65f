//go:build linux || darwin

package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// The supervisor of worker processes: every broken pipe is a death, every
// wait has a bound, and no call pays for another's.

// TestConcurrentCallsNeverKillEachOthersWorkers: calls on one pool of
// processes, some crashing their worker, some cancelled while their task
// waits: every other call succeeds with exact results. A kill is armed for
// one request and can never reach the process serving another.
func TestConcurrentCallsNeverKillEachOthersWorkers(t *testing.T) {
	p := newProcPool(t, 0, mpire.WithJobs(2), mpire.WithKeepAlive())
	const callers, calls = 4, 24
	var wg sync.WaitGroup
	for g := range callers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for k := range calls {
				xs := []int{g, k, g + k}
				switch rng.IntN(5) {
				case 0: // crashes its worker
					if _, err := p.Map(ctx, append(xs, killTask), mpire.WithChunkSize(1)); !errors.Is(err, mpire.ErrWorkerDied) {
						t.Errorf("a crashing call: %v, want ErrWorkerDied", err)
					}
				case 1: // cancelled while its task waits, or as it returns
					cctx, cancel := context.WithTimeout(ctx, time.Duration(rng.IntN(3000))*time.Microsecond)
					_, err := p.Map(cctx, append(xs, waitTask), mpire.WithChunkSize(1))
					cancel()
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("a cancelled call: %v, want DeadlineExceeded", err)
					}
				case 2: // cancelled as its tasks return
					cctx, cancel := context.WithTimeout(ctx, time.Duration(rng.IntN(3000))*time.Microsecond)
					got, err := p.Map(cctx, xs, mpire.WithChunkSize(1))
					cancel()
					if want := []int{g * g, k * k, (g + k) * (g + k)}; err != nil && !errors.Is(err, context.DeadlineExceeded) || err == nil && !slices.Equal(got, want) {
						t.Errorf("a call cancelled as it returns: %v, %v", got, err)
					}
				default:
					got, err := p.Map(ctx, xs, mpire.WithChunkSize(1))
					if want := []int{g * g, k * k, (g + k) * (g + k)}; err != nil || !slices.Equal(got, want) {
						t.Errorf("a call that neither crashed nor was cancelled: %v, %v; want %v", got, err, want)
					}
				}
			}
		})
	}
	wg.Wait()
	p.Close()
	noChildrenLeft(t)
}

// TestAWorkerKilledWhileIdleBlamesNoTask: a worker process that died
// between calls is replaced before the next call's tasks reach it.
func TestAWorkerKilledWhileIdleBlamesNoTask(t *testing.T) {
	p := newProcPool(t, 0, mpire.WithJobs(1), mpire.WithKeepAlive())
	pid, err := p.Apply(ctx, pidTask)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	// Until its parent, the pool, has reaped it: as the OOM killer's victim
	// would be by the next call.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d was not reaped after SIGKILL", pid)
		}
	}
	if got, err := p.Map(ctx, []int{1, 2, 3}); err != nil || !slices.Equal(got, []int{1, 4, 9}) {
		t.Fatalf("Map after the idle worker died = %v, %v", got, err)
	}
	p.Close()
	noChildrenLeft(t)
}

// TestADeafOrMuteWorkerIsADeath: a task that takes its worker's command or
// reply descriptor away leaves a worker that can no longer be spoken to,
// which is a death, never a hang. A mute worker's own task loses its reply:
// its call fails with ErrWorkerDied. A deaf worker never receives the next
// request: nothing of it ran, so it runs on a new worker, and no task is
// blamed. Either way the pool goes on with a new process.
func TestADeafOrMuteWorkerIsADeath(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x       int
		wantErr bool
	}{
		{"deaf", deafTask, false},
		{"mute", muteTask, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProcPool(t, 0, mpire.WithJobs(1), mpire.WithKeepAlive())
			var got []int
			var err error
			bounded(t, "Map", func() { got, err = p.Map(ctx, []int{1, tc.x, 2, 3}, mpire.WithChunkSize(1)) })
			switch {
			case tc.wantErr && !errors.Is(err, mpire.ErrWorkerDied):
				t.Fatalf("Map = %v, want ErrWorkerDied", err)
			case !tc.wantErr && (err != nil || !slices.Equal(got, []int{1, 0, 4, 9})):
				t.Fatalf("Map = %v, %v; want [1 0 4 9]", got, err)
			}
			if got, err := p.Map(ctx, []int{4, 5}); err != nil || !slices.Equal(got, []int{16, 25}) {
				t.Fatalf("Map after = %v, %v", got, err)
			}
			p.Close()
			noChildrenLeft(t)
		})
	}
}

// codecTask's values decode in the parent with the user's own code, which
// may panic: x = 13's result panics as it is decoded, x = -13 as its
// argument is encoded.
var codecPortable = mpireimpl.Portable[procState, int, int, int]{
	Task: "github.com/mpire-go/mpire/runtime_test.codecTask",
	AppendArgs: func(b []byte, xs []int) []byte {
		if slices.Contains(xs, -13) {
			panic("an argument's MarshalBinary panicked")
		}
		return flakytest.AppendInts(b, xs)
	},
	ReadArgs:      flakytest.ReadInts,
	AppendResults: flakytest.AppendInts,
	ReadResults: func(b []byte, out []int) error {
		got, err := flakytest.ReadInts(b, out[:0])
		if slices.Contains(got, 169) {
			panic("a result's UnmarshalBinary panicked")
		}
		return err
	},
	AppendExit: procPortable.AppendExit,
	ReadExit:   procPortable.ReadExit,
	Child: func(shared []byte) (mpireimpl.Func[procState, int, int, int], error) {
		return procFunc(0), nil
	},
}

func init() { mpireimpl.ServePortable(&codecPortable) }

// TestAPanickingCodecFailsTheCallNotTheProgram: the user's codecs that run
// in the parent run under the runtime's catcher.
func TestAPanickingCodecFailsTheCallNotTheProgram(t *testing.T) {
	fn := procFunc(0)
	fn.Portable = &codecPortable
	p := mpireimpl.NewPool(fn, mpire.WithProcesses(), mpire.WithJobs(1), mpire.WithKeepAlive())
	defer p.Close()
	for _, tc := range []struct{ x, chunk int }{{13, 1}, {-13, 3}} {
		// In a chunk of three, an argument that fails to encode is named
		// itself, not the chunk's first task.
		x := tc.x
		_, err := p.Map(ctx, []int{1, x, 2}, mpire.WithChunkSize(tc.chunk))
		var pe *mpire.PanicError
		if !errors.As(err, &pe) {
			t.Errorf("Map with %d = %v, want a *PanicError", x, err)
		} else if te := taskErr(t, err); te.Index != 1 {
			t.Errorf("Map with %d: the error names task %d, want 1: %v", x, te.Index, err)
		}
	}
	if got, err := p.Map(ctx, []int{2, 3}); err != nil || !slices.Equal(got, []int{4, 9}) {
		t.Fatalf("Map after = %v, %v", got, err)
	}
	p.Close()
	noChildrenLeft(t)
}

// TestCloseWithAFrozenWorkerWithoutExit: a task without an exit function
// needs no exit round trip, so closing its pool never waits for a worker that
// was stopped (SIGSTOP) while idle, and leaves no worker process.
func TestCloseWithAFrozenWorkerWithoutExit(t *testing.T) {
	fn := procFunc(0)
	fn.Exit = nil
	fn.Portable = &procPortable
	p := mpireimpl.NewPool(fn, mpire.WithProcesses(), mpire.WithJobs(1), mpire.WithKeepAlive())
	pid, err := p.Apply(ctx, pidTask)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGSTOP)
	defer syscall.Kill(pid, syscall.SIGKILL)
	bounded(t, "Close", func() { err = p.Close() })
	if err != nil {
		t.Errorf("Close = %v, want nil: no exit function ran, and none timed out", err)
	}
	noChildrenLeft(t)
}

// TestAFrozenStartIsBounded: a worker process that hangs before it serves
// holds its call no longer than WithWorkerInitTimeout, or the call's
// context.
func TestAFrozenStartIsBounded(t *testing.T) {
	t.Setenv(hangBeforeServing, "1")
	p := newProcPool(t, 0, mpire.WithJobs(1), mpire.WithWorkerInitTimeout(time.Second))
	var err error
	bounded(t, "Map with an init time limit", func() { _, err = p.Map(ctx, []int{1, 2}) })
	if !errors.Is(err, mpire.ErrTimeout) {
		t.Errorf("Map = %v, want ErrTimeout", err)
	}
	q := newProcPool(t, 0, mpire.WithJobs(1))
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	bounded(t, "Map with a deadline", func() { _, err = q.Map(dctx, []int{1, 2}) })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Map = %v, want DeadlineExceeded", err)
	}
	p.Close()
	q.Close()
	noChildrenLeft(t)
}
