package mpire_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// state is the worker state of the test pools.
type state struct {
	inits int // inits of this worker life: always 1 after init
	tasks int // tasks run in this life
}

// life is what one worker life reported at exit.
type life struct {
	ID    mpire.WorkerID
	Tasks int
}

// spec describes a test pool; nil functions are left out, as the generator
// leaves out init= and exit= when not given.
type spec struct {
	task func(ctx context.Context, id mpire.WorkerID, st *state, x int) (int, error)
	init func(ctx context.Context, id mpire.WorkerID, st *state) error
	exit func(ctx context.Context, id mpire.WorkerID, st *state) (life, error)
}

// counters counts the lifecycle events of a test pool, to check that inits
// and exits pair up.
type counters struct {
	inits, exits, tasks atomic.Int64
}

// newPool builds a pool the way generated code does, counting inits, exits
// and tasks.
func newPool(t testing.TB, sp spec, opts ...mpire.Option) (*mpireimpl.Pool[state, int, int, life], *counters) {
	t.Helper()
	cnt := &counters{}
	if sp.task == nil {
		sp.task = func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) { return x * x, nil }
	}
	fn := mpireimpl.Func[state, int, int, life]{
		Name: "square",
		Run: func(w *mpireimpl.Worker[state], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			ctx, id, st := w.Context(), w.ID(), w.State()
			for ; n < len(args) && !w.Stopped(); n++ {
				cnt.tasks.Add(1)
				st.tasks++
				if out[n], err = sp.task(ctx, id, st, args[n]); err != nil {
					return n, err
				}
			}
			return n, nil
		},
		Init: func(w *mpireimpl.Worker[state]) error {
			cnt.inits.Add(1)
			w.State().inits++
			if sp.init != nil {
				return sp.init(w.Context(), w.ID(), w.State())
			}
			return nil
		},
		Exit: func(w *mpireimpl.Worker[state]) (life, error) {
			cnt.exits.Add(1)
			if sp.exit != nil {
				return sp.exit(w.Context(), w.ID(), w.State())
			}
			return life{ID: w.ID(), Tasks: w.State().tasks}, nil
		},
		Format: func(a *int) string { return mpireimpl.FormatArgs("x", *a) },
	}
	return mpireimpl.NewPool(fn, opts...), cnt
}

func ints(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func squares(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i * i
	}
	return s
}

// collect runs an iterator to its end.
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

// gate is a channel-based latch for tests that must block a task until the
// test lets it go.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func newGate() *gate  { return &gate{ch: make(chan struct{})} }
func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }
func (g *gate) wait() { <-g.ch }
func (g *gate) opened() bool {
	select {
	case <-g.ch:
		return true
	default:
		return false
	}
}
