package engine

import (
	"context"
	"runtime/debug"
	"sync/atomic"
)

// A Worker is what generated code sees of the worker running a task: its
// context, its slot and its state.
type Worker[St any] struct {
	ctx   context.Context
	id    WorkerID
	state *St
	stop  *atomic.Bool
	ran   int // tasks the last Run completed, recorded even if it never returned

	tracker tracker
}

// A tracker tells Tasks.Track of the tasks as they start.
type tracker struct {
	t    Tracker // Tasks.Track of the tasks served; nil when none
	next int     // the index of the next task
}

// started tells the Tracker that the next task starts.
func (t *tracker) started() {
	t.t.Track(t.next)
	t.next++
}

// Context returns the context of the running call while tasks run, and of
// the worker's life in init and exit: cancelled when the call is cancelled
// or fails, when the running task reaches its time limit, or, for init and
// exit, when the worker stops.
func (w *Worker[St]) Context() context.Context { return w.ctx }

// ID returns the worker's slot, 0 to jobs-1.
func (w *Worker[St]) ID() WorkerID { return w.id }

// State returns the worker's state: the zero value when the worker starts,
// kept across its tasks, fresh after a restart.
func (w *Worker[St]) State() *St { return w.state }

// Stopped reports whether the running call has stopped, so that a run of
// tasks ends early after a failure elsewhere. Func.Run calls it once before
// each task, which is how a tracked run (Serve) learns that a task starts.
func (w *Worker[St]) Stopped() bool {
	if w.tracker.t != nil {
		w.tracker.started()
	}
	return w.stop.Load()
}

// Recover, deferred by Func.Run with its results, turns a panic into a
// *PanicError and records how many tasks completed, even when a task ended
// the goroutine with runtime.Goexit. It must be deferred directly:
//
//	defer w.Recover(&n, &err)
func (w *Worker[St]) Recover(n *int, err *error) {
	w.ran = *n
	if v := recover(); v != nil {
		*err = &PanicError{Value: v, Stack: debug.Stack()}
	}
}

// noStop is the stop flag of a worker outside any call.
var noStop atomic.Bool

// NewWorker returns the view of a fresh worker of slot id, with the zero
// state, outside any call: life is its context in init and exit.
func NewWorker[St any](life context.Context, id WorkerID) *Worker[St] {
	return &Worker[St]{ctx: life, id: id, state: new(St), stop: &noStop}
}

// Serve points the worker at the call whose tasks it runs: their context,
// the call's stop flag, and track (Tasks.Track, or nil), to be told of each
// task as it starts, the first that Func.Run runs being task first. It
// clears what Ran reports.
func (w *Worker[St]) Serve(ctx context.Context, stop *atomic.Bool, track Tracker, first int) {
	w.ctx, w.stop, w.ran = ctx, stop, 0
	w.tracker = tracker{t: track, next: first}
}

// Rest points the worker back at its own life, outside any call.
func (w *Worker[St]) Rest(life context.Context) { w.ctx, w.stop, w.tracker = life, &noStop, tracker{} }

// SetContext replaces the worker's context, for init, exit or a task under a
// time limit, and returns the one it replaces.
func (w *Worker[St]) SetContext(ctx context.Context) (old context.Context) {
	old, w.ctx = w.ctx, ctx
	return old
}

// Ran returns how many tasks the last call of Func.Run completed, even when
// it never returned (runtime.Goexit in a task).
func (w *Worker[St]) Ran() int { return w.ran }

// WorkerContext returns ctx as the context of the functions of worker slot
// id of pool: a call made from inside them on their own pool, which could
// wait forever, is then recognised.
func WorkerContext(ctx context.Context, pool any, id WorkerID) context.Context {
	return &workerContext{Context: ctx, in: workerOf{pool: pool, slot: id}}
}
