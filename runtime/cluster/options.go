package cluster

import (
	"errors"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// A ServeOption configures Serve.
type ServeOption interface{ serve(*serveOptions) }

// An OnOption configures On.
type OnOption interface{ on(*onOptions) }

type serveOptions struct {
	jobs        int
	ackWait     time.Duration
	maxDeliver  int
	name        string
	prefix      string
	sharedBytes int64
	observer    engine.Observer // WithWorkerOptions: observes the workers' lives and traced chunks
	bad         error           // an option that a worker cannot take
}

type onOptions struct {
	prefix string
}

type serveFunc func(*serveOptions)

func (f serveFunc) serve(o *serveOptions) { f(o) }

// WithJobs sets how many chunks of each task this worker runs at once
// (default: GOMAXPROCS), each on a worker slot with its own state. It bounds
// every task the worker runs: a task abandoned at its time limit
// (mpire.WithTaskTimeout) keeps its slot until it returns, and the slot
// takes no other chunk meanwhile.
func WithJobs(n int) ServeOption { return serveFunc(func(o *serveOptions) { o.jobs = n }) }

// WithAckWait sets how long the server waits for a worker to acknowledge a
// chunk before it gives the chunk to another worker (default 30s): how long
// the chunks of a worker that died wait. A worker running a chunk tells the
// server it is alive three times per AckWait, so a long task keeps its
// chunk. It is the consumer's, shared by the task's workers: the last
// worker to start sets it for all.
func WithAckWait(d time.Duration) ServeOption {
	return serveFunc(func(o *serveOptions) { o.ackWait = d })
}

// WithMaxDeliver sets how many times a chunk is given to workers before the
// server gives up on it and its call fails with ErrWorkerDied (default 5).
func WithMaxDeliver(n int) ServeOption { return serveFunc(func(o *serveOptions) { o.maxDeliver = n }) }

// WithName names this worker in the errors it sends (default: host:pid).
func WithName(name string) ServeOption { return serveFunc(func(o *serveOptions) { o.name = name }) }

// WithSharedCache bounds the shared objects a worker keeps in memory, in
// bytes of their encoding (default 256 MiB): beyond it, the least recently
// used go, and are fetched again when a chunk needs them. An object larger
// than the bound is fetched for every worker slot that needs it.
func WithSharedCache(bytes int64) ServeOption {
	return serveFunc(func(o *serveOptions) { o.sharedBytes = bytes })
}

const defaultSharedCache = 256 << 20

// WithWorkerOptions gives this worker the pool options that make sense on
// it: otelmpire.Instrument, so that the spans its tasks start join their
// caller's trace (it came in the chunk's headers) through this program's
// own tracer provider, and mpire.WithLogger, for its workers' deaths, time
// limits and failed inits. Serve refuses any other option.
//
//	err := cluster.Serve(ctx, js, cluster.WithWorkerOptions(otelmpire.Instrument(), mpire.WithLogger(slog.Default())))
func WithWorkerOptions(opts ...mpire.Option) ServeOption {
	return serveFunc(func(o *serveOptions) {
		obs, others := engine.ObserverOf(opts)
		if others {
			o.bad = errors.New("mpire: cluster.WithWorkerOptions: only otelmpire.Instrument and mpire.WithLogger apply to a cluster worker; give the others to the callers' pools")
			return
		}
		o.observer = obs
	})
}

// WithPrefix puts every name a deployment of the cluster uses (its stream,
// consumers, object store bucket and subjects) under prefix p: a caller
// (On) and a worker (Serve) with the same prefix work together, and NATS
// permissions can separate deployments on one account (see
// CallerPermissions and WorkerPermissions). p takes letters, digits, '-'
// and '_'; the default, "", keeps the names MPIRE_WORK, mpire.work.>, and
// so on.
func WithPrefix(p string) PrefixOption { return PrefixOption(p) }

// A PrefixOption is an option of both On and Serve: see WithPrefix.
type PrefixOption string

func (p PrefixOption) serve(o *serveOptions) { o.prefix = string(p) }
func (p PrefixOption) on(o *onOptions)       { o.prefix = string(p) }
