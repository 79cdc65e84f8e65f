package mpire

import (
	"fmt"
	"runtime"
	"time"
)

// An Option configures a pool when given to its constructor, and one call when
// given to a method. Options marked "pool option" in their documentation only
// make sense for the pool as a whole; given to a call, they make the call fail
// with an error naming them.
type Option func(*settings)

// settings is the resolved configuration of a pool or of one call.
type settings struct {
	// Pool options.
	jobs      int
	cpuSets   [][]int
	orderTask bool
	keepAlive bool
	insights  bool

	// Call options; zero means "not set".
	chunkSize     int
	nSplits       int
	maxActive     int
	lifespan      int
	iterableLen   int
	iterableLenOK bool
	progress      *progressOptions
	taskTimeout   time.Duration
	initTimeout   time.Duration
	exitTimeout   time.Duration

	// Bookkeeping for validation.
	poolOnly []string // names of pool options applied
	errs     []error  // invalid values
}

func (s *settings) invalid(format string, args ...any) {
	s.errs = append(s.errs, fmt.Errorf("mpire: "+format, args...))
}

func (s *settings) pool(name string) { s.poolOnly = append(s.poolOnly, name) }

func (s *settings) positive(name string, n int) bool {
	if n < 1 {
		s.invalid("%s(%d): must be at least 1", name, n)
		return false
	}
	return true
}

func (s *settings) duration(name string, d time.Duration) bool {
	if d <= 0 {
		s.invalid("%s(%v): must be positive", name, d)
		return false
	}
	return true
}

// WithJobs sets the number of workers (MPIRE's n_jobs). The default is
// runtime.GOMAXPROCS(0). Pool option.
func WithJobs(n int) Option {
	return func(s *settings) {
		s.pool("WithJobs")
		if s.positive("WithJobs", n) {
			s.jobs = n
		}
	}
}

// WithCPUIDs pins worker i to CPU ids[i]; a single id pins every worker to
// that CPU (MPIRE's cpu_ids). Each worker then runs on its own OS thread.
// Pool option.
func WithCPUIDs(ids ...int) Option {
	sets := make([][]int, len(ids))
	for i, id := range ids {
		sets[i] = []int{id}
	}
	return withCPUSets("WithCPUIDs", sets)
}

// WithCPUSets pins worker i to the CPUs of sets[i]; a single set applies to
// every worker (MPIRE's cpu_ids given as lists). Pool option.
func WithCPUSets(sets ...[]int) Option {
	return withCPUSets("WithCPUSets", sets)
}

func withCPUSets(name string, sets [][]int) Option {
	return func(s *settings) {
		s.pool(name)
		if len(sets) == 0 {
			s.invalid("%s(): needs at least one CPU", name)
			return
		}
		for _, set := range sets {
			if len(set) == 0 {
				s.invalid("%s: a CPU set is empty", name)
				return
			}
			for _, id := range set {
				if id < 0 {
					s.invalid("%s: CPU id %d is negative", name, id)
					return
				}
			}
		}
		s.cpuSets = sets
	}
}

// WithOrderTasks gives chunk k to worker k mod jobs instead of to whichever
// worker is free (MPIRE's order_tasks). Pool option.
func WithOrderTasks() Option {
	return func(s *settings) { s.pool("WithOrderTasks"); s.orderTask = true }
}

// WithKeepAlive keeps the workers, their state and the effect of their init
// alive between calls until Close (MPIRE's keep_alive). Pool option.
func WithKeepAlive() Option {
	return func(s *settings) { s.pool("WithKeepAlive"); s.keepAlive = true }
}

// WithInsights records worker insights, read with the pool's Insights method
// (MPIRE's enable_insights). Pool option.
func WithInsights() Option {
	return func(s *settings) { s.pool("WithInsights"); s.insights = true }
}

// WithChunkSize hands tasks to workers n at a time (MPIRE's chunk_size). The
// default gives each worker about 64 chunks when the number of tasks is known,
// and chunks of 4 when it is not.
func WithChunkSize(n int) Option {
	return func(s *settings) {
		if s.positive("WithChunkSize", n) {
			s.chunkSize = n
		}
	}
}

