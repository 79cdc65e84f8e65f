// Package engine is the scheduler: what runs, and when. It holds a pool's
// calls, cuts their input into runs of tasks, hands the runs out to the
// pool's worker slots with flow control and ordering, counts progress, and
// owns the life of every worker (init, lifespan restarts, exit, time
// limits, insights' timing, the *TaskError of each failure). Where a
// worker's functions run is not its business: each slot's Executor decides
// that (package local: goroutines of this process; package remote: worker
// processes or a cluster), and this package imports none of them.
//
// # The path of one call
//
// A generated pool's Map(ctx, args) calls Pool.Map (map.go), which resolves
// the call's settings, registers a call with Pool.begin (pool.go), which
// starts the pool's slots if none run, and sets the call's input: the
// caller's slice, cut into runs of consecutive tasks as workers ask
// (call.go). IMap's iterator is read by a feeder into chunks instead
// (input.go), and Apply's one task is a chunk of one (apply.go). Pool.enqueue
// hands pieces of the call's work to the slots that wait for work, the last
// to wait first, with their wake-up, and puts the call among the calls with
// work for the others.
//
// Each slot (slot.go) is a goroutine looping in slot.loop: Pool.next gives it
// a call and a piece of the call's work; call.nextRun turns the piece into
// Tasks, the next run of consecutive tasks with their place in the output;
// the slot's Lifecycle.Run (lifecycle.go) runs the worker's init if it has
// not run, then Executor.Run, which calls the generated Func.Run: a direct
// call of the user's function per task, writing each result in place. Back
// in the Lifecycle, a failure becomes a *TaskError naming the task and its
// arguments, and a worker at the end of its lifespan restarts. The
// Completion goes to call.complete, which counts the tasks done, moves
// MapUnordered's results into place and records the call's first failure,
// which stops the call's other runs.
//
// Unless the failed task runs again (WithRetries) or its failure is kept
// for the caller (WithContinueOnError): then call.settleFailure (retry.go)
// puts the tasks of the run after it back on the call as a redo, which the
// next free slot takes before the call's other work, and the failed task
// too, once its backoff has passed, on a timer: meanwhile it holds no slot.
// The call counts a task done once, when it succeeds or fails for good, and
// waits for the tasks in backoff too, unless it has stopped, which drops
// them.
//
// The caller, meanwhile, waits in call.wait until no slot holds a piece of
// the call and none is left to take, or until its context ends, then
// Pool.end unregisters the call (stopping the workers unless they are kept
// alive) and Map returns the output slice and the call's error. The call
// itself, with its input, is kept for the pool's next Map or Apply
// (reuse.go): no slot touches it once its caller has seen it end.
//
// A pool with an Observer (observe.go: otelmpire's traces and metrics,
// mpire.WithLogger) tells it of the call when its progress starts and ends,
// and, from the slot's Lifecycle, of each run (the run's tasks get the
// context it returns) and of its workers' lives, and, from call.complete,
// of each task that fails for good and each retry; without one, each of
// these is a nil check.
//
// A runtime.Goexit in the user's code ends the slot's goroutine: slot.serve
// runs the loop under catch.Do, whose report reaches slot.died, which fails
// the call's run with ErrWorkerDied and starts the slot again on a new
// goroutine, which goes on with the piece of work the slot held.
package engine
