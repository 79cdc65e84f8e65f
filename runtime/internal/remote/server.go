package remote

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/catch"
	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/local"
	"github.com/mpire-go/mpire/runtime/internal/proc"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// ServePortable makes this process a worker process of pt's task when it
// was started as one, serving until its parent lets it go, and then exits;
// otherwise it returns at once. Generated code calls it from an init
// function of the task's package, so a worker process runs package
// initialisation up to there, and never main. It also registers the task
// for cluster workers (PortableTasks).
func ServePortable[St, A, R, E any](pt *engine.Portable[St, A, R, E]) {
	portables.Store(pt.Task, portableTask[St, A, R, E]{pt})
	proc.Serve(pt.Task, &processHandler[St, A, R, E]{pt: pt})
}

// processObserver, set by package otelmpire when a program links it,
// observes the traced runs of a worker process: it records the spans of
// their tasks, which go back to the caller with the reply.
var processObserver atomic.Pointer[engine.Observer]

// SetProcessObserver makes o the observer of the traced runs of worker
// processes of this binary. A worker process runs package initialisation,
// not main, so it is set from an init function.
func SetProcessObserver(o engine.Observer) { processObserver.Store(&o) }

// traceOf returns the trace context of the run of t, for its request: nil
// when the call is not traced, and without a field beyond wire's bounds.
func traceOf[A, R any](t *engine.Tasks[A, R]) wire.TraceContext {
	o := t.S.Observer
	if o == nil {
		return nil
	}
	trace := wire.TraceContext{}
	o.Inject(t.Ctx, trace)
	for k, v := range trace {
		if wire.CheckTrace(wire.TraceContext{k: v}) != nil {
			delete(trace, k)
		}
	}
	if len(trace) == 0 || wire.CheckTrace(trace) != nil {
		return nil
	}
	return trace
}

// processHandler serves a worker process: its Init request makes the
// Server, with the shared object.
type processHandler[St, A, R, E any] struct {
	pt *engine.Portable[St, A, R, E]
	s  *Server
}

func (h *processHandler[St, A, R, E]) Handle(ctx context.Context, worker int, phase wire.Phase, body []byte, l *proc.Ledger) []byte {
	if phase == wire.PhaseInit {
		var obs engine.Observer
		if o := processObserver.Load(); o != nil {
			obs = *o
		}
		s, err := newServer(h.pt, worker, body, obs)
		if err != nil {
			return wire.AppendReply(nil, &wire.Reply{Err: toWire(phase, err)})
		}
		if h.s != nil {
			h.s.Close() // an init again, after a failed one: its server goes
		}
		h.s = s
	}
	if h.s == nil {
		return wire.AppendReply(nil, &wire.Reply{Err: &wire.Error{Phase: phase, Index: -1, Msg: "mpire: a request before init"}})
	}
	return h.s.handleJob(job{ctx: ctx, phase: phase, body: body, ledger: l})
}

// A Server serves the requests of one worker, in bytes, with the pool's own
// Lifecycle around a goroutine executor: the same code runs a chunk in a
// worker process or on a cluster worker as in one process. Requests come
// one at a time.
//
// The worker's functions run on a goroutine of the Server's: when a task
// ends it with runtime.Goexit, the request is answered as one whose worker
// died, with the results of the tasks completed before, and the Server
// goes on with a fresh worker on a new goroutine.
//
// In a worker process, a run records each task's result in the process's
// ledger as the task completes (proc.Ledger): when the process dies, its
// parent knows the task it was on and has the results of those before.
type Server struct {
	handle func(j job) *wire.Reply
	died   func(phase wire.Phase) *wire.Reply
	jobs   chan job

	waitAbandoned func()
}

// WaitAbandoned waits until every task the server abandoned at its time
// limit has returned. It may be called while the server handles a request.
func (s *Server) WaitAbandoned() { s.waitAbandoned() }

type job struct {
	ctx    context.Context
	phase  wire.Phase
	body   []byte
	trace  wire.TraceContext // when not nil, stands for the request's own (it came in a cluster message's headers)
	ledger *proc.Ledger      // PhaseRun in a worker process: where it records; nil elsewhere
	reply  chan []byte
}

