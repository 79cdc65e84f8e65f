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

// Portable describes how the values of a portable task cross a process
// boundary: generated code fills it in, once per task, with codecs written
// for the task's types.
type Portable[St, A, R, E any] struct {
	// Task names the task in worker processes; unique in a binary.
	Task string
	// AppendArgs appends the encoding of args to b.
	AppendArgs func(b []byte, args []A) []byte
	// ReadArgs decodes what AppendArgs wrote, appending to args.
	ReadArgs func(b []byte, args []A) ([]A, error)
	// AppendResults appends the encoding of out to b.
	AppendResults func(b []byte, out []R) []byte
	// ReadResults decodes what AppendResults wrote into out, as long as the
	// results encoded.
	ReadResults func(b []byte, out []R) error
	// AppendExit appends the encoding of an exit value to b.
	AppendExit func(b []byte, e *E) []byte
	// ReadExit decodes what AppendExit wrote.
	ReadExit func(b []byte, e *E) error
	// Child returns, in a worker process, the task's Func with the shared
	// object decoded from what Func.Shared encoded in the parent.
	Child func(shared []byte) (Func[St, A, R, E], error)
	// Schema, when set, describes the encoding of the task's values: a
	// caller and a cluster worker must agree on it. When empty, the
	// structure of the task's types stands in for it.
	Schema string
}

// cancelGrace is how long a worker process has to stop a cancelled task by
// itself before it is killed.
const cancelGrace = 500 * time.Millisecond

// remoteExecutor runs a worker's functions outside this process, on an
// Endpoint that it speaks to in bytes with the task's codecs: a child process
// of this same binary (a crash, a hang past a time limit or a leak ends only
// that process, and a restart is a new process, so its memory really goes
// back to the system), or a cluster.
type remoteExecutor[St, A, R, E any] struct {
	fn     *Func[St, A, R, E]
	id     WorkerID
	cpus   []int
	stats  *workerStats
	remote Remote

	child Endpoint // nil until the first run, and after the worker ended
	ready bool     // init has run in the worker
	tasks int      // tasks completed since init
	buf   []byte   // the encoding of the last request's arguments
}

func newRemoteExecutor[St, A, R, E any](fn *Func[St, A, R, E], remote Remote, id WorkerID, cpus []int, stats *workerStats) *remoteExecutor[St, A, R, E] {
	return &remoteExecutor[St, A, R, E]{fn: fn, id: id, cpus: cpus, stats: stats, remote: remote}
}

func (x *remoteExecutor[St, A, R, E]) run(r *run[A, R]) (comp completion[E]) {
	if !x.ready {
		if err := x.init(r); err != nil {
			comp.err = err
			return comp
		}
	}
	n, took, err := x.runTasks(r, r.start, r.args, r.out)
	comp.n = n
	x.tasks += comp.n
	if comp.n > 0 && x.stats != nil {
		x.stats.addWorking(took, comp.n)
		if took > x.stats.topMin {
			x.stats.addTop(TaskInsight{Duration: took, WorkerID: x.id, Index: r.start, Args: x.format(&r.args[0]), Tasks: comp.n})
		}
	}
	if err != nil {
		comp.err = x.failure(PhaseTask, r, comp.n, err)
		return comp
	}
	if lifeEnds(r, comp.n, x.tasks) {
		// A restart is a new process: exit, then the child goes.
		comp.restarted(x.exit(r.s.ExitTimeout))
		x.end()
	}
	return comp
}

