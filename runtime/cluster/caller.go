package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/remote"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// On runs a pool's tasks on the workers of a NATS JetStream cluster (see
// Serve) instead of goroutines of this process. Give it to the constructor
// of a pool of a portable task:
//
//	pool := NewSquarePool(cluster.On(js), mpire.WithJobs(8))
//
// Map, MapUnordered, IMap, IMapUnordered, Apply and ApplyAsync keep their
// types and meaning. WithJobs is how many chunks are in flight at once:
// about the number of workers serving the task, times two, keeps them busy.
// Chunks travel as messages, split to fit the server's max payload; each
// result comes back exactly once, in input order for Map and IMap.
//
// WithPrefix selects the deployment: the workers that Serve with the same
// prefix.
//
// The constructor panics, naming the option, on what a cluster cannot do:
// CPU pinning, WithProcesses, worker lifespans, init and exit time limits,
// and exit functions that return a value. See the package documentation.
func On(js jetstream.JetStream, opts ...OnOption) mpire.Option {
	var o onOptions
	for _, opt := range opts {
		opt.on(&o)
	}
	c := &client{js: js, nc: js.Conn(), names: namesFor(o.prefix), bad: checkPrefix(o.prefix)}
	return engine.PoolOption(func(s *engine.Settings) { s.Remote = c })
}

// client is the caller's side of the cluster, shared by a pool's worker
// slots: each slot's Endpoint is a window on the cluster with its own
// inbox.
type client struct {
	js    jetstream.JetStream
	nc    *nats.Conn
	names names
	bad   error // an invalid option, refused when the pool is made

	mu     sync.Mutex
	stream jetstream.Stream      // nil until set up
	obs    jetstream.ObjectStore //
	stored map[string]bool       // hashes of the shared objects known to be stored
}

func (c *client) String() string { return "cluster.On" }

func (c *client) MaxPayload() int { return maxPayload(c.nc) }

func (c *client) Check(s *engine.Settings, exitValues bool) error {
	refuse := func(what string) error {
		return fmt.Errorf("mpire: cluster.On: %s: cluster workers are other programs, which serve many callers", what)
	}
	switch {
	case c.bad != nil:
		return c.bad
	case len(s.CPUSets) > 0:
		return refuse("WithCPUIDs and WithCPUSets pin this machine's CPUs")
	case s.Lifespan > 0:
		return refuse("WithWorkerLifespan restarts a worker of its own pool")
	case s.InitTimeout > 0 || s.ExitTimeout > 0:
		return refuse("WithWorkerInitTimeout and WithWorkerExitTimeout bound a worker of its own pool")
	case exitValues:
		return refuse("an exit function that returns a value cannot return it to one caller")
	}
	return nil
}

// setUp makes sure the stream and the bucket exist, once.
func (c *client) setUp(ctx context.Context) (jetstream.Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stream == nil {
		stream, obs, err := setUp(ctx, c.js, c.names)
		if err != nil {
			return nil, err
		}
		c.stream, c.obs, c.stored = stream, obs, map[string]bool{}
	}
	return c.stream, nil
}

// putShared stores an encoded shared object under the hash of its content,
// once, and returns the hash. An object that exists under that name is
// checked, not trusted: one planted there is replaced.
func (c *client) putShared(ctx context.Context, shared []byte) (string, error) {
	name := sharedName(shared)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stored[name] {
		return name, nil
	}
	_, err := fetchVerified(ctx, c.obs, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) || errors.Is(err, ErrSharedMismatch) {
		if _, err := c.obs.PutBytes(ctx, name, shared); err != nil {
			return "", fmt.Errorf("mpire: cluster: storing the shared object: %w", err)
		}
	} else if err != nil {
		return "", fmt.Errorf("mpire: cluster: looking up the shared object: %w", err)
	}
	c.stored[name] = true
	return name, nil
}

