package mpire

import "github.com/mpire-go/mpire/runtime/internal/engine"

// ErrTimeout is the cause of a *TaskError when a task, init or exit ran
// longer than its limit (WithTaskTimeout, WithWorkerInitTimeout,
// WithWorkerExitTimeout). Test for it with errors.Is.
var ErrTimeout = engine.ErrTimeout

// ErrWorkerDied is the cause of a *TaskError when the worker running a task,
// init or exit ended without returning: a goroutine that called
// runtime.Goexit (as t.FailNow and t.Fatal do), or a worker process that
// exited, was killed or crashed. The slot gets a new worker and the pool
// stays usable. Test for it with errors.Is.
var ErrWorkerDied = engine.ErrWorkerDied

// ErrClosed is returned by calls on a pool after Close.
var ErrClosed = engine.ErrClosed

// A Phase tells which of a worker's functions failed: PhaseTask, PhaseInit
// or PhaseExit.
type Phase = engine.Phase

const (
	// PhaseTask is a task function.
	PhaseTask = engine.PhaseTask
	// PhaseInit is the worker's init function.
	PhaseInit = engine.PhaseInit
	// PhaseExit is the worker's exit function.
	PhaseExit = engine.PhaseExit
)

// A TaskError reports a failed task, init or exit: which function, in which
// worker, at which position of the input and with which arguments. Its
// fields:
//
//	Func     string   // the task function's name
//	Phase    Phase    // what failed: PhaseTask, PhaseInit or PhaseExit
//	WorkerID WorkerID // the worker slot it ran in
//	Index    int      // position of the task in the input; -1 outside a task
//	Args     string   // the task's arguments, as name=value pairs; empty outside a task
//	Err      error    // the cause: the function's error, a *PanicError, ErrTimeout or ErrWorkerDied
//	Attempts int      // how many times the task ran (WithRetries): 1 without retries, 0 for an exit
//
// Unwrap returns Err, so errors.Is and errors.As see through it.
type TaskError = engine.TaskError

// Permanent marks err as a failure that retrying cannot mend: WithRetries
// does not run its task again. It reads as err, and errors.Is and errors.As
// see through it; the mark crosses to worker processes and cluster workers
// and back. Permanent(nil) is nil.
//
//	if resp.StatusCode == http.StatusNotFound {
//		return 0, mpire.Permanent(fmt.Errorf("%s: not found", url))
//	}
func Permanent(err error) error { return engine.Permanent(err) }

// TaskErrors returns the *TaskError of each failed task that err holds: for
// a call WithContinueOnError, those of every failed task, in input order;
// for a call that stopped at a failure, its one *TaskError; none for nil or
// for an error that is no task's, such as a cancellation.
func TaskErrors(err error) []*TaskError { return engine.TaskErrors(err) }

// A PanicError is the cause of a *TaskError when the function panicked. Its
// fields:
//
//	Value any    // the value given to panic
//	Stack []byte // the stack of the panicking goroutine
//
// Unwrap returns Value when it is an error.
type PanicError = engine.PanicError

// ErrDeadlock is the cause of the error of a call that could only wait
// forever: a call from inside a task on its own pool, given the task's
// context, when every other worker of the pool is held by a task waiting the
// same way (with one worker, any such call). Test for it with errors.Is.
var ErrDeadlock = engine.ErrDeadlock
