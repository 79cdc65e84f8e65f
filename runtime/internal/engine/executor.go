package engine

import (
	"context"
	"sync/atomic"
	"time"
)

// An Executor runs the functions of one worker slot where the slot's workers
// live: on goroutines of this process (package local), or in a worker
// process or on a cluster (package remote). It only starts a worker, runs
// its init, runs tasks, runs its exit and ends it. When each happens, and
// what a failure means for the call, is the slot's Lifecycle's to decide.
//
// Errors are causes: the error a function returned, a *PanicError, or one
// that wraps ErrTimeout (a time limit, after which the worker is abandoned
// or killed) or ErrWorkerDied (the worker ended without returning). The
// Lifecycle wraps them in a *TaskError.
type Executor[St, A, R, E any] interface {
	// Init makes a worker ready for its first task: it starts one if none
	// runs (a goroutine executor makes fresh state, a remote one starts a
	// process, bounded by ctx and limit), then runs its init function with
	// a context that ctx's cancellation reaches, within limit (0: none).
	Init(ctx context.Context, limit time.Duration) error
	// Run runs the tasks of t in order, stopping early when t.Stop is set,
	// and enforces t.S.TaskTimeout. It returns how many tasks completed,
	// from the first; err is the failure of the task after them. An error
	// that is an *InitError is the worker's init's, run with the tasks.
	Run(t *Tasks[A, R]) (n int, err error)
	// Exit runs the worker's exit function within limit (0: none); has
	// tells that it ran and returned a value to collect.
	Exit(limit time.Duration) (value E, has bool, err error)
	// End ends the worker without its exit; the next Init starts a fresh
	// one, with fresh state. It is called after a worker's exit at the end of
	// its lifespan, after a failed init, and after ErrTimeout or
	// ErrWorkerDied, which leave the worker unusable.
	End()
	// Died is called when the slot's goroutine ended inside the executor
	// (runtime.Goexit in the user's code): it returns how many tasks of the
	// run in progress completed before.
	Died() (n int)
	// Alive reports whether the worker that ran its init may still serve: a
	// worker process may die while idle. One that does not is ended, and a
	// fresh one starts, before the next run.
	Alive() bool
	// Close releases what the executor holds: the slot stops.
	Close()
	// SlotCPUs returns the CPUs that the slot's goroutine must be pinned to:
	// the worker's own when it runs the user's code on that goroutine, nil
	// otherwise.
	SlotCPUs() []int
}

// ExecutorConfig is what an executor is made with: the slot it serves.
type ExecutorConfig struct {
	Settings *Settings // the pool's settings
	ID       WorkerID  // the slot
	CPUs     []int     // the CPUs its workers are pinned to; nil when not pinned
	Stats    *Stats    // its insights; nil (a valid *Stats) without them
	Pool     any       // the pool, for the context of its workers (see WorkerContext)
}

// NewExecutor makes the executor of a worker slot that runs fn. A pool is
// given one: it decides where the pool's workers run.
type NewExecutor[St, A, R, E any] func(fn *Func[St, A, R, E], cfg ExecutorConfig) Executor[St, A, R, E]

// Tasks are a run of consecutive tasks as an executor sees them: the
// tasks, where their results go, and the call's context and limits.
type Tasks[A, R any] struct {
	Ctx   context.Context
	Stop  *atomic.Bool // set when the call stops: no task should start
	S     *Settings    // the call's settings
	Start int          // index of the first task in the input
	Args  []A
	Out   []R // as long as Args
	// Track, when not nil, is told of each task as it starts.
	Track Tracker
}

// A Tracker follows a run of tasks as they start: a worker process records
// there, where its parent reads it after a crash, which task it is on and
// the results of those before.
type Tracker interface {
	// Track is called with i, an index in the run's Args, before task i
	// starts, once the tasks before it have completed and their results
	// are in Out, on the goroutine that runs task i; before a task that
	// then does not start because the call stopped, too. A panic in Track
	// is the failure of task i.
	Track(i int)
}

// A Completion is what a Lifecycle reports of a run of tasks.
type Completion[E any] struct {
	N     int   // tasks completed, from the first
	Err   error // the failure, a *TaskError: of task N, or of init or exit
	Exits []E   // exit values of a restart at the end of the run (lifespan)
}

// An InitError is the failure of a worker's init function that its
// executor ran together with a run of tasks (a cluster worker runs its init
// with its first chunk).
type InitError struct{ Err error }

func (e *InitError) Error() string { return e.Err.Error() }

// Unwrap returns the init function's error.
func (e *InitError) Unwrap() error { return e.Err }
