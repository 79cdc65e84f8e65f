package mpire

import (
	"io"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// An Option configures a pool when given to its constructor: it sets the
// pool's defaults. Pool options (WithJobs, WithCPUIDs, WithCPUSets,
// WithOrderTasks, WithKeepAlive, WithInsights, WithLogger, and
// otelmpire.Instrument) are only Options; the others are CallOptions, which
// a call may override.
type Option = engine.Option

// A CallOption configures one call when given to a method, overriding the
// pool's default for that call. Every CallOption is also an Option; a pool
// option given to a call does not compile.
type CallOption = engine.CallOption

func positive(s *engine.Settings, name string, n int) bool {
	if n < 1 {
		s.Invalid("%s(%d): must be at least 1", name, n)
		return false
	}
	return true
}

func duration(s *engine.Settings, name string, d time.Duration) bool {
	if d <= 0 {
		s.Invalid("%s(%v): must be positive", name, d)
		return false
	}
	return true
}

// WithJobs sets the number of workers (MPIRE's n_jobs). The default, and
// WithJobs(0), is runtime.GOMAXPROCS(0). A negative n makes the constructor
// panic.
func WithJobs(n int) Option {
	return engine.PoolOption(func(s *engine.Settings) {
		if n < 0 {
			s.Invalid("WithJobs(%d): must not be negative", n)
			return
		}
		s.Jobs = n
	})
}

// WithProcesses runs each worker slot in a child process of this same
// binary, as MPIRE's process start methods do, for tasks marked portable in
// their //mpire:task directive. A crash (os.Exit, a signal, a Go fatal
// error, the OOM killer) or a hang past a time limit ends only that process:
// the call fails with ErrWorkerDied or ErrTimeout, and the slot gets a new
// process. A restart (WithWorkerLifespan) is a new process, so the memory a
// worker held goes back to the system. Every other option keeps its meaning.
//
// A worker process runs this binary's package initialisation, not main:
// what main sets up is not there, so a task gets what it needs from its
// shared object, which crosses once per process, or from its init. Linux
// and macOS only; elsewhere calls fail. On a task that is not portable, the
// constructor panics.
func WithProcesses() Option {
	return engine.PoolOption(func(s *engine.Settings) { s.Processes = true })
}

// WithCPUIDs pins worker i to CPU ids[i]; a single id pins every worker to
// that CPU (MPIRE's cpu_ids). Each worker then runs on its own OS thread.
// Linux only: elsewhere calls fail. A CPU that does not exist or is not
// allowed fails the first call with an error naming it.
func WithCPUIDs(ids ...int) Option {
	sets := make([][]int, len(ids))
	for i, id := range ids {
		sets[i] = []int{id}
	}
	return withCPUSets("WithCPUIDs", sets)
}

// WithCPUSets pins worker i to the CPUs of sets[i]; a single set applies to
// every worker (MPIRE's cpu_ids given as lists). See WithCPUIDs.
func WithCPUSets(sets ...[]int) Option {
	return withCPUSets("WithCPUSets", sets)
}

func withCPUSets(name string, sets [][]int) Option {
	return engine.PoolOption(func(s *engine.Settings) {
		if len(sets) == 0 {
			s.Invalid("%s(): needs at least one CPU", name)
			return
		}
		for _, set := range sets {
			if len(set) == 0 {
				s.Invalid("%s: a CPU set is empty", name)
				return
			}
			for _, id := range set {
				if id < 0 {
					s.Invalid("%s: CPU id %d is negative", name, id)
					return
				}
			}
		}
		s.CPUSets = sets
	})
}

// WithOrderTasks gives chunk k to worker k mod jobs instead of to whichever
// worker is free (MPIRE's order_tasks).
func WithOrderTasks() Option {
	return engine.PoolOption(func(s *engine.Settings) { s.OrderTasks = true })
}

// WithKeepAlive keeps the workers, their state and the effect of their init
// alive between calls until Close (MPIRE's keep_alive).
func WithKeepAlive() Option {
	return engine.PoolOption(func(s *engine.Settings) { s.KeepAlive = true })
}

// WithInsights records worker insights, read with the pool's Insights method
// (MPIRE's enable_insights).
func WithInsights() Option {
	return engine.PoolOption(func(s *engine.Settings) { s.Insights = true })
}

// WithChunkSize hands tasks to workers n at a time (MPIRE's chunk_size). The
// default gives each worker about 64 chunks when the number of tasks is known,
// and chunks of 4 when it is not.
func WithChunkSize(n int) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if positive(s, "WithChunkSize", n) {
			s.ChunkSize = n
		}
	})
}

