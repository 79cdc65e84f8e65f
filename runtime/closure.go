package mpire

import (
	"context"
	"errors"
	"iter"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/local"
)

// Map calls fn on every element of args, in parallel, and returns the results
// in input order. It is the one-line start: no directive, no go generate.
//
//	lengths, err := mpire.Map(ctx, urls, func(ctx context.Context, url string) (int, error) {
//		return fetchLength(ctx, url)
//	}, mpire.WithJobs(8))
//
// The call starts its own goroutine workers and stops them before it returns,
// so opts may hold every option of a pool and of a call: WithJobs,
// WithChunkSize, WithOrderTasks, WithTaskTimeout, WithProgressBar,
// WithInsights (shown on dashboards) and the others keep their meaning, while
// WithKeepAlive changes nothing. An invalid option value is returned as the
// error. fn runs on several goroutines at once: what it captures must be safe
// for that. Its context is cancelled when ctx is, when another task fails, and
// when its task reaches WithTaskTimeout.
//
// The first failure stops the call: no further chunk starts, and Map returns
// a *TaskError naming fn, the index and the argument (formatted with %v). A
// panic in fn becomes a *TaskError whose cause is a *PanicError. A cancelled
// ctx returns its cause, context.Canceled or context.DeadlineExceeded.
// WithRetries runs a failed task again first, and WithContinueOnError lets
// every task run, returning every success and each failure.
//
// Move to a generated pool (annotate a top-level function with
// //mpire:task and run go generate) for what a closure cannot carry: worker
// state with init and exit functions and their exit results, the worker id
// in the signature, several named task arguments, workers kept alive across
// calls, Apply and Insights read in code, and, for a portable task, worker
// processes and the cluster. The pool's hot loop then calls the function
// directly instead of through a func value.
func Map[A, R any](ctx context.Context, args []A, fn func(context.Context, A) (R, error), opts ...Option) ([]R, error) {
	p, err := closurePool(fn, opts)
	if err != nil {
		return nil, err
	}
	defer p.Close() // stops kept-alive workers; no exit function, so no error
	return p.Map(ctx, args)
}

// MapUnordered is Map with the results in completion order: the results of
// one chunk stay together, in input order within the chunk. The options and
// errors are those of Map. Move to a generated pool's MapUnordered for worker
// state with init and exit, worker ids, several named arguments, workers kept
// alive, worker processes or the cluster (see Map).
func MapUnordered[A, R any](ctx context.Context, args []A, fn func(context.Context, A) (R, error), opts ...Option) ([]R, error) {
	p, err := closurePool(fn, opts)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.MapUnordered(ctx, args)
}

// IMap calls fn on the elements of args as they come, in parallel, and yields
// the results in input order, while later results may already be computed.
// args may be endless: IMap takes at most WithMaxTasksActive tasks ahead of
// the loop (default: jobs * chunk size * 2), and WithIterableLen tells it the
// length, for chunking and the progress bar.
//
//	for n, err := range mpire.IMap(ctx, lines, func(ctx context.Context, line string) (int, error) {
//		return len(strings.Fields(line)), nil
//	}) { ... }
//
// Each loop over the returned sequence starts its own workers and stops them
// before the loop ends. On the first failure it yields the zero result and the
// error once, and stops; the options and errors are those of Map. Breaking out
// of the loop stops the work. Move to a generated pool's IMap for worker state
// with init and exit, worker ids, several named arguments, workers kept alive,
// worker processes or the cluster (see Map).
func IMap[A, R any](ctx context.Context, args iter.Seq[A], fn func(context.Context, A) (R, error), opts ...Option) iter.Seq2[R, error] {
	return closureSeq(fn, opts, func(p *closure[A, R]) iter.Seq2[R, error] { return p.IMap(ctx, args) })
}

// IMapUnordered is IMap with the results yielded as they complete: the
// results of one chunk together, in input order within the chunk. See IMap.
// Move to a generated pool's IMapUnordered for worker state with init and
// exit, worker ids, several named arguments, workers kept alive, worker
// processes or the cluster (see Map).
func IMapUnordered[A, R any](ctx context.Context, args iter.Seq[A], fn func(context.Context, A) (R, error), opts ...Option) iter.Seq2[R, error] {
	return closureSeq(fn, opts, func(p *closure[A, R]) iter.Seq2[R, error] { return p.IMapUnordered(ctx, args) })
}

// closure is the engine's pool for a func value: no state, no exit value.
type closure[A, R any] = engine.Pool[struct{}, A, R, struct{}]

// closureSeq runs the iterator that run returns on a pool made for this loop
// over the sequence, and closes the pool after it.
func closureSeq[A, R any](fn func(context.Context, A) (R, error), opts []Option, run func(*closure[A, R]) iter.Seq2[R, error]) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		p, err := closurePool(fn, opts)
		if err != nil {
			var zero R
			yield(zero, err)
			return
		}
		// Deferred: the loop body may leave by a panic or runtime.Goexit,
		// after which the call has already let go of the pool.
		defer p.Close()
		run(p)(yield)
	}
}

// closurePool returns a pool running fn with opts. An invalid option value,
// which makes the engine's constructor panic, is returned as an error
// instead: for the user, these functions are calls, and calls return it.
func closurePool[A, R any](fn func(context.Context, A) (R, error), opts []Option) (p *closure[A, R], err error) {
	if fn == nil {
		return nil, errors.New("mpire: the function to map is nil")
	}
	if engine.WantsProcesses(opts) {
		return nil, errors.New("mpire: WithProcesses: a closure cannot run in worker processes: annotate a top-level function with //mpire:task portable and use its generated pool")
	}
	name, pos := funcName(fn)
	defer func() {
		switch v := recover().(type) {
		case nil:
		case string:
			p, err = nil, errors.New(v)
		case error:
			p, err = nil, v
		default:
			panic(v)
		}
	}()
	return engine.NewPool(engine.Func[struct{}, A, R, struct{}]{
		Name: name,
		Pos:  pos,
		// The loop of a generated pool, calling fn through its func value:
		// nothing allocated per task. The result and error of a task are
		// locals, not the named err that the deferred Recover keeps in
		// memory: that keeps them in registers, worth about 5% on 50 ns tasks.
		Run: func(w *engine.Worker[struct{}], args []A, out []R) (n int, err error) {
			defer w.Recover(&n, &err)
			ctx := w.Context()
			for ; n < len(args) && !w.Stopped(); n++ {
				r, taskErr := fn(ctx, args[n])
				if taskErr != nil {
					return n, taskErr
				}
				out[n] = r
			}
			return n, nil
		},
		// No Format: the engine formats the argument with %v.
	}, local.NewExecutor, opts...), nil
}

// funcName names fn for errors and dashboards, as runtime names it without
// its package's directory ("app.process.func1"), and tells where it is
// declared.
func funcName(fn any) (name, pos string) {
	pc := reflect.ValueOf(fn).Pointer()
	f := runtime.FuncForPC(pc)
	if f == nil {
		return "func", ""
	}
	name = strings.TrimSuffix(f.Name(), "-fm") // a method value
	// Type arguments of a generic function may hold slashes: look before them.
	head := name
	if i := strings.IndexByte(head, '['); i >= 0 {
		head = head[:i]
	}
	name = name[strings.LastIndexByte(head, '/')+1:]
	file, line := f.FileLine(pc)
	return name, file + ":" + strconv.Itoa(line)
}
