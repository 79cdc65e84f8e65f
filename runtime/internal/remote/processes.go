package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/proc"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// Processes is the Remote of WithProcesses: child processes of this binary.
var Processes Remote = processes{}

type processes struct{}

func (processes) String() string { return "WithProcesses" }

func (processes) Check(*engine.Settings, bool) error { return nil }

func (processes) MaxPayload() int { return 0 }

func (processes) Start(ctx context.Context, cfg EndpointConfig) (Endpoint, error) {
	c, err := proc.Start(ctx, proc.Config{Task: cfg.Task, Worker: cfg.Worker, CPUs: cfg.CPUs})
	if err != nil {
		return nil, err
	}
	return &process{c: c}, nil
}

// process is the Endpoint of a child process. It enforces every limit by
// killing the child: a request's own limit, and the grace a cancelled
// request has to return by itself.
type process struct{ c *proc.Child }

func (p *process) Init(ctx context.Context, limit time.Duration, shared []byte) (wire.Reply, error) {
	return p.request(ctx, limit, wire.PhaseInit, 0, shared)
}

func (p *process) Run(ctx context.Context, limit time.Duration, req *wire.Request) (wire.Reply, error) {
	return p.request(ctx, limit, wire.PhaseRun, req.Tasks, wire.AppendRequest(nil, req))
}

func (p *process) Exit(ctx context.Context, limit time.Duration) (wire.Reply, error) {
	return p.request(ctx, limit, wire.PhaseExit, 0, nil)
}

func (p *process) Close(grace time.Duration) { p.c.Close(grace) }

func (p *process) Alive() bool { return p.c.Alive() }

// request makes one request and checks its reply. The child is killed when
// the request outlives limit (> 0), or ctx by cancelGrace; the error then
// says so. A kill belongs to its request: once the request has returned,
// its timers can no longer reach the child, which may be serving another.
func (p *process) request(ctx context.Context, limit time.Duration, phase wire.Phase, tasks int, body []byte) (wire.Reply, error) {
	if ctx.Err() != nil {
		return wire.Reply{}, notReached(ctx)
	}
	var mu sync.Mutex
	over := false       // the request has returned: no kill of its own
	var killedFor error // why the request's own kill ended the child
	kill := func(why error) {
		mu.Lock()
		defer mu.Unlock()
		if over || killedFor != nil {
			return
		}
		killedFor = why
		p.c.Kill()
	}
	if limit > 0 {
		t := time.AfterFunc(limit, func() { kill(fmt.Errorf("%w: the worker was stopped after %v", engine.ErrTimeout, limit)) })
		defer t.Stop()
	}
	grace := time.AfterFunc(time.Hour, func() {
		kill(fmt.Errorf("%w (%w: it was killed after %v)", context.Cause(ctx), engine.ErrWorkerDied, cancelGrace))
	})
	grace.Stop()
	defer grace.Stop()
	stopWatch := context.AfterFunc(ctx, func() { grace.Reset(cancelGrace) })
	defer stopWatch()

	raw, err := p.c.Request(ctx, phase, body)
	mu.Lock()
	over = true
	why := killedFor
	mu.Unlock()
	if why != nil {
		// Killed, perhaps as it replied: either way the process is gone.
		return wire.Reply{}, why
	}
	if err != nil {
		var ee *proc.ExitError
		if !errors.As(err, &ee) && !errors.Is(err, proc.ErrClosed) {
			// The request never reached the child (ctx ended first, or it
			// is too large to send): the child still serves, and must not
			// be dropped as dead, unclosed.
			if ctx.Err() != nil {
				return wire.Reply{}, notReached(ctx)
			}
			return wire.Reply{}, err
		}
		if errors.Is(err, proc.ErrNotDelivered) {
			return wire.Reply{}, fmt.Errorf("%w: %w", engine.ErrUndelivered, died(err))
		}
		// It died in the run: its ledger tells how far it went, if it
		// says something that can be.
		var in *proc.Interrupted
		if phase == wire.PhaseRun && errors.As(err, &in) && in.Done <= tasks {
			rep := wire.Reply{N: in.Done, Payload: in.Results, Entries: true}
			if in.Done == tasks {
				// It completed every task, then died: the run is whole,
				// and its death is found when it is next needed, as a
				// death while idle.
				return rep, nil
			}
			return rep, died(err)
		}
		return wire.Reply{}, died(err)
	}
	rep, err := wire.ParseReply(raw, phase, tasks)
	if err != nil {
		// A worker that breaks the protocol cannot be trusted further.
		p.c.Kill()
		return wire.Reply{}, died(fmt.Errorf("its reply broke the protocol: %w", err))
	}
	return rep, nil
}

// notReached is the error of a request that ctx ended before it reached the
// child, as a worker says of a request cancelled before it ran: ctx's
// error, not its cause. A call's context is cancelled with the call's first
// failure, which may be another worker's death or time limit; this worker
// is neither, and must not be ended for it.
func notReached(ctx context.Context) error { return ctx.Err() }

// died describes the death of a worker process, or any failure to reach it,
// as ErrWorkerDied.
func died(err error) error {
	var ee *proc.ExitError
	if errors.As(err, &ee) || errors.Is(err, proc.ErrClosed) {
		return fmt.Errorf("%w: %v", engine.ErrWorkerDied, err)
	}
	return fmt.Errorf("%w: worker process: %v", engine.ErrWorkerDied, err)
}
