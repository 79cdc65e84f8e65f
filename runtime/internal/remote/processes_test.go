package remote

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

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
