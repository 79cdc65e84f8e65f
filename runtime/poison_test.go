// A worker process records in a ledger shared with its parent the task it
// is on and the results before it: Linux only.

//go:build linux

package mpire_test

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
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

// The arguments that make a poison task die, in the middle of a chunk.
const (
	poisonExit        = -1 // os.Exit(3)
	poisonKill        = -2 // SIGKILL to itself
	poisonSegv        = -3 // SIGSEGV to itself: the Go runtime's crash
	poisonScribble    = -4 // random bytes over its ledger, the run's id kept, then os.Exit(3)
	poisonOverclaim   = -5 // a ledger of 1000 whole results, more than its chunk holds, then os.Exit(3)
	poisonUndecodable = -6 // a ledger whose results, as many as ran, do not decode, then os.Exit(3)
	poisonMute        = -7 // close its reply descriptor and give x*x: the process dies when it replies
)

// envRuns names a file to which each poison task appends its argument, so
// that a test counts the runs of each task in every process.
const envRuns = "MPIRE_TEST_POISON_RUNS"

// poisonTask gives x*x, or dies as x says.
func poisonTask(x int) int {
	if path := os.Getenv(envRuns); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			panic(err)
		}
		fmt.Fprintln(f, x)
		f.Close()
	}
	switch x {
	case poisonExit:
		os.Exit(3)
	case poisonKill:
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case poisonSegv:
		syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		time.Sleep(time.Minute)
	case poisonScribble, poisonOverclaim, poisonUndecodable:
		sabotageLedger(x)
		os.Exit(3)
	case poisonMute:
		syscall.Close(4)
	}
	return x * x
}

// The ledger's layout, as package proc writes it: three counts, then the
// entries, from byte 64.
const (
	ledgerFD                            = 5
	ledgerDone, ledgerUsed, ledgerStart = 8, 16, 64
)

// sabotageLedger writes over this worker process's ledger, which holds the
// record of the run it is on, what op says.
func sabotageLedger(op int) {
	var st unix.Stat_t
	if err := unix.Fstat(ledgerFD, &st); err != nil {
		panic(err)
	}
	mem, err := unix.Mmap(ledgerFD, 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		panic(err)
	}
	done := binary.LittleEndian.Uint64(mem[ledgerDone:])
	var entries []byte
	switch op {
	case poisonScribble:
		rand.Read(mem[ledgerDone:])
		return
	case poisonOverclaim:
		done = 1000
		for range done {
			entries = append(entries, 2, 1, 0) // the encoding of one result, 0
		}
	case poisonUndecodable:
		for range done {
			entries = append(entries, 1, 7) // seven results announced, none there
		}
	}
	copy(mem[ledgerStart:], entries)
	binary.LittleEndian.PutUint64(mem[ledgerUsed:], uint64(len(entries)))
	binary.LittleEndian.PutUint64(mem[ledgerDone:], done)
}

// poisonFunc is what generated code builds for poisonTask.
func poisonFunc() mpireimpl.Func[struct{}, int, int, struct{}] {
	return mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "poisonTask",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				out[n] = poisonTask(args[n])
			}
			return n, nil
		},
		Format: func(a *int) string { return mpireimpl.FormatArgs("x", *a) },
	}
}

var poisonPortable = mpireimpl.Portable[struct{}, int, int, struct{}]{
	Task:          "github.com/mpire-go/mpire/runtime_test.poisonTask",
	AppendArgs:    flakytest.AppendInts,
	ReadArgs:      flakytest.ReadInts,
	AppendResults: procPortable.AppendResults,
	ReadResults:   procPortable.ReadResults,
	AppendExit:    func(b []byte, _ *struct{}) []byte { return b },
	ReadExit:      func([]byte, *struct{}) error { return nil },
	Child: func([]byte) (mpireimpl.Func[struct{}, int, int, struct{}], error) {
		return poisonFunc(), nil
	},
}

func init() { mpireimpl.ServePortable(&poisonPortable) }

// newPoisonPool returns a pool of poisonTask in worker processes, whose
// tasks log their runs to the file it returns.
func newPoisonPool(t *testing.T, opts ...mpire.Option) (*mpireimpl.Pool[struct{}, int, int, struct{}], string) {
	t.Helper()
	runs := t.TempDir() + "/runs"
	t.Setenv(envRuns, runs) // the worker processes inherit it
	fn := poisonFunc()
	fn.Portable = &poisonPortable
	p := mpireimpl.NewPool(fn, append([]mpire.Option{mpire.WithProcesses()}, opts...)...)
	t.Cleanup(func() {
		p.Close()
		noChildrenLeft(t)
	})
	return p, runs
}

// runsOf counts the runs of each task argument in the file of runs.
func runsOf(t *testing.T, path string) map[int]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	runs := map[int]int{}
	for _, l := range strings.Fields(string(b)) {
		x, err := strconv.Atoi(l)
		if err != nil {
			t.Fatalf("the runs file holds %q", l)
		}
		runs[x]++
	}
	return runs
}