// runTasks runs args, the tasks from index start, in one request, or, when
// their encoding is larger than the endpoint takes, in several, one after
// the other. It returns how many completed before err, and how long they
// took in the worker.
func (x *remoteExecutor[St, A, R, E]) runTasks(r *run[A, R], start int, args []A, out []R) (n int, took time.Duration, err error) {
	pt := x.fn.Portable
	x.buf = binary.AppendUvarint(x.buf[:0], uint64(start))
	x.buf = binary.AppendVarint(x.buf, int64(r.s.TaskTimeout))
	buf, err := encoded(func() []byte { return pt.AppendArgs(x.buf, args) })
	if err != nil {
		return 0, 0, err
	}
	x.buf = buf
	if max := x.remote.MaxPayload(); max > 0 && len(x.buf) > max {
		if len(args) == 1 {
			return 0, 0, fmt.Errorf("mpire: the task's arguments encode to %d bytes, more than the %d a worker takes", len(x.buf), max)
		}
		half := len(args) / 2
		n, took, err = x.runTasks(r, start, args[:half], out[:half])
		if err != nil || n < half || r.stop.Load() {
			return n, took, err
		}
		m, took2, err := x.runTasks(r, start+half, args[half:], out[half:])
		return n + m, took + took2, err
	}
	// The worker enforces the task time limit itself, task by task; this
	// side gives up on it when the whole request outlives the sum of the
	// limits.
	var limit time.Duration
	if d := r.s.TaskTimeout; d > 0 && !x.remote.Queued() {
		limit = d*time.Duration(len(args)) + cancelGrace
	}
	rep, err := x.call(r.ctx, limit, func(ctx context.Context) (proc.Reply, error) { return x.child.Run(ctx, x.buf) })
	n = min(rep.N, len(args))
	if n > 0 {
		if derr := pt.ReadResults(rep.Payload, out[:n]); derr != nil && err == nil {
			n, err = 0, fmt.Errorf("mpire: decoding the results of a worker: %w", derr)
		}
	}
	return n, rep.Took, err
}

// init starts the worker if it does not run, and runs the worker's init
// there, with the shared object, which crosses once per worker.
func (x *remoteExecutor[St, A, R, E]) init(r *run[A, R]) error {
	x.tasks = 0
	if x.child == nil {
		begin := time.Now()
		child, err := x.remote.Start(context.Background(), EndpointConfig{Task: x.fn.Portable.Task, Schema: schemaOf(x.fn.Portable), Worker: int(x.id), CPUs: x.cpus})
		if err != nil {
			return &TaskError{Func: x.fn.Name, Phase: PhaseInit, WorkerID: x.id, Index: -1, Err: fmt.Errorf("%w: %v", ErrWorkerDied, err)}
		}
		x.child = child
		x.stats.addStartUp(time.Since(begin))
	}
	var shared []byte
	if x.fn.Shared != nil {
		var err error
		if shared, err = encoded(func() []byte { return x.fn.Shared(nil) }); err != nil {
			return &TaskError{Func: x.fn.Name, Phase: PhaseInit, WorkerID: x.id, Index: -1, Err: err}
		}
	}
	rep, err := x.call(r.ctx, r.s.InitTimeout, func(ctx context.Context) (proc.Reply, error) { return x.child.Init(ctx, shared) })
	x.stats.addInit(rep.Took)
	if err != nil {
		return x.failure(PhaseInit, r, 0, err)
	}
	x.ready = true
	return nil
}

// exit runs the worker's exit in the child, if its init ran.
func (x *remoteExecutor[St, A, R, E]) exit(limit time.Duration) exitResult[E] {
	if !x.ready || x.child == nil {
		return exitResult[E]{}
	}
	x.ready = false
	rep, err := x.call(context.Background(), limit, func(ctx context.Context) (proc.Reply, error) { return x.child.Exit(ctx) })
	x.stats.addExit(rep.Took)
	if err != nil {
		return exitResult[E]{err: x.failure(PhaseExit, nil, 0, err)}
	}
	if len(rep.Payload) == 0 || rep.Payload[0] == 0 {
		return exitResult[E]{}
	}
	var e E
	if err := x.fn.Portable.ReadExit(rep.Payload[1:], &e); err != nil {
		return exitResult[E]{err: &TaskError{Func: x.fn.Name, Phase: PhaseExit, WorkerID: x.id, Index: -1, Err: fmt.Errorf("mpire: decoding the exit value of a worker process: %w", err)}}
	}
	return exitResult[E]{value: e, has: true}
}