// WithNSplits splits the input into n chunks when no chunk size is given
// (MPIRE's n_splits). An iter.Seq needs WithIterableLen for it; without, its
// chunks hold 4 tasks.
func WithNSplits(n int) Option {
	return func(s *settings) {
		if s.positive("WithNSplits", n) {
			s.nSplits = n
		}
	}
}

// WithMaxTasksActive bounds the tasks taken from an iter.Seq input and not yet
// returned to the caller (MPIRE's max_tasks_active), which keeps memory flat
// over huge or endless inputs. The default is jobs * chunk size * 2. Chunks
// are made no larger than n, so a small bound never stalls the call. Slice
// inputs are already in memory and are not bounded.
func WithMaxTasksActive(n int) Option {
	return func(s *settings) {
		if s.positive("WithMaxTasksActive", n) {
			s.maxActive = n
		}
	}
}

// WithWorkerLifespan restarts a worker after it completed n tasks: its exit
// runs, its state is reset to the zero value, and its init runs again before
// its next task (MPIRE's worker_lifespan). It is checked after each chunk, so a
// worker may complete more than n tasks when chunks hold more than one task.
func WithWorkerLifespan(n int) Option {
	return func(s *settings) {
		if s.positive("WithWorkerLifespan", n) {
			s.lifespan = n
		}
	}
}

// WithIterableLen tells how many items an iter.Seq input yields, for chunking
// and the progress bar (MPIRE's iterable_len).
func WithIterableLen(n int) Option {
	return func(s *settings) {
		if n < 0 {
			s.invalid("WithIterableLen(%d): must not be negative", n)
			return
		}
		s.iterableLen, s.iterableLenOK = n, true
	}
}

// WithTaskTimeout fails the call with ErrTimeout when one task runs longer
// than d (MPIRE's task_timeout). The task's context is cancelled; a task that
// ignores its context is abandoned: the call returns without waiting for it,
// its result is discarded, and its worker is replaced by a fresh one (new
// state, init again) without running exit, since the abandoned task may still
// be using the old state.
func WithTaskTimeout(d time.Duration) Option {
	return func(s *settings) {
		if s.duration("WithTaskTimeout", d) {
			s.taskTimeout = d
		}
	}
}

// WithWorkerInitTimeout fails the call with ErrTimeout when a worker's init
// runs longer than d (MPIRE's worker_init_timeout). See WithTaskTimeout for
// what happens to a function that ignores its context.
func WithWorkerInitTimeout(d time.Duration) Option {
	return func(s *settings) {
		if s.duration("WithWorkerInitTimeout", d) {
			s.initTimeout = d
		}
	}
}

// WithWorkerExitTimeout fails the call (or Close) with ErrTimeout when a
// worker's exit runs longer than d (MPIRE's worker_exit_timeout).
func WithWorkerExitTimeout(d time.Duration) Option {
	return func(s *settings) {
		if s.duration("WithWorkerExitTimeout", d) {
			s.exitTimeout = d
		}
	}
}

// newSettings resolves a pool's options, panicking on a programming error,
// as the constructor's contract says.
func newSettings(opts []Option) settings {
	s := settings{jobs: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&s)
	}
	if len(s.errs) > 0 {
		panic(s.errs[0].Error())
	}
	if n := len(s.cpuSets); n > 1 && n != s.jobs {
		panic(fmt.Sprintf("mpire: %d CPU sets for %d workers: give one set, or one per worker", n, s.jobs))
	}
	s.poolOnly = nil
	return s
}

// forCall returns the settings of one call: the pool's, overridden by opts.
func (s settings) forCall(opts []Option) (settings, error) {
	if len(opts) == 0 {
		return s, nil
	}
	c := s
	c.errs, c.poolOnly = nil, nil
	for _, o := range opts {
		o(&c)
	}
	if len(c.poolOnly) > 0 {
		return c, fmt.Errorf("mpire: %s is a pool option: give it to the pool's constructor, not to a call", c.poolOnly[0])
	}
	if len(c.errs) > 0 {
		return c, c.errs[0]
	}
	return c, nil
}
