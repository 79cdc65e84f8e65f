package cluster

import (
	"errors"
	"fmt"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// A ServeOption configures Serve.
type ServeOption interface{ serve(*serveOptions) }

// An OnOption configures On.
type OnOption interface{ on(*onOptions) }

type serveOptions struct {
	prefix      string
	jobs        int
	ackWait     time.Duration
	name        string
	sharedBytes int64
	observer    engine.Observer // WithWorkerOptions: observes the workers' lives and traced chunks
	bad         error           // an option that a worker cannot take
}

type onOptions struct {
	prefix     string
	maxDeliver int
}

type serveFunc func(*serveOptions)

func (f serveFunc) serve(o *serveOptions) { f(o) }

type onFunc func(*onOptions)

func (f onFunc) on(o *onOptions) { f(o) }

// WithJobs sets how many chunks of each task this worker runs at once
// (default: GOMAXPROCS), each on a worker slot with its own state. It bounds
// every task the worker runs: a task abandoned at its time limit
// (mpire.WithTaskTimeout) keeps its slot until it returns, and the slot
// takes no other chunk meanwhile.
func WithJobs(n int) ServeOption { return serveFunc(func(o *serveOptions) { o.jobs = n }) }

// WithAckWait sets how long the server waits for a worker to acknowledge a
// chunk before it gives the chunk to another worker (default 30s): how long
// the chunks of a worker that died wait. It is a setting of the task's
// consumer, which the workers of the task share: it applies when this
// worker makes the consumer, and a consumer that exists keeps its own (an
// operator changes it with the nats tool). A worker running a chunk tells
// the server it is alive three times per the consumer's ack wait, so a long
// task keeps its chunk. Serve refuses an ack wait below a second.
func WithAckWait(d time.Duration) ServeOption {
	return serveFunc(func(o *serveOptions) { o.ackWait = d })
}

// minAckWait is the least ack wait WithAckWait takes.
const minAckWait = time.Second

// WithMaxDeliver sets how many times a chunk of this caller is given to
// workers (default 5): a worker given it once more, the others having died
// or stalled under it, does not run it, and the call fails with
// ErrWorkerDied. It travels with each chunk: it is the caller's, whatever
// the workers' settings.
func WithMaxDeliver(n int) OnOption { return onFunc(func(o *onOptions) { o.maxDeliver = n }) }

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

// A DeploymentOption configures Deploy: it names the deployment
// (WithPrefix) and says how its streams and bucket are made (WithReplicas,
// WithLimits).
type DeploymentOption interface{ deploy(*deployment) }

type deployFunc func(*deployment)

func (f deployFunc) deploy(d *deployment) { f(d) }

// deployment is what Deploy makes.
type deployment struct {
	prefix   string
	replicas int
	limits   Limits
}

// A PrefixOption names the deployment that On, Serve and Deploy work with
// (WithPrefix).
type PrefixOption struct{ p string }

func (o PrefixOption) serve(s *serveOptions) { s.prefix = o.p }
func (o PrefixOption) on(s *onOptions)       { s.prefix = o.p }
func (o PrefixOption) deploy(d *deployment)  { d.prefix = o.p }

// WithPrefix puts every name a deployment of the cluster uses (its streams,
// consumers, object store bucket, subjects and inboxes) under prefix p:
// Deploy makes the deployment of that prefix, and a caller (On) and a
// worker (Serve) with the same prefix work together in it, so that NATS
// permissions can separate deployments on one account (see
// CallerPermissions and WorkerPermissions). p takes letters, digits, '-'
// and '_'; the default, "", keeps the names MPIRE_WORK, mpire.work.>, and
// so on.
func WithPrefix(p string) PrefixOption { return PrefixOption{p} }

// WithReplicas makes the deployment's streams, their consumers and the
// shared objects' bucket replicated on n servers of a JetStream cluster
// (default 1): with 3, a call survives losing any one server. n is at most
// the number of servers.
func WithReplicas(n int) DeploymentOption {
	return deployFunc(func(d *deployment) { d.replicas = n })
}

// Limits bound what the server keeps for a deployment. A zero field takes
// its default.
type Limits struct {
	// MaxAge is how long the server keeps a chunk, and a reply waiting for
	// its caller (default 24h). It bounds a chunk's whole life, waiting
	// for a worker and running: JetStream removes a message by its age
	// whether or not a worker holds it. A chunk removed so fails its call
	// with an error that says it outlived MaxAge; a worker running it
	// cancels its task. Give it room for the longest a chunk waits and
	// runs. Shared objects are kept twice as long, and stored again by
	// their callers every MaxAge.
	MaxAge time.Duration
	// MaxBytes bounds the bytes of the chunks waiting, of the replies
	// waiting, and of the shared objects, each (default 1 GiB). A full
	// stream refuses what comes, and keeps what it holds: a caller, or a
	// worker, publishes again for a minute, then its call fails.
	MaxBytes int64
	// MaxMsgs bounds the chunks waiting, and the replies waiting, each
	// (default 1,000,000).
	MaxMsgs int64
}

// WithLimits bounds what the server keeps for the deployment. MaxAge
// bounds a chunk's life, running included: a call whose chunk outlives it
// fails, saying so.
func WithLimits(l Limits) DeploymentOption {
	return deployFunc(func(d *deployment) { d.limits = l })
}

// The default limits.
const (
	defaultMaxAge   = 24 * time.Hour
	defaultMaxBytes = 1 << 30
	defaultMaxMsgs  = 1_000_000
)

// check fills in the defaults, and refuses what cannot be.
func (d *deployment) check() error {
	if err := checkPrefix(d.prefix); err != nil {
		return err
	}
	if d.replicas < 0 || d.limits.MaxAge < 0 || d.limits.MaxBytes < 0 || d.limits.MaxMsgs < 0 {
		return fmt.Errorf("mpire: cluster: replicas %d and limits %+v must not be negative", d.replicas, d.limits)
	}
	d.replicas = max(d.replicas, 1)
	if d.limits.MaxAge == 0 {
		d.limits.MaxAge = defaultMaxAge
	}
	if d.limits.MaxBytes == 0 {
		d.limits.MaxBytes = defaultMaxBytes
	}
	if d.limits.MaxMsgs == 0 {
		d.limits.MaxMsgs = defaultMaxMsgs
	}
	return nil
}
