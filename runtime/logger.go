package mpire

import (
	"context"
	"errors"
	"log/slog"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/remote"
)

// WithLogger logs to l what happens to the pool's workers, as structured
// records whose attributes name the task function ("task"), the worker
// slot ("worker") and, for a task, its index in the input ("index"), with
// the error ("error") when there is one:
//
//   - Warn: a worker that died ("mpire: worker died": a runtime.Goexit, a
//     worker process that exited, was killed or crashed, whose error holds
//     its exit status and the last lines of its stderr), a time limit
//     reached ("mpire: time limit reached"), a failed init ("mpire: worker
//     init failed") or exit ("mpire: worker exit failed"), and a chunk that
//     a cluster worker refused ("mpire: chunk refused", with "start" and
//     "tasks").
//   - Info: a failed task given another attempt by WithRetries ("mpire:
//     task retried", with "attempt", the attempt about to run).
//   - Debug: a worker started ("mpire: worker started"), restarted at the
//     end of its lifespan ("mpire: worker restarted") or stopped ("mpire:
//     worker stopped").
//
// Each record is logged with the context of the call or run it happened
// in, so a handler that reads trace ids from the context (with
// otelmpire.Instrument, the call's span) ties it to the trace. Without
// WithLogger nothing is logged; a nil l logs nothing either.
func WithLogger(l *slog.Logger) Option {
	return engine.PoolOption(func(s *engine.Settings) {
		if l != nil {
			s.Observe(logger{l})
		}
	})
}

// logger is the engine.Observer of WithLogger.
type logger struct{ l *slog.Logger }

func (logger) Call(ctx context.Context, _ *engine.ObservedCall) context.Context { return ctx }

func (logger) CallEnd(context.Context, *engine.ObservedCall, int64, error) {}

func (logger) Run(ctx context.Context, _ *engine.ObservedRun) context.Context { return ctx }

func (lg logger) RunEnd(ctx context.Context, r *engine.ObservedRun, _ int, err error) []byte {
	if errors.Is(err, remote.ErrRefused) {
		lg.l.LogAttrs(ctx, slog.LevelWarn, "mpire: chunk refused",
			slog.String("task", r.Task), slog.Int("worker", int(r.Worker)),
			slog.Int("start", r.Start), slog.Int("tasks", r.Tasks), slog.Any("error", err))
	}
	return nil
}

func (lg logger) Worker(ctx context.Context, w engine.ObservedWorker) {
	level, msg := slog.LevelDebug, ""
	switch w.Event {
	case engine.WorkerStarted:
		msg = "mpire: worker started"
	case engine.WorkerStopped:
		msg = "mpire: worker stopped"
	case engine.WorkerRestarted:
		msg = "mpire: worker restarted"
	case engine.WorkerInitFailed:
		level, msg = slog.LevelWarn, "mpire: worker init failed"
	case engine.WorkerDied:
		level, msg = slog.LevelWarn, "mpire: worker died"
	case engine.WorkerTimedOut:
		level, msg = slog.LevelWarn, "mpire: time limit reached"
	default:
		return
	}
	if w.Err != nil && level < slog.LevelWarn {
		level, msg = slog.LevelWarn, "mpire: worker exit failed"
	}
	if !lg.l.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("task", w.Task), slog.Int("worker", int(w.Worker))}
	var te *TaskError
	if errors.As(w.Err, &te) {
		attrs = append(attrs, slog.String("phase", te.Phase.String()))
		if te.Index >= 0 {
			attrs = append(attrs, slog.Int("index", te.Index))
		}
		attrs = append(attrs, slog.Any("error", te.Err))
	} else if w.Err != nil {
		attrs = append(attrs, slog.Any("error", w.Err))
	}
	lg.l.LogAttrs(ctx, level, msg, attrs...)
}

func (lg logger) Retry(ctx context.Context, r engine.ObservedRetry) {
	lg.l.LogAttrs(ctx, slog.LevelInfo, "mpire: task retried",
		slog.String("task", r.Task), slog.Int("worker", int(r.Worker)),
		slog.Int("index", r.Index), slog.Int("attempt", r.Attempt), slog.Any("error", r.Err))
}

func (logger) Failed(context.Context, *TaskError) {}

func (logger) Waiting(context.Context, string, int) {}

func (logger) Inject(context.Context, engine.Carrier) {}

func (logger) Relay(context.Context, []byte) {}
