// Package mpire is parallel map for Go: Map, MapUnordered, IMap and
// IMapUnordered of a closure for a one-line start, and what users of the pools
// that mpiregen generates call: the options of pools and calls, the errors
// they return, and worker insights. Both run on this module's runtime: it
// chunks the input, schedules chunks on a fixed set of workers, runs each
// worker's init and exit, enforces lifespans and time limits, and reports
// failures with the arguments of the task that failed.
//
// A closure needs no setup; its workers live for the call:
//
//	squares, err := mpire.Map(ctx, xs, func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	}, mpire.WithJobs(4))
//
// When that is not enough (state per worker with init and exit functions and
// their results, worker ids, several named arguments, workers kept alive across
// calls, worker processes, the cluster), users annotate a function,
//
//	//mpire:task state=Model shared=*Dataset init=loadModel
//	func Predict(ctx context.Context, ds *Dataset, m *Model, x float64) (float64, error)
//
// run go generate, and get a typed PredictPool whose methods (Map,
// MapUnordered, IMap, IMapUnordered, Apply, ApplyAsync) take the options
// defined here: an Option for the constructor, a CallOption for a call.
//
//	pool := NewPredictPool(ds, mpire.WithJobs(4))
//	defer pool.Close()
//	ys, err := pool.Map(ctx, xs, mpire.WithChunkSize(16))
//
// The package is imported as
//
//	mpire "github.com/mpire-go/mpire/runtime"
//
// because its directory is named runtime but its package is named mpire.
//
// # Workers
//
// A pool has a fixed number of worker slots (WithJobs), identified by a
// WorkerID from 0 to jobs-1. Workers start with the first call and, unless
// WithKeepAlive is given, stop when no call is running any more. A worker runs
// its init function lazily, just before its first task, and its exit function
// when it stops, so every successful init is paired with exactly one exit.
//
// # Calls
//
// Calls on one pool may run concurrently from several goroutines: they share
// the pool's workers. A worker serves one chunk at a time. A task must not wait
// for another call on its own pool, since it holds a worker while it waits: a
// call on its own pool, given the task's context, fails with ErrDeadlock when
// no other worker could ever serve it; Close from inside a task or an IMap
// loop of the same pool waits forever. A pool inside a task (a nested pool)
// is fine.
//
// # Failures
//
// The first failing task stops its call: no further chunk starts, the call's
// context is cancelled, and the call returns, once its workers have left it,
// a *TaskError naming the function, the worker, the index and the arguments.
// A panic is recovered into a *PanicError with its stack; a task that ends
// its goroutine (runtime.Goexit, as t.FailNow does) fails with ErrWorkerDied.
// A call never reports success with a missing result.
//
// # Retries and keeping going
//
// WithRetries runs a failed task again, up to n more times, after a backoff
// (WithRetryBackoff) during which it holds no worker; an error marked with
// Permanent is not retried. WithContinueOnError keeps a task's failure to
// itself: every task runs, Map returns every success with an error listing
// each failed task (TaskErrors), and IMap yields each failure in its place.
//
//	users, err := pool.Map(ctx, ids, mpire.WithRetries(3), mpire.WithContinueOnError())
//	for _, te := range mpire.TaskErrors(err) {
//		log.Printf("user %s: %v after %d attempts", te.Args, te.Err, te.Attempts)
//	}
//
// # Progress bar
//
// WithProgressBar draws a bar in the manner of tqdm on stderr, with
// github.com/schollz/progressbar/v3, redrawn ten times a second from a
// counter the workers add to. WithProgressBarOptions hands that library's
// own options to the bar (MPIRE's progress_bar_options): its theme, width,
// description, colours, spinner, throttle and what it shows, applied after
// the runtime's defaults.
//
//	ys, err := pool.Map(ctx, xs, mpire.WithProgressBarOptions(
//		progressbar.OptionSetTheme(progressbar.ThemeASCII),
//		progressbar.OptionSetDescription("predictions"),
//	))
package mpire