func (x *remoteExecutor[St, A, R, E]) stop(limit time.Duration) exitResult[E] {
	ex := x.exit(limit)
	x.end()
	return ex
}

// died is never called: this executor's own goroutine runs no user code.
func (x *remoteExecutor[St, A, R, E]) died() completion[E] {
	panic("mpire: a remote executor's goroutine ended")
}

// end ends the worker process; the next run starts a new one.
func (x *remoteExecutor[St, A, R, E]) end() {
	if x.child != nil {
		x.child.Close(cancelGrace)
		x.child = nil
	}
	x.ready = false
}

// call makes a request to the child and waits for its reply. The child is
// killed when the request outlives limit (> 0), or ctx by cancelGrace; the
// error then says so.
func (x *remoteExecutor[St, A, R, E]) call(ctx context.Context, limit time.Duration, request func(context.Context) (proc.Reply, error)) (proc.Reply, error) {
	child := x.child
	var killedFor atomic.Pointer[error]
	kill := func(why error) {
		if killedFor.CompareAndSwap(nil, &why) {
			child.Kill()
		}
	}
	if limit > 0 {
		t := time.AfterFunc(limit, func() { kill(fmt.Errorf("%w: the worker was stopped after %v", ErrTimeout, limit)) })
		defer t.Stop()
	}
	grace := time.AfterFunc(time.Hour, func() { kill(context.Cause(ctx)) })
	grace.Stop()
	defer grace.Stop()
	stopWatch := context.AfterFunc(ctx, func() { grace.Reset(cancelGrace) })
	defer stopWatch()
	rep, err := request(ctx)
	if why := killedFor.Load(); why != nil {
		// Killed, perhaps as it replied: either way the process goes.
		<-child.Dead()
		err = *why
	}
	if err != nil && child.Err() != nil {
		// The process is gone: the slot's next run starts a new one.
		x.child, x.ready = nil, false
	}
	return rep, err
}

// failure turns what went wrong in a request into a *TaskError: a task's
// error, a panic or a time limit as the child described it, or the death of
// the process. n tasks of r completed first.
func (x *remoteExecutor[St, A, R, E]) failure(phase Phase, r *run[A, R], n int, err error) *TaskError {
	te := &TaskError{Func: x.fn.Name, Phase: phase, WorkerID: x.id, Index: -1, Err: err}
	if phase == PhaseTask && r != nil && n < len(r.args) {
		te.Index, te.Args = r.start+n, x.format(&r.args[n])
	}
	var perr *proc.Error
	var exit *proc.ExitError
	switch {
	case errors.As(err, &perr):
		te.Err = causeOf(perr)
		if perr.Phase == proc.PhaseInit && phase == PhaseTask {
			// A cluster worker runs its init with its first run.
			te.Phase, te.Index, te.Args = PhaseInit, -1, ""
		}
		if perr.Timeout && phase == PhaseTask {
			// The child gave up on the task, which may still run there.
			te.Err = fmt.Errorf("%w: %s", ErrTimeout, perr.Msg)
			x.end()
		}
	case errors.As(err, &exit):
		te.Err = fmt.Errorf("%w: %v", ErrWorkerDied, exit)
		if phase == PhaseTask && r != nil && len(r.args)-n > 1 {
			// The process died with the whole run: which of its tasks
			// took it down is not known, only that none after Index
			// completed. WithChunkSize(1) names the very task.
			te.Err = fmt.Errorf("%w: %v (during tasks %d to %d, none of which completed)", ErrWorkerDied, exit, r.start+n, r.start+len(r.args)-1)
		}
		x.child, x.ready = nil, false
	}
	return te
}

// encoded runs a generated encoder: a value that its own marshaler refuses
// makes it panic, and the call fails instead of the program.
func encoded(encode func() []byte) (b []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("mpire: encoding a value for a worker process: %v", v)
		}
	}()
	return encode(), nil
}

// format formats a task's arguments, bounded.
func (x *remoteExecutor[St, A, R, E]) format(a *A) string {
	if x.fn.Format == nil {
		return FormatValue(*a)
	}
	return x.fn.Format(a)
}