// poisoned returns the input of 200 tasks whose task k is poison: x is
// its index, but there.
func poisoned(k, poison int) []int {
	in := ints(200)
	in[k] = poison
	return in
}

// TestThePoisonTaskIsNamedExactly: a worker process that dies in the
// middle of a chunk of 64 is charged with the task it was running, not the
// first of its chunk; the tasks before it in the chunk ran once. (That
// their results stay is the executor's to show: package remote.)
func TestThePoisonTaskIsNamedExactly(t *testing.T) {
	const k = 100 // the 37th task of the second chunk
	for _, tc := range []struct {
		name   string
		poison int
		says   string // in the error
	}{
		{"os.Exit", poisonExit, "exit status 3"},
		{"SIGKILL", poisonKill, "signal: killed"},
		{"SIGSEGV", poisonSegv, "SIGSEGV: segmentation violation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, runs := newPoisonPool(t, mpire.WithJobs(2))
			_, err := p.Map(ctx, poisoned(k, tc.poison), mpire.WithChunkSize(64))
			if !errors.Is(err, mpire.ErrWorkerDied) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Map = %v, want ErrWorkerDied saying %q", err, tc.says)
			}
			if te := taskErr(t, err); te.Phase != mpire.PhaseTask || te.Index != k || te.Args != fmt.Sprintf("x=%d", tc.poison) {
				t.Fatalf("the error names task %d (%s), want task %d (x=%d): %v", te.Index, te.Args, k, tc.poison, err)
			}
			// Nothing ran twice: the tasks of the chunk before the poison
			// ran once each, and nothing after it ran.
			got := runsOf(t, runs)
			for x := 64; x < k; x++ {
				if got[x] != 1 {
					t.Errorf("task %d of the poisoned chunk ran %d times", x, got[x])
				}
			}
			for x, n := range got {
				if n != 1 || x > k && x < 128 {
					t.Errorf("task %d ran %d times", x, n)
				}
			}

		})
	}
}

// TestThePoisonTaskFirstOrLastOfItsChunk: at either end of a chunk, the
// poison task is named too, and the pool goes on with a new process.
func TestThePoisonTaskFirstOrLastOfItsChunk(t *testing.T) {
	p, _ := newPoisonPool(t, mpire.WithJobs(1), mpire.WithKeepAlive())
	for _, k := range []int{0, 63, 64, 127, 199} {
		_, err := p.Map(ctx, poisoned(k, poisonExit), mpire.WithChunkSize(64))
		if te := taskErr(t, err); te.Index != k || !errors.Is(err, mpire.ErrWorkerDied) {
			t.Fatalf("poison at %d: %v", k, err)
		}
	}
	if got, err := p.Map(ctx, ints(200), mpire.WithChunkSize(64)); err != nil || !slices.Equal(got, squares(200)) {
		t.Fatalf("Map after the deaths: %v", err)
	}
}

// TestAHostileLedgerIsNotTrusted: a worker process that writes garbage
// over its ledger, or a record that cannot be its chunk's, then dies, is
// a death charged to its chunk's first task, as without a ledger: its
// parent never panics, and never takes an index or a result from it.
func TestAHostileLedgerIsNotTrusted(t *testing.T) {
	const k = 100 // in the chunk of 64 to 127
	for _, tc := range []struct {
		name   string
		poison int
	}{
		{"random bytes", poisonScribble},
		{"more results than tasks", poisonOverclaim},
		{"results that do not decode", poisonUndecodable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newPoisonPool(t, mpire.WithJobs(1), mpire.WithKeepAlive())
			for range 5 {
				_, err := p.Map(ctx, poisoned(k, tc.poison), mpire.WithChunkSize(64))
				if te := taskErr(t, err); te.Index != 64 || !errors.Is(err, mpire.ErrWorkerDied) || !strings.Contains(err.Error(), "exit status 3") {
					t.Fatalf("Map = %v (index %d), want the death charged to task 64", err, te.Index)
				}
			}
			if got, err := p.Map(ctx, ints(200), mpire.WithChunkSize(64)); err != nil || !slices.Equal(got, squares(200)) {
				t.Fatalf("Map after: %v", err)
			}
		})
	}
}

// TestAWorkerThatDiesAfterItsLastTaskKeepsItsChunk: the process completed
// every task of its chunk, then died as it replied: the chunk's results
// stand, no task ran twice, and the next chunk runs on a new process.
func TestAWorkerThatDiesAfterItsLastTaskKeepsItsChunk(t *testing.T) {
	p, runs := newPoisonPool(t, mpire.WithJobs(1))
	in := poisoned(127, poisonMute) // the last of the second chunk
	got, err := p.Map(ctx, in, mpire.WithChunkSize(64))
	want := squares(200)
	want[127] = poisonMute * poisonMute
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Map = %v, %v", got, err)
	}
	for x, n := range runsOf(t, runs) {
		if n != 1 {
			t.Errorf("task %d ran %d times", x, n)
		}
	}
}
