// A worker process records in a ledger shared with its parent the task it
// is on and the results before it: Linux only.

//go:build linux

package remote

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// The arguments of poisonTask that make its worker process die.
const (
	poisonExit = -1 // os.Exit(3)
	poisonKill = -2 // SIGKILL to itself
	poisonSegv = -3 // SIGSEGV to itself
)

// poisonTask gives x*1000 bytes, each x%251, or dies as x says: results
// of every size, whose chunk outgrows a ledger's first megabyte.
func poisonTask(x int) []byte {
	switch x {
	case poisonExit:
		os.Exit(3)
	case poisonKill:
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case poisonSegv:
		syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		time.Sleep(time.Minute)
	}
	return bytes.Repeat([]byte{byte(x % 251)}, x*1000)
}

func poisonFunc() engine.Func[struct{}, int, []byte, struct{}] {
	return engine.Func[struct{}, int, []byte, struct{}]{
		Name: "poisonTask",
		Run: func(w *engine.Worker[struct{}], args []int, out [][]byte) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				out[n] = poisonTask(args[n])
			}
			return n, nil
		},
		Format: func(a *int) string { return fmt.Sprint(*a) },
	}
}

var poisonPortable = engine.Portable[struct{}, int, []byte, struct{}]{
	Task: "github.com/mpire-go/mpire/runtime/internal/remote.poisonTask",
	AppendArgs: func(b []byte, args []int) []byte {
		b = binary.AppendUvarint(b, uint64(len(args)))
		for _, x := range args {
			b = binary.AppendVarint(b, int64(x))
		}
		return b
	},
	ReadArgs: func(b []byte, args []int) ([]int, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return args, errors.New("bad count")
		}
		b = b[k:]
		for range n {
			x, k := binary.Varint(b)
			if k <= 0 {
				return args, errors.New("bad argument")
			}
			args, b = append(args, int(x)), b[k:]
		}
		return args, nil
	},
	AppendResults: func(b []byte, out [][]byte) []byte {
		b = binary.AppendUvarint(b, uint64(len(out)))
		for _, r := range out {
			b = binary.AppendUvarint(b, uint64(len(r)))
			b = append(b, r...)
		}
		return b
	},
	ReadResults: func(b []byte, out [][]byte) error {
		n, k := binary.Uvarint(b)
		if k <= 0 || n != uint64(len(out)) {
			return fmt.Errorf("%d results for %d tasks", n, len(out))
		}
		b = b[k:]
		for i := range out {
			m, k := binary.Uvarint(b)
			if k <= 0 || m > uint64(len(b)-k) {
				return errors.New("bad result")
			}
			out[i], b = bytes.Clone(b[k:k+int(m)]), b[k+int(m):]
		}
		if len(b) > 0 {
			return errors.New("bytes after the results")
		}
		return nil
	},
	AppendExit: func(b []byte, _ *struct{}) []byte { return b },
	ReadExit:   func([]byte, *struct{}) error { return nil },
	Child: func([]byte) (engine.Func[struct{}, int, []byte, struct{}], error) {
		return poisonFunc(), nil
	},
}

func init() { ServePortable(&poisonPortable) }

// TestAProcessDeathKeepsTheResultsBefore: the executor of a worker process
// that died in the middle of a run returns the tasks that completed before
// the one it was on, with their results, and the failure of that one; in
// the generated loop and one task at a time under a time limit alike, and
// past the ledger's first megabyte.
func TestAProcessDeathKeepsTheResultsBefore(t *testing.T) {
	const k = 36 // the poison task
	for _, limit := range []time.Duration{0, time.Minute} {
		for _, poison := range []int{poisonExit, poisonKill, poisonSegv} {
			t.Run(fmt.Sprintf("limit=%v,x=%d", limit, poison), func(t *testing.T) {
				fn := poisonFunc()
				fn.Portable = &poisonPortable
				x := newExecutor(&fn, Processes, engine.ExecutorConfig{})
				defer x.Close()
				if err := x.Init(context.Background(), 0); err != nil {
					t.Fatal(err)
				}
				pid := x.ep.(*process).c.Pid()
				args := make([]int, 64)
				for i := range args {
					args[i] = 64 + i
				}
				args[k] = poison
				var stop atomic.Bool
				tasks := &engine.Tasks[int, []byte]{Ctx: context.Background(), Stop: &stop, S: &engine.Settings{TaskTimeout: limit}, Start: 64, Args: args, Out: make([][]byte, len(args))}
				n, err := x.Run(tasks)
				if n != k || !errors.Is(err, engine.ErrWorkerDied) {
					t.Fatalf("Run = %d, %v; want %d and ErrWorkerDied", n, err, k)
				}
				for i, r := range tasks.Out {
					if i >= k {
						if r != nil {
							t.Fatalf("a result for task %d, which did not complete", i)
						}
					} else if want := bytes.Repeat([]byte{byte(args[i] % 251)}, args[i]*1000); !bytes.Equal(r, want) {
						t.Fatalf("result %d: %d bytes, want %d", i, len(r), len(want))
					}
				}
				if x.ep != nil || syscall.Kill(pid, 0) == nil {
					t.Errorf("the dead worker %d is still the executor's, or alive", pid)
				}
			})
		}
	}
}