// WithNSplits splits the input into n chunks when no chunk size is given
// (MPIRE's n_splits). An iter.Seq needs WithIterableLen for it; without, its
// chunks hold 4 tasks.
func WithNSplits(n int) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if positive(s, "WithNSplits", n) {
			s.NSplits = n
		}
	})
}

// WithMaxTasksActive bounds the tasks taken from an iter.Seq input and not yet
// returned to the caller (MPIRE's max_tasks_active), which keeps memory flat
// over huge or endless inputs. The default is jobs * chunk size * 2. Chunks
// are made no larger than n, so a small bound never stalls the call. Slice
// inputs are already in memory and are not bounded.
func WithMaxTasksActive(n int) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if positive(s, "WithMaxTasksActive", n) {
			s.MaxActive = n
		}
	})
}

// WithWorkerLifespan restarts a worker after it completed n tasks: its exit
// runs, its state is reset to the zero value, and its init runs again before
// its next task (MPIRE's worker_lifespan). It is checked after each chunk, so a
// worker may complete more than n tasks when chunks hold more than one task.
func WithWorkerLifespan(n int) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if positive(s, "WithWorkerLifespan", n) {
			s.Lifespan = n
		}
	})
}

// WithIterableLen tells how many items an iter.Seq input yields, for chunking
// and the progress bar (MPIRE's iterable_len). As in MPIRE, the call takes
// only the first n items of its input.
func WithIterableLen(n int) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if n < 0 {
			s.Invalid("WithIterableLen(%d): must not be negative", n)
			return
		}
		s.IterableLen, s.IterableLenSet = n, true
	})
}

// WithTaskTimeout fails the call with ErrTimeout when one task runs longer
// than d (MPIRE's task_timeout). The task's context is cancelled; a task that
// ignores its context is abandoned: the call returns without waiting for it,
// its result is discarded, and its worker is replaced by a fresh one (new
// state, init again) without running exit, since the abandoned task may still
// be using the old state.
func WithTaskTimeout(d time.Duration) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if duration(s, "WithTaskTimeout", d) {
			s.TaskTimeout = d
		}
	})
}

// WithWorkerInitTimeout fails the call with ErrTimeout when a worker's init
// runs longer than d (MPIRE's worker_init_timeout). See WithTaskTimeout for
// what happens to a function that ignores its context.
func WithWorkerInitTimeout(d time.Duration) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if duration(s, "WithWorkerInitTimeout", d) {
			s.InitTimeout = d
		}
	})
}

// WithWorkerExitTimeout fails the call (or Close) with ErrTimeout when a
// worker's exit runs longer than d (MPIRE's worker_exit_timeout).
func WithWorkerExitTimeout(d time.Duration) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if duration(s, "WithWorkerExitTimeout", d) {
			s.ExitTimeout = d
		}
	})
}

// WithRetries runs a task that failed again, up to n more times, on
// whichever worker is free, until it succeeds (beyond MPIRE). A failure is
// an error, a panic, a task time limit (WithTaskTimeout) or a worker that
// died (runtime.Goexit, a worker process that exited or was killed, a
// cluster worker lost); a failed init counts as a failed attempt of the task
// that was to follow it. Never retried: an error marked with Permanent, the
// call's own cancellation or deadline, and ErrDeadlock.
//
// A result comes from exactly one attempt, the last: Map keeps input order,
// MapUnordered holds each result once, and the progress bar counts a task
// once, when it succeeds or fails for good. The tasks of a chunk after the
// one that failed run again without being charged an attempt. Each retry
// waits out a backoff (WithRetryBackoff) during which the task holds no
// worker: the others keep working. When a task's attempts run out, the call
// fails as without retries (or goes on, WithContinueOnError), with a
// *TaskError whose Attempts says how many times it ran and whose Err is the
// last failure. n = 0 turns retries off; a negative n is invalid.
func WithRetries(n int) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if n < 0 {
			s.Invalid("WithRetries(%d): must not be negative", n)
			return
		}
		s.Retries = n
	})
}

