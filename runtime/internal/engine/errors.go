package engine

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
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
	Index    int      // position of the task in the input; -1 outside a task
	Args     string   // the task's arguments, formatted; empty outside a task
	Err      error    // the cause: the function's error, a *PanicError, or ErrTimeout
}

func (e *TaskError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mpire: %s", e.Func)
	switch e.Phase {
	case PhaseTask:
		fmt.Fprintf(&b, " failed in worker %d at index %d with arguments (%s)", e.WorkerID, e.Index, e.Args)
	default:
		fmt.Fprintf(&b, " %s failed in worker %d", e.Phase, e.WorkerID)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the cause.
func (e *TaskError) Unwrap() error { return e.Err }

// A PanicError is the cause of a *TaskError when the function panicked.
type PanicError struct {
	Value any    // the value given to panic
	Stack []byte // the stack of the panicking goroutine
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
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

// callCatching runs f, turning a panic into a *PanicError.
func callCatching(f func() error) (err error) {
	defer catchPanic(&err)
	return f()
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
		if name := fmt.Sprint(nameValues[i]); name != "" {
			b.WriteString(name)
			b.WriteByte('=')
		}
		b.WriteString(formatValue(nameValues[i+1], maxValueLen))
	}
	return b.String()
}

// formatValue formats v in about limit bytes at most.
func formatValue(v any, limit int) string {
	switch v := v.(type) {
	case string:
		if len(v) > limit {
			return strconv.Quote(v[:limit]) + "..."
		}
		return strconv.Quote(v)
	case []byte:
		if len(v) > limit {
			return fmt.Sprintf("%v...", v[:limit])
		}
		return fmt.Sprintf("%v", v)
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
			b.WriteString(formatValue(rv.Index(i).Interface(), limit-b.Len()))
		}
		b.WriteByte(']')
		return b.String()
	}
	s := fmt.Sprintf("%+v", v)
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return s
}
