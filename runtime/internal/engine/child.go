package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/proc"
)

// ServePortable makes this process a worker process of pt's task when it
// was started as one, serving until its parent lets it go, and then exits;
// otherwise it returns at once. Generated code calls it from an init
// function of the task's package, so a worker process runs package
// initialisation up to there, and never main.
func ServePortable[St, A, R, E any](pt *Portable[St, A, R, E]) {
	portables.Store(pt.Task, portableTask[St, A, R, E]{pt})
	proc.Serve(pt.Task, &childHandler[St, A, R, E]{pt: pt})
}

// childHandler serves a worker process's requests with a goroutine
// executor: the same code runs a chunk in a child as in the parent.
type childHandler[St, A, R, E any] struct {
	pt    *Portable[St, A, R, E]
	fn    Func[St, A, R, E]
	exec  *goroutineExecutor[St, A, R, E]
	stop  atomic.Bool // never set: the parent stops calls
	args  []A
	out   []R
	buf   []byte
	start int // the first index of the last run
}

func (h *childHandler[St, A, R, E]) Init(ctx context.Context, worker int, shared []byte) error {
	fn, err := h.pt.Child(shared)
	if err != nil {
		return fmt.Errorf("mpire: decoding the shared object in a worker process: %w", err)
	}
	h.fn = fn
	h.exec = newGoroutineExecutor(&h.fn, WorkerID(worker), nil, nil, nil)
	var s Settings // the parent enforces the init time limit
	if err := h.exec.init(&run[A, R]{ctx: ctx, s: &s}); err != nil {
		return crossing(err, 0)
	}
	return nil
}

func (h *childHandler[St, A, R, E]) Run(ctx context.Context, _ int, payload []byte) ([]byte, int, error) {
	start, n := binary.Uvarint(payload)
	if n <= 0 {
		return nil, 0, errors.New("mpire: a malformed run request")
	}
	timeout, m := binary.Varint(payload[n:])
	if m <= 0 {
		return nil, 0, errors.New("mpire: a malformed run request")
	}
	args, err := h.pt.ReadArgs(payload[n+m:], h.args[:0])
	if err != nil {
		return nil, 0, fmt.Errorf("mpire: decoding the arguments in a worker process: %w", err)
	}
	h.args, h.start = args, int(start)
	if cap(h.out) < len(args) {
		h.out = make([]R, len(args))
	}
	out := h.out[:len(args)]
	s := Settings{TaskTimeout: time.Duration(timeout)}
	comp := h.exec.run(&run[A, R]{ctx: ctx, stop: &h.stop, s: &s, start: int(start), args: args, out: out})
	h.buf = h.pt.AppendResults(h.buf[:0], out[:comp.n])
	// What the tasks referred to may go, until the next run.
	clear(args)
	clear(out)
	if comp.err != nil {
		return h.buf, comp.n, crossing(comp.err, int(start))
	}
	return h.buf, comp.n, nil
}

// Died reports what the last Run did when a task ended its goroutine with
// runtime.Goexit: the encoded results of the tasks completed before, their
// number, and the error naming the task. The worker is fresh afterwards, its
// exit not run. A worker process has no use for it: Goexit ends the process.
func (h *childHandler[St, A, R, E]) Died() ([]byte, int, error) {
	comp := h.exec.died()
	n := min(comp.n, len(h.args))
	h.buf = h.pt.AppendResults(h.buf[:0], h.out[:n])
	return h.buf, n, crossing(comp.err, h.start)
}

func (h *childHandler[St, A, R, E]) Exit(context.Context, int) ([]byte, error) {
	ex := h.exec.stop(0) // the parent enforces the exit time limit
	if ex.err != nil {
		return nil, crossing(ex.err, 0)
	}
	if !ex.has {
		return []byte{0}, nil
	}
	return h.pt.AppendExit([]byte{1}, &ex.value), nil
}

// crossing describes a worker's failure for its parent: the index within the
// run (start is the run's first), the text, a panic's value and stack, a
// time limit.
func crossing(err error, start int) *proc.Error {
	e := &proc.Error{Index: -1, Msg: err.Error()}
	var te *TaskError
	if errors.As(err, &te) {
		if te.Index >= 0 {
			e.Index = te.Index - start
		}
		e.Msg = te.Err.Error()
		err = te.Err
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		e.Panic, e.Msg, e.Stack = true, fmt.Sprint(pe.Value), pe.Stack
	}
	e.Timeout = errors.Is(err, ErrTimeout)
	e.Canceled = errors.Is(err, context.Canceled)
	return e
}

// causeOf rebuilds, in the parent, the cause of a failure in a worker
// process.
func causeOf(e *proc.Error) error {
	switch {
	case e.Panic:
		return &PanicError{Value: e.Msg, Stack: e.Stack}
	case e.Canceled:
		return fmt.Errorf("%s: %w", e.Msg, context.Canceled)
	}
	return errors.New(e.Msg)
}
