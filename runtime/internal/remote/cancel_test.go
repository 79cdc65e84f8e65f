//go:build linux

package remote

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// TestACallFailedElsewhereKeepsThisWorker: a call's context is cancelled
// with the call's first failure, here another worker's death. A request of
// that call that its context ends before it reaches this worker process
// fails with the cancellation, not that death: this worker, which serves
// on, is the executor's still, serves the next run, and ends with Close.
// Before, the executor took the other worker's death for this one's and
// dropped its live process unclosed, which outlived its pool.
func TestACallFailedElsewhereKeepsThisWorker(t *testing.T) {
	for _, phase := range []string{"init", "run"} {
		t.Run(phase, func(t *testing.T) {
			fn := poisonFunc()
			fn.Portable = &poisonPortable
			x := newExecutor(&fn, Processes, engine.ExecutorConfig{})
			defer x.Close()
			if err := x.Init(context.Background(), 0); err != nil {
				t.Fatal(err)
			}
			pid := x.ep.(*process).c.Pid()

			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(fmt.Errorf("task 3 failed in worker 1: %w", engine.ErrWorkerDied))
			var stop atomic.Bool
			var err error
			switch phase {
			case "init":
				err = x.Init(ctx, 0)
			case "run":
				_, err = x.Run(&engine.Tasks[int, []byte]{Ctx: ctx, Stop: &stop, S: &engine.Settings{}, Args: []int{1}, Out: make([][]byte, 1)})
			}
			if !errors.Is(err, context.Canceled) || errors.Is(err, engine.ErrWorkerDied) {
				t.Fatalf("%s = %v, want Canceled and not ErrWorkerDied", phase, err)
			}
			if x.ep == nil || x.ep.(*process).c.Pid() != pid || !x.ep.Alive() {
				t.Fatalf("worker process %d, which serves on, is no longer the executor's", pid)
			}
			out := make([][]byte, 1)
			if n, err := x.Run(&engine.Tasks[int, []byte]{Ctx: context.Background(), Stop: &stop, S: &engine.Settings{}, Args: []int{2}, Out: out}); n != 1 || err != nil || len(out[0]) != 2000 {
				t.Fatalf("the next run = %d, %v, %d bytes", n, err, len(out[0]))
			}
			x.Close()
			if err := syscall.Kill(pid, 0); err == nil {
				t.Fatalf("worker process %d outlives its executor", pid)
			}
		})
	}
}
