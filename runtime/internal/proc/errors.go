package proc

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrMismatch is wrapped by Start's error when the child is not the same
// build as this process, so that nothing would decode its payloads right.
var ErrMismatch = errors.New("the worker process is not the same build as its parent")

// ErrStart is wrapped by every error of Start: a worker process that could
// not be started, or did not get as far as serving its task, with the
// reason (an *ExitError when it ended during its start). It tells a worker
// that never ran from one that died running a task.
var ErrStart = errors.New("mpire: a worker process failed to start")

// ErrNotDelivered is wrapped, with the *ExitError, by the error of a
// request that the child never read: it had died, or could no longer hear,
// before. Nothing of the request ran.
var ErrNotDelivered = errors.New("the request never reached it")

// ErrClosed is returned by calls on a Child after Close or Kill.
var ErrClosed = errors.New("the worker process is closed")

// An ExitError reports a worker process that ended, for whatever reason:
// every call in flight and every later call returns it. The runtime wraps it
// in its ErrWorkerDied.
type ExitError struct {
	Pid    int
	State  *os.ProcessState // how it ended: exit status or signal
	Killed bool             // this side ended it: Kill, Close past its grace, or a broken protocol
	Err    error            // why this side ended it when it was not Kill or Close (a broken protocol), else nil
	Fatal  string           // the last Go crash headline on its stderr ("fatal error: stack overflow", "SIGSEGV: segmentation violation"), if any
	Stderr []string         // the last lines of its stderr
}

func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "worker process %d", e.Pid)
	if e.Killed {
		b.WriteString(" was killed by its parent")
	} else {
		b.WriteString(" died")
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.State != nil {
		fmt.Fprintf(&b, " (%v)", e.State)
	}
	if e.Fatal != "" {
		fmt.Fprintf(&b, ": %s", e.Fatal)
	}
	if len(e.Stderr) > 0 {
		b.WriteString("; the last lines of its stderr:")
		for _, l := range e.Stderr {
			b.WriteString("\n\t")
			b.WriteString(l)
		}
	}
	return b.String()
}

// Unwrap returns Err.
func (e *ExitError) Unwrap() error { return e.Err }

// An Interrupted is the error of a run request during which the worker
// process died by itself, with what its ledger recorded of the run: the
// tasks that had completed, from the first, and their results. The task
// after them is the one it was running, unless all had completed. Done
// is at most the request's tasks only if the child says true: the caller
// checks it, as it checks a reply.
type Interrupted struct {
	Exit    *ExitError
	Done    int    // the tasks of the request that completed
	Results []byte // their results: Done entries (wire.NextEntry), whole
}

func (e *Interrupted) Error() string { return e.Exit.Error() }

// Unwrap returns the *ExitError.
func (e *Interrupted) Unwrap() error { return e.Exit }