// WithRetryBackoff sets the wait before each retry of WithRetries: before
// the k-th retry of a task, a random time between half and all of
// initial·2^(k-1), and never more than max. The jitter spreads the retries
// of tasks that failed together. The default is from 100 ms up to 10 s. A
// task waiting out its backoff holds no worker, and cancelling the call ends
// the wait at once. WithRetryBackoff(0, 0) retries at once; a negative
// duration, or max below initial, is invalid.
func WithRetryBackoff(initial, max time.Duration) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) {
		if initial < 0 || max < initial {
			s.Invalid("WithRetryBackoff(%v, %v): want 0 <= initial <= max", initial, max)
			return
		}
		s.Backoff = &engine.Backoff{Initial: initial, Max: max}
	})
}

// WithContinueOnError makes a task's failure, once its retries are spent
// (WithRetries), its own instead of the call's: the call goes on, and every
// task runs (beyond MPIRE). Map and MapUnordered return the result of every
// task that succeeded, the zero value where one failed (for MapUnordered,
// where its result would have come), and an error that
// wraps each failed task's *TaskError in input order (its Unwrap() []error
// lists them, as errors.Join's does; TaskErrors returns them), nil when none
// failed. IMap and IMapUnordered yield the zero value and the task's
// *TaskError in the failed task's place, and go on. Apply and ApplyAsync are
// unchanged: their one task's failure is theirs.
//
// The call's own cancellation or deadline still stops it, and so does a
// failure that is no task's (an exit function's at a WithWorkerLifespan
// restart, a panic in an IMap input's iterator).
func WithContinueOnError() CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) { s.KeepGoing = true })
}

// WithProgressBar draws a progress bar on stderr (MPIRE's progress_bar),
// with github.com/schollz/progressbar/v3: tasks done and total, percent,
// rate, elapsed time and, while the call runs, the time left:
//
//	squares  42% |████████████                  | (420/1000, 98 tasks/s) [4s:5s]
//
// It is redrawn ten times a second from a counter the workers add to, so
// even tiny tasks pay nothing for it. It reaches 100% only when the call has
// ended; on failure it stops where the work stopped, says "(failed)" and
// shows no time left. It fits the terminal's width, 80 columns when the
// writer is not a terminal. With an iter.Seq input of unknown length (no
// WithIterableLen), or a total of 0, it counts up. Bars of calls running at
// once may share a writer: their frames never mix. Calls with a progress
// bar also appear on dashboards (package
// github.com/mpire-go/mpire/runtime/dashboard).
func WithProgressBar() CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) { s.ProgressBar() })
}

// WithProgressBarWriter draws the progress bar on w instead of stderr. It
// implies WithProgressBar.
func WithProgressBarWriter(w io.Writer) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) { s.ProgressBar().W = w })
}

// WithProgressBarTitle describes the progress bar with title. It implies
// WithProgressBar.
func WithProgressBarTitle(title string) CallOption {
	return engine.CallOptionOf(func(s *engine.Settings) { s.ProgressBar().Title = title })
}

// WithProgressBarOptions hands options of github.com/schollz/progressbar/v3
// to the progress bar (MPIRE's progress_bar_options, which passes tqdm's
// through): its theme, width, description, colours, spinner, throttle and
// what it shows. They apply after the runtime's defaults, and after the
// options of an earlier WithProgressBarOptions (a pool's default, then the
// call's). It implies WithProgressBar.
//
//	pool.Map(ctx, args, mpire.WithProgressBarOptions(
//		progressbar.OptionSetTheme(progressbar.ThemeASCII),
//		progressbar.OptionSetDescription("squares"),
//	))
//
// The runtime keeps the line itself: frames go to the writer of
// WithProgressBarWriter (OptionSetWriter and OptionUseANSICodes have no
// effect), a bar wider than the terminal is narrowed (but OptionFullWidth
// fills 80 columns, whatever the terminal), and the first and last frames
// are drawn whatever the throttle. The count is always shown, and the rate
// once a task is done: progressbar has no option to hide them. The time left
// is not shown before the first task is done, nor after a failure.
// OptionSetVisibility(false) hides the bar but keeps the call on dashboards.
// Options that progressbar refuses (a spinner type out of range,
// OptionSpinnerType with OptionSpinnerCustom) make the constructor panic, or
// the call fail, as invalid values of other options do.
func WithProgressBarOptions(opts ...progressbar.Option) CallOption {
	err := engine.CheckBarOptions(opts)
	opts = slices.Clone(opts)
	return engine.CallOptionOf(func(s *engine.Settings) {
		if err != nil {
			s.Invalid("WithProgressBarOptions: %v", err)
			return
		}
		o := s.ProgressBar()
		o.Style = append(slices.Clip(o.Style), opts...)
	})
}
