package remote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// cancelGrace is how long a worker has to stop a cancelled request by itself
// before it is killed.
const cancelGrace = 500 * time.Millisecond

// An Executor runs a worker's functions outside this process, on an
// Endpoint that it speaks to in wire messages, with bytes made by the task's
// codecs: a child process of this same binary (a crash, a hang past a time
// limit or a leak ends only that process, and a restart is a new process,
// so its memory really goes back to the system), or a cluster.
type executor[St, A, R, E any] struct {
	fn     *engine.Func[St, A, R, E]
	pt     *engine.Portable[St, A, R, E]
	id     engine.WorkerID
	cpus   []int
	stats  *engine.Stats
	remote Remote

	ep  Endpoint // nil until Init, and after the worker ended
	buf []byte   // the encoding of the last request's arguments
}

func newExecutor[St, A, R, E any](fn *engine.Func[St, A, R, E], remote Remote, cfg engine.ExecutorConfig) *executor[St, A, R, E] {
	return &executor[St, A, R, E]{fn: fn, pt: fn.Portable, id: cfg.ID, cpus: cfg.CPUs, stats: cfg.Stats, remote: remote}
}

// SlotCPUs is nil: the worker is pinned, not the goroutine that talks to it.
func (x *executor[St, A, R, E]) SlotCPUs() []int { return nil }

// Init starts the worker if none runs, within ctx and limit, and runs its
// init there, with the shared object, which crosses once per worker.
func (x *executor[St, A, R, E]) Init(ctx context.Context, limit time.Duration) error {
	if x.ep == nil {
		sctx, cancel := ctx, context.CancelFunc(func() {})
		if limit > 0 {
			sctx, cancel = context.WithTimeoutCause(ctx, limit, engine.ErrTimeout)
		}
		begin := time.Now()
		ep, err := x.remote.Start(sctx, EndpointConfig{Task: x.pt.Task, Schema: schemaOf(x.pt), Worker: int(x.id), CPUs: x.cpus})
		cancel()
		if err != nil {
			if errors.Is(context.Cause(sctx), engine.ErrTimeout) && ctx.Err() == nil {
				return fmt.Errorf("%w: the worker did not start within %v: %v", engine.ErrTimeout, limit, err)
			}
			return err
		}
		x.ep = ep
		x.stats.AddStartUp(time.Since(begin))
	}
	var shared []byte
	if x.fn.Shared != nil {
		if err := x.codec("encoding the shared object", func() { shared = x.fn.Shared(nil) }); err != nil {
			return err
		}
	}
	rep, err := x.ep.Init(ctx, limit, shared)
	return x.outcome(wire.PhaseInit, rep, err)
}

// Run runs t's tasks in one request or, when their encoding is larger than
// the endpoint takes, in several, one after the other.
func (x *executor[St, A, R, E]) Run(t *engine.Tasks[A, R]) (int, error) {
	return x.runTasks(t, t.Args, t.Out)
}

func (x *executor[St, A, R, E]) runTasks(t *engine.Tasks[A, R], args []A, out []R) (n int, err error) {
	if err := x.codec("encoding the arguments", func() { x.buf = x.pt.AppendArgs(x.buf[:0], args) }); err != nil {
		if len(args) == 1 {
			return 0, err
		}
		// Find the task whose value failed, run the ones before it, and
		// fail at it: the error names that task, not the chunk's first.
		bad := 0
		for bad < len(args)-1 && x.codec("", func() { x.pt.AppendArgs(nil, args[bad:bad+1]) }) == nil {
			bad++
		}
		if bad > 0 {
			if n, err := x.runTasks(t, args[:bad], out[:bad]); err != nil || n < bad {
				return n, err
			}
		}
		_, err := x.runTasks(t, args[bad:bad+1], out[bad:bad+1])
		return bad, err
	}
	if max := x.remote.MaxPayload(); max > 0 && len(x.buf) > max {
		if len(args) == 1 {
			return 0, fmt.Errorf("mpire: the task's arguments encode to %d bytes, more than the %d a worker takes", len(x.buf), max)
		}
		half := len(args) / 2
		n, err = x.runTasks(t, args[:half], out[:half])
		if err != nil || n < half || t.Stop.Load() {
			return n, err
		}
		m, err := x.runTasks(t, args[half:], out[half:])
		return n + m, err
	}
	// The worker enforces the task time limit itself, task by task; this
	// side gives up on it when the whole request outlives the sum of the
	// limits.
	var limit time.Duration
	if d := t.S.TaskTimeout; d > 0 {
		limit = d*time.Duration(len(args)) + cancelGrace
	}
	req := wire.Request{Tasks: len(args), TaskTimeout: t.S.TaskTimeout, Trace: traceOf(t), Args: x.buf}
	rep, err := x.ep.Run(t.Ctx, limit, &req)
	if err == nil && rep.Spans != nil && req.Trace != nil && x.remote == Processes {
		// A worker process has no exporter: its spans join the caller's.
		// A cluster worker exports its own.
		t.S.Observer.Relay(t.Ctx, rep.Spans)
	}
	n = rep.N
	if n > 0 {
		if derr := x.readResults(rep, out[:n]); derr != nil {
			if err != nil {
				// What a dead worker left does not decode: its death is
				// all there is to tell.
				return 0, x.outcome(wire.PhaseRun, wire.Reply{}, err)
			}
			return 0, derr
		}
	}
	if err != nil {
		// The worker died in task n, after the n before it.
		return n, x.outcome(wire.PhaseRun, wire.Reply{}, err)
	}
	if x.stats != nil && n > 0 {
		x.stats.AddWorking(rep.Took, n)
		if rep.Took > x.stats.TopMin() {
			x.stats.AddTop(engine.TaskInsight{Duration: rep.Took, WorkerID: x.id, Index: t.Start + len(t.Args) - len(args), Args: x.fn.FormatArgs(&args[0]), Tasks: n})
		}
	}
	return n, x.outcome(wire.PhaseRun, rep, nil)
}

