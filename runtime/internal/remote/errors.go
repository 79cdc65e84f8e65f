package remote

import (
	"context"
	"errors"
	"fmt"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// The one pair of conversions between the pool's errors and what crosses.

// ErrRefused is the cause of the error of a call that a worker refused
// because it was built from other code than the caller: the task's types
// differ, so their codecs would not agree.
var ErrRefused = errors.New("refused by a cluster worker")

// toWire describes the failure err of a worker's function for the pool's
// side: a *TaskError's index within the request, the cause's kind and text,
// a panic's value and stack.
func toWire(phase wire.Phase, err error) *wire.Error {
	e := &wire.Error{Phase: phase, Index: -1}
	var te *engine.TaskError
	if errors.As(err, &te) {
		if te.Phase == engine.PhaseInit {
			e.Phase = wire.PhaseInit
		}
		if te.Phase == engine.PhaseTask {
			e.Index = te.Index // the requests' tasks start at 0
		}
		err = te.Err
	}
	e.Msg = err.Error()
	e.Permanent = engine.IsPermanent(err)
	var pe *engine.PanicError
	switch {
	case errors.As(err, &pe):
		e.Kind, e.Msg, e.Stack = wire.Panicked, fmt.Sprint(pe.Value), pe.Stack
	case errors.Is(err, engine.ErrTimeout):
		e.Kind = wire.TimedOut
	case errors.Is(err, engine.ErrWorkerDied):
		e.Kind = wire.Died
	case errors.Is(err, ErrRefused):
		e.Kind = wire.Refused
	case errors.Is(err, context.Canceled):
		e.Kind = wire.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind = wire.DeadlineExceeded
	}
	return e
}

// fromWire rebuilds on the pool's side the cause of a worker's failure:
// what errors.Is and errors.As find in it is what they found in the worker.
func fromWire(e *wire.Error) error {
	if e.Permanent {
		return engine.Permanent(fromWireKind(e))
	}
	return fromWireKind(e)
}

func fromWireKind(e *wire.Error) error {
	switch e.Kind {
	case wire.Panicked:
		return &engine.PanicError{Value: e.Msg, Stack: e.Stack}
	case wire.TimedOut:
		return wrapped(engine.ErrTimeout, e.Msg)
	case wire.Died:
		return wrapped(engine.ErrWorkerDied, e.Msg)
	case wire.Refused:
		return wrapped(ErrRefused, e.Msg)
	case wire.Canceled:
		return wrapped(context.Canceled, e.Msg)
	case wire.DeadlineExceeded:
		return wrapped(context.DeadlineExceeded, e.Msg)
	}
	return errors.New(e.Msg)
}

// wrapped returns an error with msg's text that wraps sentinel, whose text
// msg usually begins with.
func wrapped(sentinel error, msg string) error {
	if msg == sentinel.Error() {
		return sentinel
	}
	return &wrappedError{msg: msg, err: sentinel}
}

type wrappedError struct {
	msg string
	err error
}

func (e *wrappedError) Error() string { return e.msg }
func (e *wrappedError) Unwrap() error { return e.err }