// newServer returns the server of a worker of pt's task in slot worker,
// whose shared object is encoded in shared. obs, when not nil, observes its
// worker's life and its traced runs.
func newServer[St, A, R, E any](pt *engine.Portable[St, A, R, E], worker int, shared []byte, obs engine.Observer) (*Server, error) {
	var fn engine.Func[St, A, R, E]
	err := engine.Catching(func() (err error) {
		fn, err = pt.Child(shared)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mpire: decoding the shared object in a worker: %w", err)
	}
	w := &taskServer[St, A, R, E]{pt: pt, fn: fn, obs: obs, id: engine.WorkerID(worker)}
	w.encode = w.encodeResult // made once: a method value allocates
	w.exec = local.New(&w.fn, engine.ExecutorConfig{ID: engine.WorkerID(worker)})
	w.life = engine.NewLifecycle(&w.fn, w.exec, engine.WorkerID(worker), nil)
	w.life.Observe(obs, false)
	s := &Server{handle: w.handle, died: w.died, jobs: make(chan job), waitAbandoned: w.exec.WaitAbandoned}
	go s.serve()
	return s, nil
}

// Handle answers one request and returns the encoding of its reply.
func (s *Server) Handle(ctx context.Context, phase wire.Phase, body []byte) []byte {
	return s.HandleTraced(ctx, phase, body, nil)
}

// HandleTraced is Handle of a request whose trace context came apart from
// its body (in a cluster message's headers): trace, when not nil, stands
// for the request's own.
func (s *Server) HandleTraced(ctx context.Context, phase wire.Phase, body []byte, trace wire.TraceContext) []byte {
	return s.handleJob(job{ctx: ctx, phase: phase, body: body, trace: trace})
}

func (s *Server) handleJob(j job) []byte {
	j.reply = make(chan []byte, 1)
	s.jobs <- j
	return <-j.reply
}

// Close ends the server's goroutine, after its worker's exit if one is due
// (Handle it first).
func (s *Server) Close() { close(s.jobs) }

func (s *Server) serve() {
	for {
		var j job
		var ok bool
		o := catch.Do(func() {
			for j = range s.jobs {
				ok = true
				j.reply <- s.encode(s.handle(j))
				ok = false
			}
		}, func(catch.Outcome) {
			j.reply <- s.encode(s.died(j.phase))
			go s.serve()
		})
		if !o.Panicked {
			return // the jobs ended
		}
		// A panic outside the Lifecycle's own catchers (the server's own
		// code): the request is answered, never left waiting for ever.
		if ok {
			j.reply <- s.encode(&wire.Reply{Err: &wire.Error{Phase: j.phase, Kind: wire.Panicked, Index: -1, Msg: fmt.Sprint(o.Value), Stack: o.Stack}})
		}
	}
}

func (s *Server) encode(r *wire.Reply) []byte { return wire.AppendReply(nil, r) }

// taskServer is a Server's typed half.
type taskServer[St, A, R, E any] struct {
	pt   *engine.Portable[St, A, R, E]
	fn   engine.Func[St, A, R, E]
	exec *local.Executor[St, A, R, E]
	life *engine.Lifecycle[St, A, R, E]
	obs  engine.Observer // observes the worker's life and traced runs; nil: none
	id   engine.WorkerID
	stop atomic.Bool // never set: the pool's side stops calls
	args []A
	out  []R
	buf  []byte
	s    engine.Settings

	ledger *proc.Ledger                 // where the run records its results; nil when it does not
	encode func(b []byte, i int) []byte // encodeResult, the ledger's encoder

	decoding bool // ReadArgs runs: a Goexit there is no death of the worker
	encoding bool // AppendResults runs: nor is a Goexit there

	observing context.Context    // the context of the traced run in progress; nil when none
	observed  engine.ObservedRun // the traced run in progress
}

func (w *taskServer[St, A, R, E]) handle(j job) *wire.Reply {
	ctx, phase, body := j.ctx, j.phase, j.body
	start := time.Now()
	var rep *wire.Reply
	switch phase {
	case wire.PhaseInit:
		rep = &wire.Reply{}
		if err := w.life.Init(ctx, 0); err != nil { // the pool's side enforces the limit
			rep.Err = toWire(phase, err)
		}
	case wire.PhaseRun:
		rep = w.run(ctx, body, j.trace, j.ledger)
	case wire.PhaseExit:
		rep = &wire.Reply{}
		ex := w.life.Stop(0) // the pool's side enforces the limit
		if ex.Err != nil {
			rep.Err = toWire(phase, ex.Err)
		} else if ex.Has {
			if o := catch.Do(func() { rep.Payload = w.pt.AppendExit(nil, &ex.Value) }, nil); o.Panicked {
				rep.Payload = nil
				rep.Err = &wire.Error{Phase: phase, Kind: wire.Panicked, Index: -1, Msg: fmt.Sprintf("mpire: encoding the exit value in a worker: %v", o.Value), Stack: o.Stack}
			}
		}
	default:
		rep = &wire.Reply{Err: &wire.Error{Phase: phase, Index: -1, Msg: fmt.Sprintf("mpire: a request of unknown phase %v", phase)}}
	}
	rep.Took = time.Since(start)
	return rep
}

// run runs a chunk of tasks, recording their results in l, if not nil, as
// they complete. trace, when not nil, stands for the request's trace
// context.
func (w *taskServer[St, A, R, E]) run(ctx context.Context, body []byte, trace wire.TraceContext, l *proc.Ledger) *wire.Reply {
	req, err := wire.ParseRequest(body)
	if trace != nil {
		req.Trace = trace
	}
	if err == nil {
		w.decoding = true
		err = engine.Catching(func() (err error) {
			w.args, err = w.pt.ReadArgs(req.Args, w.args[:0])
			return err
		})
		w.decoding = false
		if _, panicked := err.(*engine.PanicError); panicked {
			w.args = w.args[:0]
		}
		if err == nil && len(w.args) != req.Tasks {
			err = fmt.Errorf("%d tasks decoded of the %d sent", len(w.args), req.Tasks)
		}
	}
	if err != nil {
		return &wire.Reply{Err: &wire.Error{Phase: wire.PhaseRun, Index: -1, Msg: fmt.Sprintf("mpire: decoding the arguments in a worker: %v", err)}}
	}
	if cap(w.out) < len(w.args) {
		w.out = make([]R, len(w.args))
	}
	w.s.TaskTimeout = req.TaskTimeout
	t := engine.Tasks[A, R]{Ctx: ctx, Stop: &w.stop, S: &w.s, Args: w.args, Out: w.out[:len(w.args)]}
	w.ledger, w.encoding = l, false
	if l != nil {
		l.SetEncoder(w.encode)
		t.Track = l
	}
	if w.obs == nil || len(req.Trace) == 0 {
		return w.reply(t.Out, w.life.Run(&t))
	}
	// A traced run: its tasks' spans join the caller's trace.
	w.observed = engine.ObservedRun{Task: w.fn.Name, Worker: w.id, Tasks: len(w.args), Began: time.Now(), Trace: req.Trace}
	t.Ctx = w.obs.Run(ctx, &w.observed)
	w.observing = t.Ctx
	comp := w.life.Run(&t)
	rep := w.reply(t.Out, comp)
	rep.Spans = w.endRun(comp)
	return rep
}

// endRun tells the observer how the traced run in progress ended, if one
// is in progress, and returns the spans to send back.
func (w *taskServer[St, A, R, E]) endRun(comp engine.Completion[E]) []byte {
	ctx := w.observing
	if ctx == nil {
		return nil
	}
	w.observing = nil
	spans := w.obs.RunEnd(ctx, &w.observed, comp.N, comp.Err)
	if len(spans) > wire.MaxSpans {
		return nil // its bound is the observer's to keep: none rather than a reply refused
	}
	return spans
}

// encodeResult appends to b the encoding of the result of task i, for the
// ledger, which records it as the next task starts. A panic of the task's
// codec there is taken for the failure of that next task, which it is not:
// w.encoding tells reply so, at no cost per task.
func (w *taskServer[St, A, R, E]) encodeResult(b []byte, i int) []byte {
	w.encoding = true
	b = w.pt.AppendResults(b, w.out[i:i+1])
	w.encoding = false
	return b
}

// died answers the request of phase whose function ended the Server's
// goroutine: the worker is fresh afterwards, its exit not run.
func (w *taskServer[St, A, R, E]) died(phase wire.Phase) *wire.Reply {
	if w.decoding {
		// The arguments' decoder ended the goroutine, before any of the
		// worker's functions ran: the worker itself is intact.
		w.decoding = false
		w.args = w.args[:0]
		return &wire.Reply{Err: &wire.Error{Phase: wire.PhaseRun, Index: -1, Msg: fmt.Sprintf("mpire: decoding the arguments in a worker: the decoder %v", catch.ErrGoexit)}}
	}
	if w.encoding {
		// The results' encoder ended the goroutine, in the tasks' loop or
		// after it: no result crosses, since encoding them would end it
		// again, and the worker, its loop left midway, starts afresh.
		w.life.Died()
		return w.unencodable(nil, fmt.Sprintf("the encoder %v", catch.ErrGoexit), nil)
	}
	comp := w.life.Died()
	if phase != wire.PhaseRun {
		return &wire.Reply{Err: toWire(phase, comp.Err)}
	}
	rep := w.reply(w.out[:len(w.args)], comp)
	rep.Spans = w.endRun(comp)
	return rep
}

// reply encodes what a run of tasks did: the results of those that
// completed, and the failure. The results in the ledger are the process's
// record, for its parent to read should it die before its reply is sent:
// the reply carries all of them in one encoding.
func (w *taskServer[St, A, R, E]) reply(out []R, comp engine.Completion[E]) *wire.Reply {
	if w.encoding {
		// Not a task's failure: the codec panicked recording a result, or
		// ended the goroutine that ran a task under a time limit.
		if pe := (*engine.PanicError)(nil); errors.As(comp.Err, &pe) {
			return w.unencodable(out[:comp.N], fmt.Sprint(pe.Value), pe.Stack)
		}
		return w.unencodable(out[:comp.N], fmt.Sprintf("the encoder %v", catch.ErrGoexit), nil)
	}
	if w.ledger != nil {
		// The last result too. A codec that panics here panics below as
		// well, and is reported there.
		catch.Do(func() { w.ledger.Track(comp.N) }, nil)
	}
	w.encoding, w.ledger = false, nil
	rep := &wire.Reply{N: comp.N}
	if comp.Err != nil {
		rep.Err = toWire(wire.PhaseRun, comp.Err)
	}
	if comp.N > 0 {
		w.encoding = true
		o := catch.Do(func() { w.buf = w.pt.AppendResults(w.buf[:0], out[:comp.N]) }, nil)
		w.encoding = false
		if o.Panicked {
			return w.unencodable(out[:comp.N], fmt.Sprint(o.Value), o.Stack)
		}
		rep.Payload = w.buf
	}
	// What the tasks referred to may go, until the next run.
	clear(w.args)
	clear(out)
	return rep
}

// unencodable is the reply to a run whose results the task's codec failed
// to encode, panicking with msg and stack or ending its goroutine. Of the
// results out, computed, it finds the first that does not encode alone:
// the failure is that task's, and the results before it cross. When each
// encodes alone, none crosses, and the failure is the run's first task's.
func (w *taskServer[St, A, R, E]) unencodable(out []R, msg string, stack []byte) *wire.Reply {
	rep := &wire.Reply{}
	w.encoding = true // a Goexit here is the encoder's
	encodes := func(out []R) bool {
		return catch.Do(func() { w.buf = w.pt.AppendResults(w.buf[:0], out) }, nil).OK()
	}
	bad := 0
	for bad < len(out) && encodes(out[bad:bad+1]) {
		bad++
	}
	if bad < len(out) && bad > 0 && encodes(out[:bad]) {
		rep.N, rep.Payload = bad, w.buf
	}
	w.encoding, w.ledger = false, nil
	clear(w.args)
	clear(w.out[:len(w.args)])
	kind := wire.Failed
	if stack != nil {
		kind = wire.Panicked
	}
	rep.Err = &wire.Error{Phase: wire.PhaseRun, Kind: kind, Index: -1, Msg: "mpire: encoding the results in a worker: " + msg, Stack: stack}
	return rep
}