func (c *client) Start(ctx context.Context, cfg remote.EndpointConfig) (remote.Endpoint, error) {
	stream, err := c.setUp(ctx)
	if err != nil {
		return nil, err
	}
	var id [12]byte
	rand.Read(id[:])
	e := &endpoint{
		c:      c,
		stream: stream,
		id:     hex.EncodeToString(id[:]),
		schema: cfg.Schema,
		signal: make(chan struct{}, 1),
		dead:   make(chan struct{}),
	}
	// The inbox is one of the deployment's reply subjects, which a worker
	// derives from the chunk's subject: it answers nowhere else.
	e.inbox = c.names.reply + e.id
	e.subject = c.names.work + taskID(cfg.Task) + "." + e.id
	// The inbox takes the replies, and answers the workers asking whether
	// this caller still waits; the advisory says that the server gave up on
	// a request that no worker acknowledged in time.
	if e.sub, err = c.nc.Subscribe(e.inbox+".>", e.receive); err != nil {
		return nil, fmt.Errorf("mpire: cluster: subscribing to the replies: %w", err)
	}
	if e.adv, err = c.nc.Subscribe(c.names.advisory(taskID(cfg.Task)), e.receive); err != nil {
		e.sub.Unsubscribe()
		return nil, fmt.Errorf("mpire: cluster: subscribing to the advisories: %w", err)
	}
	return e, nil
}

// endpoint is one worker slot of a pool on the cluster. Its requests go to
// the task's work queue, where any worker may take them; it waits for the
// reply to its request in flight, assembling its parts as they arrive, and
// drops any other message (a duplicate after a redelivery, the late reply to
// a request it gave up on, or a reply without the request's proof) as it
// arrives: an idle endpoint keeps nothing, and a busy one the parts of its
// request's reply and one whole reply.
type endpoint struct {
	c       *client
	stream  jetstream.Stream
	id      string
	schema  string
	subject string
	inbox   string
	shared  string // the hash of the shared object; empty: none
	seq     uint64 // the number of the last request

	sub, adv *nats.Subscription

	mu     sync.Mutex
	want   string        // the seq and proof of the request in flight, "seq proof"; empty: none
	tasks  int           // the tasks of the request in flight
	chunk  uint64        // the stream sequence of its chunk; 0 until the server stored it
	parts  wire.Parts    // the parts of its replies, by attempt
	reply  *wire.Reply   // its first well-formed reply; nil: none yet
	gaveUp int64         // the deliveries after which the server gave up on its chunk; 0: none
	signal chan struct{} // a reply or an advisory came
	dead   chan struct{} // closed by Kill and Close
	err    error         // why the endpoint ended
}

