package remote

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/proc"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lateCancel is a context cancelled between the request's own check and the
// child's: what a cancel racing with the start of a request looks like.
type lateCancel struct {
	context.Context
	checks atomic.Int32
}

func (c *lateCancel) Err() error {
	if c.checks.Add(1) == 1 {
		return nil
	}
	return context.Canceled
}

// TestACancelRacingARequestIsNoDeath: a request cancelled before it
// reached the child returns the cancellation, not ErrWorkerDied: the
// executor would otherwise drop the live child without closing it, a worker
// process that outlives its pool.
func TestACancelRacingARequestIsNoDeath(t *testing.T) {
	p := &process{c: &proc.Child{}} // never reached: the request stops before
	_, err := p.request(&lateCancel{Context: context.Background()}, 0, wire.PhaseRun, 1, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, engine.ErrWorkerDied) {
		t.Fatalf("request = %v, want Canceled and not ErrWorkerDied", err)
	}
}

// fakeEndpoint is an endpoint whose every request fails with err, and
// that tells whether it was closed.
type fakeEndpoint struct {
	err    error
	closed bool
}

func (f *fakeEndpoint) Init(context.Context, time.Duration, []byte) (wire.Reply, error) {
	return wire.Reply{}, f.err
}

func (f *fakeEndpoint) Run(context.Context, time.Duration, *wire.Request) (wire.Reply, error) {
	return wire.Reply{}, f.err
}

func (f *fakeEndpoint) Exit(context.Context, time.Duration) (wire.Reply, error) {
	return wire.Reply{}, f.err
}

func (f *fakeEndpoint) Close(time.Duration) { f.closed = true }

func (f *fakeEndpoint) Alive() bool { return !f.closed }

// TestAnEndpointCalledDeadIsClosed: the executor lets go of an endpoint
// that a request says died only by closing it. Whatever the error claims,
// a worker process that still ran would otherwise outlive its pool.
func TestAnEndpointCalledDeadIsClosed(t *testing.T) {
	for _, phase := range []string{"init", "run", "exit"} {
		t.Run(phase, func(t *testing.T) {
			fn := engine.Func[struct{}, int, int, struct{}]{
				Name:     "fakeTask",
				Exit:     func(*engine.Worker[struct{}]) (struct{}, error) { return struct{}{}, nil },
				Portable: &engine.Portable[struct{}, int, int, struct{}]{AppendArgs: func(b []byte, _ []int) []byte { return b }},
			}
			x := newExecutor(&fn, Processes, engine.ExecutorConfig{})
			ep := &fakeEndpoint{err: fmt.Errorf("%w: so the error says", engine.ErrWorkerDied)}
			x.ep = ep
			var err error
			switch phase {
			case "init":
				err = x.Init(context.Background(), 0)
			case "run":
				var stop atomic.Bool
				_, err = x.Run(&engine.Tasks[int, int]{Ctx: context.Background(), Stop: &stop, S: &engine.Settings{}, Args: []int{1}, Out: make([]int, 1)})
			case "exit":
				_, _, err = x.Exit(0)
			}
			if !errors.Is(err, engine.ErrWorkerDied) {
				t.Fatalf("%s = %v, want ErrWorkerDied", phase, err)
			}
			if x.ep != nil || !ep.closed {
				t.Fatalf("the endpoint called dead is still the executor's (%v), or was dropped unclosed (closed: %v)", x.ep != nil, ep.closed)
			}
		})
	}
}
