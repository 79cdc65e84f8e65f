package engine

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/mpire-go/mpire/runtime/internal/catch"
)

// ErrTimeout is the cause of a *TaskError when a task, init or exit ran
// longer than its limit (WithTaskTimeout, WithWorkerInitTimeout,
// WithWorkerExitTimeout). Test for it with errors.Is.
var ErrTimeout = errors.New("time limit reached")

// ErrWorkerDied is the cause of a *TaskError when the worker running a task,
// init or exit ended without returning: a goroutine that called
// runtime.Goexit (as t.FailNow does), or a worker process that exited, was
// killed or crashed.
var ErrWorkerDied = errors.New("worker died")

// ErrUndelivered is wrapped, with ErrWorkerDied, by an executor's error
// when its worker had died, or could no longer hear, before it got the
// tasks: none of them ran, none is to blame, and they run on a fresh worker.
var ErrUndelivered = errors.New("the worker was gone before it got the tasks")

// ErrClosed is returned by calls on a pool after Close.
var ErrClosed = errors.New("mpire: pool is closed")

// A Phase tells which of a worker's functions failed.
type Phase int

const (
	// PhaseTask is a task function.
	PhaseTask Phase = iota
	// PhaseInit is the worker's init function.
	PhaseInit
	// PhaseExit is the worker's exit function.
	PhaseExit
)

func (ph Phase) String() string {
	switch ph {
	case PhaseTask:
		return "task"
	case PhaseInit:
		return "init"
	case PhaseExit:
		return "exit"
	}
	return fmt.Sprintf("Phase(%d)", int(ph))
}

// A TaskError reports a failed task, init or exit: which function, in which
// worker, at which position of the input and with which arguments.
type TaskError struct {
	Func     string   // the task function's name
	Phase    Phase    // what failed
	WorkerID WorkerID // the worker it ran in
	Index    int      // position of the task in the input; -1 outside a task (but see Attempts)
	Args     string   // the task's arguments, formatted; empty outside a task
	Err      error    // the cause: the function's error, a *PanicError, or ErrTimeout
	// Attempts is how many times the task ran (WithRetries), the last one
	// failing with Err: 1 without retries. An init's failure counts as an
	// attempt of the task that was to follow it; kept for that task
	// (WithContinueOnError), it names the task in Index and Args. 0 for an
	// exit's failure.
	Attempts int
}

func (e *TaskError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mpire: %s", e.Func)
	switch e.Phase {
	case PhaseTask:
		fmt.Fprintf(&b, " failed in worker %d at index %d with arguments (%s)", e.WorkerID, e.Index, e.Args)
	default:
		fmt.Fprintf(&b, " %s failed in worker %d", e.Phase, e.WorkerID)
		if e.Index >= 0 {
			fmt.Fprintf(&b, " before the task at index %d with arguments (%s)", e.Index, e.Args)
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the cause.
func (e *TaskError) Unwrap() error { return e.Err }

// Format prints the error: with %+v, the message followed by the stack of
// the panic that caused it, if one did.
func (e *TaskError) Format(f fmt.State, verb rune) {
	formatError(e, f, verb)
}

// A PanicError is the cause of a *TaskError when the function panicked.
type PanicError struct {
	Value any    // the value given to panic
	Stack []byte // the stack of the panicking goroutine
}

// Error returns "panic: " and the value, on one line: log lines and the
// messages that wrap it stay readable. The stack is in Stack, and printed by
// the %+v verb.
func (e *PanicError) Error() string {
	return "panic: " + strings.Join(strings.Fields(sprint("%v", e.Value)), " ")
}

// Format prints the error: with %+v, the message followed by the stack.
func (e *PanicError) Format(f fmt.State, verb rune) {
	formatError(e, f, verb)
}

// stackOf returns the stack of the panic that caused err, if one did.
func stackOf(err error) []byte {
	var pe *PanicError
	if errors.As(err, &pe) {
		return pe.Stack
	}
	return nil
}

// formatError prints err for the fmt verbs: %+v adds the stack of the panic
// that caused it, if any.
func formatError(err error, f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		io.WriteString(f, err.Error())
		if st := stackOf(err); st != nil {
			fmt.Fprintf(f, "\n\n%s", st)
		}
	case verb == 'v' || verb == 's':
		io.WriteString(f, err.Error())
	case verb == 'q':
		fmt.Fprintf(f, "%q", err.Error())
	default:
		fmt.Fprintf(f, "%%!%c(%T=%s)", verb, err, err.Error())
	}
}

// Unwrap returns the panic value when it is an error, so that errors.Is and
// errors.As see through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// catchPanic turns a panic into a *PanicError stored in *err. It must be
// deferred directly.
func catchPanic(err *error) {
	if v := recover(); v != nil {
		*err = &PanicError{Value: v, Stack: debug.Stack()}
	}
}

// Catching runs f, the user's code, and returns its error, or a
// *PanicError when it panicked. A runtime.Goexit in f goes on (see package
// catch).
func Catching(f func() error) (err error) {
	if o := catch.Do(func() { err = f() }, nil); o.Panicked {
		err = &PanicError{Value: o.Value, Stack: o.Stack}
	}
	return err
}

// maxValueLen bounds the formatted value of one argument: a huge argument
// costs its formatting only up to there.
const maxValueLen = 200

// FormatArgs formats a task's arguments as name=value pairs for errors and
// insights. Generated code calls it with the parameter names of the task
// function: FormatArgs("x", 7, "y", 0) is "x=7, y=0". Strings are quoted,
// structs show their field names, and each value is cut after a couple of
// hundred bytes, formatting no more of a long slice or string than that. It
// only runs when a task fails or insights keep it, never per task.
func FormatArgs(nameValues ...any) string {
	var b strings.Builder
	for i := 0; i+1 < len(nameValues); i += 2 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sprint("%v", nameValues[i]))
		b.WriteByte('=')
		b.WriteString(formatValue(nameValues[i+1], maxValueLen, true))
	}
	return b.String()
}

// FormatValue formats a task's one unnamed argument with %v, cut as
// FormatArgs cuts it.
func FormatValue(v any) string { return formatValue(v, maxValueLen, false) }

// formatValue formats v in about limit bytes at most: as FormatArgs does
// when named, else with %v.
func formatValue(v any, limit int, named bool) string {
	switch v := v.(type) {
	case string:
		if !named {
			if len(v) > limit {
				return v[:limit] + "..."
			}
			return v
		}
		if len(v) > limit {
			return strconv.Quote(v[:limit]) + "..."
		}
		return strconv.Quote(v)
	case []byte:
		if len(v) > limit {
			return sprint("%v", v[:limit]) + "..."
		}
		return sprint("%v", v)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return "[]"
		}
		// Element by element, so that a long slice is not formatted whole
		// only to be cut.
		var b strings.Builder
		b.WriteByte('[')
		for i := range rv.Len() {
			if i > 0 {
				b.WriteByte(' ')
			}
			if b.Len() >= limit {
				fmt.Fprintf(&b, "... (%d in all)", rv.Len())
				break
			}
			b.WriteString(formatValue(rv.Index(i).Interface(), limit-b.Len(), named))
		}
		b.WriteByte(']')
		return b.String()
	}
	verb := "%v"
	if named {
		verb = "%+v"
	}
	s := sprint(verb, v)
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return s
}

// sprint formats v with verb. fmt shows a panic in a String or Error method;
// a panic while it shows that one, which it passes on, is caught here, so
// that formatting a value for an error never takes the process down.
func sprint(verb string, v any) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("(%T: its formatting panicked)", v)
		}
	}()
	return fmt.Sprintf(verb, v)
}