// readResults decodes the results of a run's reply into out, as long as
// the tasks it completed: one encoding of all of them, or one entry each.
func (x *executor[St, A, R, E]) readResults(rep wire.Reply, out []R) error {
	var derr error
	cerr := x.codec("decoding the results", func() {
		if !rep.Entries {
			derr = x.pt.ReadResults(rep.Payload, out)
			return
		}
		b := rep.Payload
		for i := range out {
			var enc []byte
			if enc, b, derr = wire.NextEntry(b); derr != nil {
				return
			}
			if derr = x.pt.ReadResults(enc, out[i:i+1]); derr != nil {
				return
			}
		}
		if len(b) > 0 {
			derr = fmt.Errorf("%w: %d bytes after the results", wire.ErrMalformed, len(b))
		}
	})
	if cerr != nil {
		return cerr
	}
	if derr != nil {
		return fmt.Errorf("mpire: decoding the results of a worker: %w", derr)
	}
	return nil
}

// Exit runs the worker's exit, if it runs and the task has an exit
// function: without one there is nothing to wait for, and no limit to reach.
func (x *executor[St, A, R, E]) Exit(limit time.Duration) (value E, has bool, err error) {
	if x.ep == nil || x.fn.Exit == nil {
		return value, false, nil
	}
	rep, err := x.ep.Exit(context.Background(), limit)
	if err := x.outcome(wire.PhaseExit, rep, err); err != nil {
		return value, false, err
	}
	if len(rep.Payload) == 0 {
		return value, false, nil
	}
	var derr error
	if err := x.codec("decoding the exit value", func() { derr = x.pt.ReadExit(rep.Payload, &value) }); err != nil {
		return value, false, err
	}
	if derr != nil {
		return value, false, fmt.Errorf("mpire: decoding the exit value of a worker: %w", derr)
	}
	return value, true, nil
}

// End ends the worker; the next Init starts a new one.
func (x *executor[St, A, R, E]) End() {
	if x.ep != nil {
		x.ep.Close(cancelGrace)
		x.ep = nil
	}
}

// Alive reports whether the worker still runs, if one was started.
func (x *executor[St, A, R, E]) Alive() bool { return x.ep == nil || x.ep.Alive() }

// Close ends the worker.
func (x *executor[St, A, R, E]) Close() { x.End() }

// Died is called when a codec ended the slot's goroutine.
func (x *executor[St, A, R, E]) Died() int { return 0 }

// outcome is the cause of a request's failure: the transport's error, or
// the failure of the worker's function that the reply to a request of
// phase describes. An init failure in reply to a run is the init's, run
// with it.
func (x *executor[St, A, R, E]) outcome(phase wire.Phase, rep wire.Reply, err error) error {
	if err != nil {
		if errors.Is(err, engine.ErrWorkerDied) {
			// Gone: the next Init starts another. Closed, not dropped: a
			// worker that the error wrongly calls dead would outlive its pool.
			x.End()
		}
		return err
	}
	if rep.Err == nil {
		return nil
	}
	cause := fromWire(rep.Err)
	if phase == wire.PhaseRun && rep.Err.Phase == wire.PhaseInit {
		return &engine.InitError{Err: cause}
	}
	return cause
}

// codec runs one of the task's codecs, in which the user's own marshalers
// may panic: the call then fails, not the program.
func (x *executor[St, A, R, E]) codec(what string, f func()) error {
	if err := engine.Catching(func() error { f(); return nil }); err != nil {
		return fmt.Errorf("mpire: %s: %w", what, err)
	}
	return nil
}
