package engine

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/schollz/progressbar/v3"
)

// An Option configures a pool when given to its constructor. The options
// themselves are defined in package mpire, with the user's documentation.
type Option interface{ apply(*Settings) }

// A CallOption configures one call, overriding the pool's default. Every
// CallOption is also an Option.
type CallOption interface {
	Option
	callOption()
}

// PoolOption returns an Option that only makes sense for a pool as a whole.
func PoolOption(f func(*Settings)) Option { return poolOption(f) }

// CallOptionOf returns an option that a call may override.
func CallOptionOf(f func(*Settings)) CallOption { return callOption(f) }

type poolOption func(*Settings)

func (o poolOption) apply(s *Settings) { o(s) }

type callOption func(*Settings)

func (o callOption) apply(s *Settings) { o(s) }
func (callOption) callOption()         {}

// Settings is the resolved configuration of a pool or of one call.
type Settings struct {
	// Pool options.
	Jobs       int
	CPUSets    [][]int
	OrderTasks bool
	KeepAlive  bool
	Insights   bool
	Processes  bool     // WithProcesses: worker processes
	Remote     Remote   // where the workers run when not in this process; nil: goroutines or Processes
	Observer   Observer // told what the pool does (Observe); nil: nothing is

	// Call options; zero means "not set".
	ChunkSize      int
	NSplits        int
	MaxActive      int
	Lifespan       int
	IterableLen    int
	IterableLenSet bool
	Progress       *ProgressOptions
	TaskTimeout    time.Duration
	InitTimeout    time.Duration
	ExitTimeout    time.Duration
	Retries        int      // WithRetries: runs of a failed task beyond its first
	Backoff        *Backoff // WithRetryBackoff; nil: DefaultBackoff
	KeepGoing      bool     // WithContinueOnError: a task's failure does not stop the call

	errs []error // invalid values, reported by the constructor or the call
}

// ProgressOptions describe a call's progress bar.
type ProgressOptions struct {
	W     io.Writer
	Title string
	Style []progressbar.Option // the user's options of the library, in order
}

// Invalid records an invalid option value.
func (s *Settings) Invalid(format string, args ...any) {
	s.errs = append(s.errs, fmt.Errorf("mpire: "+format, args...))
}

// ProgressBar turns the progress bar on and returns its options, for the
// caller to change: a copy, since the pool's defaults are shared by calls.
func (s *Settings) ProgressBar() *ProgressOptions {
	if s.Progress == nil {
		s.Progress = &ProgressOptions{W: os.Stderr}
	} else {
		copied := *s.Progress
		s.Progress = &copied
	}
	return s.Progress
}

// newSettings resolves a pool's options, panicking on a programming error,
// as the constructor's contract says.
func newSettings(opts []Option) Settings {
	var s Settings
	for _, o := range opts {
		o.apply(&s)
	}
	if len(s.errs) > 0 {
		panic(s.errs[0].Error())
	}
	if s.Jobs == 0 {
		s.Jobs = runtime.GOMAXPROCS(0)
	}
	if s.Processes && s.Remote != nil {
		panic(fmt.Sprintf("mpire: WithProcesses and %s: choose one place for the workers", s.Remote))
	}
	if n := len(s.CPUSets); n > 1 && n != s.Jobs {
		panic(fmt.Sprintf("mpire: %d CPU sets for %d workers: give one set, or one per worker", n, s.Jobs))
	}
	return s
}

// forCall returns the settings of one call: the pool's, overridden by opts.
// exitValues tells that the task's exit function returns a value.
func (s Settings) forCall(opts []CallOption, exitValues bool) (Settings, error) {
	if len(opts) == 0 {
		return s, nil
	}
	c := s
	c.errs = nil
	for _, o := range opts {
		o.apply(&c)
	}
	if len(c.errs) > 0 {
		return c, c.errs[0]
	}
	if c.Remote != nil {
		if err := c.Remote.Check(&c, exitValues); err != nil {
			return c, err
		}
	}
	return c, nil
}

// WantsProcesses reports whether opts ask for worker processes.
func WantsProcesses(opts []Option) bool {
	var s Settings
	for _, o := range opts {
		o.apply(&s)
	}
	return s.Processes
}

// A Remote is where a pool's workers run when they run outside this process
// (a cluster): set by a pool option, and made into executors by the pool's
// NewExecutor.
type Remote interface {
	// String names the option that set it, for errors.
	String() string
	// Check returns why the remote cannot serve a pool or a call with these
	// settings; nil when it can. exitValues tells that the task's exit
	// function returns a value to collect.
	Check(s *Settings, exitValues bool) error
}

// Outside reports whether the workers run outside this process.
func (s *Settings) Outside() bool { return s.Processes || s.Remote != nil }