// receive runs on the subscriptions' goroutines: it never blocks. It keeps
// what answers the request in flight: the parts of its reply, until one is
// whole and well formed, and the server's advisory that it gave up on the
// request's chunk.
func (e *endpoint) receive(m *nats.Msg) {
	if strings.HasSuffix(m.Subject, ".ping") {
		m.Respond(nil)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.want == "" || e.reply != nil || e.gaveUp != 0 {
		return
	}
	if m.Sub == e.adv {
		var a struct {
			StreamSeq  uint64 `json:"stream_seq"`
			Deliveries int64  `json:"deliveries"`
		}
		// An advisory that comes before the chunk's stream sequence is
		// known is of another chunk: the server gives up on a chunk only
		// after its deliveries' ack deadlines.
		if json.Unmarshal(m.Data, &a) != nil || e.chunk == 0 || a.StreamSeq != e.chunk {
			return
		}
		e.gaveUp = max(a.Deliveries, 1)
	} else {
		if m.Header.Get(hSeq)+" "+m.Header.Get(hProof) != e.want {
			return
		}
		i, k := 0, 1
		if p := m.Header.Get(hPart); p != "" {
			var err error
			if i, k, err = wire.ParsePart(p); err != nil {
				return // not a part of anything
			}
		}
		body, complete, err := e.parts.Add(m.Header.Get(hAttempt), i, k, m.Data)
		if err != nil || !complete {
			return
		}
		rep, err := wire.ParseReply(body, wire.PhaseRun, e.tasks)
		if err != nil {
			return // a malformed reply answers nothing
		}
		e.reply = &rep
	}
	select {
	case e.signal <- struct{}{}:
	default:
	}
}

func (e *endpoint) Init(ctx context.Context, _ time.Duration, shared []byte) (wire.Reply, error) {
	if shared == nil {
		return wire.Reply{}, nil
	}
	hash, err := e.c.putShared(ctx, shared)
	e.shared = hash
	return wire.Reply{}, err
}

// Run sends a chunk and waits for its reply. limit is not used: a chunk
// may wait in the queue for a free worker, and the worker enforces the task
// time limit itself.
func (e *endpoint) Run(ctx context.Context, _ time.Duration, req *wire.Request) (wire.Reply, error) {
	if ctx.Err() != nil {
		return wire.Reply{}, context.Cause(ctx)
	}
	e.seq++
	seq := strconv.FormatUint(e.seq, 10)
	var t [16]byte
	rand.Read(t[:])
	token := hex.EncodeToString(t[:])
	e.expect(seq+" "+proof(token), req.Tasks)
	defer e.expect("", 0)
	m := nats.NewMsg(e.subject)
	// The trace context travels in the headers, where OpenTelemetry's
	// propagators put it, not in the body.
	body := *req
	body.Trace = nil
	m.Data = wire.AppendRequest(nil, &body)
	for k, v := range req.Trace {
		m.Header.Set(k, v)
	}
	m.Header.Set(hSchema, e.schema)
	m.Header.Set(hSeq, seq)
	m.Header.Set(hToken, token)
	m.Header.Set(jetstream.MsgIDHeader, e.id+"."+seq)
	if e.shared != "" {
		m.Header.Set(hShared, e.shared)
	}
	if d, ok := ctx.Deadline(); ok {
		m.Header.Set(hDeadline, strconv.FormatInt(d.UnixNano(), 10))
	}
	ack, err := e.c.js.PublishMsg(ctx, m)
	if err != nil {
		return wire.Reply{}, fmt.Errorf("mpire: cluster: sending a chunk: %w", err)
	}
	e.mu.Lock()
	e.chunk = ack.Sequence
	e.mu.Unlock()
	done := ctx.Done()
	var grace <-chan time.Time
	for {
		select {
		case <-e.signal:
		case <-done:
			// The call is cancelled: the request goes from the queue if no
			// worker took it yet, and then nothing will answer it; a worker
			// running it cancels it, and its reply, if it comes within the
			// grace a cancelled task has, still ends the request.
			done = nil
			e.c.nc.Publish(e.c.names.cancel+e.id, []byte(seq+" "+token))
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := e.stream.DeleteMsg(dctx, ack.Sequence)
			cancel()
			if err == nil {
				return wire.Reply{}, context.Cause(ctx)
			}
			t := time.NewTimer(cancelGrace)
			defer t.Stop()
			grace = t.C
			continue
		case <-grace:
			// Its late reply, if one comes, is dropped: it answers a
			// request given up on.
			return wire.Reply{}, context.Cause(ctx)
		case <-e.dead:
			return wire.Reply{}, e.Err()
		}
		e.mu.Lock()
		rep, gaveUp := e.reply, e.gaveUp
		e.mu.Unlock()
		switch {
		case rep != nil:
			return *rep, nil
		case gaveUp != 0:
			return wire.Reply{}, fmt.Errorf("%w: the chunk was delivered %d times to cluster workers, and none acknowledged it: each died or stalled under it", engine.ErrWorkerDied, gaveUp)
		}
	}
}

// expect makes want the seq and proof of the request in flight, of tasks
// tasks, and drops what was kept for the one before.
func (e *endpoint) expect(want string, tasks int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.want, e.tasks, e.chunk, e.parts, e.reply, e.gaveUp = want, tasks, 0, wire.Parts{}, nil, 0
}

// Exit has nothing to do here: a cluster worker runs its exit when it
// stops serving.
func (e *endpoint) Exit(context.Context, time.Duration) (wire.Reply, error) {
	return wire.Reply{}, nil
}

func (e *endpoint) Close(time.Duration) { e.end(errClosed) }

// Alive is true until Close: a cluster worker that dies loses no chunk, which
// goes to another.
func (e *endpoint) Alive() bool { return e.Err() == nil }

// ErrRefused is the cause of the error of a call that a cluster worker
// refused because it was built from other code than the caller: the task's
// types differ, so its codecs would not agree.
var ErrRefused = remote.ErrRefused

var errClosed = errors.New("mpire: cluster: the worker slot is closed")

// cancelGrace is how long a cancelled call waits for the reply of a chunk
// that a worker runs, so that the task sees its cancellation.
const cancelGrace = 500 * time.Millisecond

func (e *endpoint) end(why error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return
	}
	e.err = why
	e.sub.Unsubscribe()
	e.adv.Unsubscribe()
	close(e.dead)
}

func (e *endpoint) Dead() <-chan struct{} { return e.dead }

func (e *endpoint) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}
