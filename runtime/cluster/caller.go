package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// WithPrefix selects the deployment, which Deploy made: the workers that
// Serve with the same prefix.
//
// The constructor panics, naming the option, on what a cluster cannot do:
// CPU pinning, WithProcesses, worker lifespans, init and exit time limits,
// and exit functions that return a value. See the package documentation.
func On(js jetstream.JetStream, opts ...OnOption) mpire.Option {
	o := onOptions{maxDeliver: 5}
	for _, opt := range opts {
		opt.on(&o)
	}
	bad := checkPrefix(o.prefix)
	if bad == nil && o.maxDeliver < 1 {
		bad = fmt.Errorf("mpire: cluster.WithMaxDeliver(%d): a chunk is delivered once at least", o.maxDeliver)
	}
	c := &client{js: js, nc: js.Conn(), names: namesFor(o.prefix), o: o, bad: bad, id: newID(), eps: map[string]*endpoint{}}
	return engine.PoolOption(func(s *engine.Settings) { s.Remote = c })
}

// client is the caller's side of the cluster, shared by the worker slots
// of the pools made with one On: each slot's Endpoint is a window on the
// cluster, whose replies the client's consumer of the stream of replies
// hands to it.
type client struct {
	js    jetstream.JetStream
	nc    *nats.Conn
	names names
	o     onOptions
	bad   error  // an invalid option, refused when the pool is made
	id    string // in the subjects of its chunks and replies

	mu        sync.Mutex
	work      jetstream.Stream         // nil until set up
	replies   jetstream.Stream         //
	obs       jetstream.ObjectStore    //
	ttl       time.Duration            // how long the bucket keeps an object; 0: for ever
	stored    map[string]bool          // names of the shared objects known to be stored
	open      int                      // the endpoints open
	consuming jetstream.ConsumeContext // nil while it does not consume its replies
	since     uint64                   // the connection's reconnections when it began to
	lost      atomic.Bool              // its consumer was deleted (it was away past replyInactive)

	epMu sync.Mutex           // not held with mu: receive takes it, while mu waits for receive to end
	eps  map[string]*endpoint // the endpoints open, by id
}

// The client's consumer of its replies: its ack wait, after which a reply
// that did not reach it comes again, and how long it lasts without a
// client pulling from it (the client's program gone, or out of reach).
// Workers drop the chunks of a client whose consumer is gone: if it comes
// back, the requests it had in flight fail, and its next ones make the
// consumer anew.
var (
	replyAckWait  = 5 * time.Second
	replyInactive = time.Minute
)

// The watch of a chunk whose reply did not come: the caller looks whether
// its chunk is still in the work queue (waiting or running) after a
// second, then after twice as long as the time before, up to watchAtMost;
// once it is not, its reply is given lostAfter to come, which covers its
// redelivery. A chunk lost fails its call within watchAtMost + lostAfter.
const watchAtMost = 16 * time.Second

var lostAfter = 3 * replyAckWait

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

// setUp looks the deployment up, once.
func (c *client) setUp(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.work != nil {
		return nil
	}
	d, err := lookUp(ctx, c.js, c.names)
	if err != nil {
		return err
	}
	status, err := d.obs.Status(ctx)
	if err != nil {
		return fmt.Errorf("mpire: cluster: the shared objects' bucket: %w", err)
	}
	c.work, c.replies, c.obs, c.ttl, c.stored = d.work, d.replies, d.obs, status.TTL(), map[string]bool{}
	return nil
}

// putShared stores an encoded shared object, once per period of the
// bucket's TTL (see sharedName), and returns its name. An object that
// exists under that name is checked, not trusted: one planted there is
// replaced.
func (c *client) putShared(ctx context.Context, shared []byte) (string, error) {
	name := sharedName(sharedHash(shared), c.ttl, time.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stored[name] {
		return name, nil
	}
	err := retry(ctx, func(ctx context.Context) error {
		_, err := fetchVerified(ctx, c.obs, name)
		if errors.Is(err, jetstream.ErrObjectNotFound) || errors.Is(err, ErrSharedMismatch) {
			_, err = c.obs.PutBytes(ctx, name, shared)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("mpire: cluster: storing the shared object: %w", err)
	}
	if len(c.stored) > 1024 { // names of periods past
		clear(c.stored)
	}
	c.stored[name] = true
	return name, nil
}

func (c *client) Start(ctx context.Context, cfg remote.EndpointConfig) (remote.Endpoint, error) {
	if err := c.setUp(ctx); err != nil {
		return nil, err
	}
	e := &endpoint{
		c:      c,
		id:     newID(),
		schema: cfg.Schema,
		signal: make(chan struct{}, 1),
		dead:   make(chan struct{}),
	}
	e.subject = c.names.work + taskID(cfg.Task) + "." + c.id + "." + e.id
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.listen(ctx); err != nil {
		return nil, err
	}
	c.open++
	c.epMu.Lock()
	c.eps[e.id] = e
	c.epMu.Unlock()
	return e, nil
}

// listen makes the client consume its replies, through a consumer of its
// own made anew if it has none, or lost it, or may have lost it: the
// connection reconnected since (the server deletes the consumer of a
// client away longer than replyInactive, and says so to its next pull).
// c.mu is held.
func (c *client) listen(ctx context.Context) error {
	reconnects := c.nc.Stats().Reconnects
	if c.consuming != nil && !c.lost.Load() && reconnects == c.since {
		return nil
	}
	c.stopListening()
	var cons jetstream.Consumer
	err := retry(ctx, func(ctx context.Context) (err error) {
		cons, err = c.replies.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Name:              c.names.replyConsumer(c.id),
			Description:       "mpire: the replies of a caller",
			FilterSubject:     c.names.reply + c.id + ".>",
			AckPolicy:         jetstream.AckExplicitPolicy,
			AckWait:           replyAckWait,
			MaxDeliver:        -1,
			InactiveThreshold: replyInactive,
			Replicas:          c.replies.CachedInfo().Config.Replicas,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("mpire: cluster: the consumer of the replies: %w", err)
	}
	cc, err := cons.Consume(c.receive, jetstream.ConsumeErrHandler(c.consumeError))
	if err != nil {
		return fmt.Errorf("mpire: cluster: consuming the replies: %w", err)
	}
	c.consuming, c.since = cc, reconnects
	c.lost.Store(false)
	return nil
}

// stopListening stops consuming the replies. c.mu is held.
func (c *client) stopListening() {
	if c.consuming == nil {
		return
	}
	c.consuming.Stop()
	select {
	case <-c.consuming.Closed():
	case <-time.After(tryTimeout):
	}
	c.consuming = nil
}

// consumeError notes that the client's consumer is gone: its next request
// makes it anew. It runs on the consumer's goroutine, which stopListening
// may wait for, holding mu.
func (c *client) consumeError(_ jetstream.ConsumeContext, err error) {
	if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
		c.lost.Store(true)
	}
}

// receive hands a reply to its endpoint, and acknowledges it: the reply is
// this process's now.
func (c *client) receive(m jetstream.Msg) {
	_, ep, _ := strings.Cut(strings.TrimPrefix(m.Subject(), c.names.reply), ".")
	c.epMu.Lock()
	e := c.eps[ep]
	c.epMu.Unlock()
	if e != nil {
		e.receive(m)
	}
	m.Ack()
}

// closed forgets an endpoint, and stops consuming when it was the last: its
// consumer goes.
func (c *client) closed(e *endpoint) {
	c.epMu.Lock()
	delete(c.eps, e.id)
	c.epMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open--; c.open > 0 || c.consuming == nil {
		return
	}
	c.stopListening()
	ctx, cancel := context.WithTimeout(context.Background(), tryTimeout)
	defer cancel()
	c.replies.DeleteConsumer(ctx, c.names.replyConsumer(c.id)) // or it goes after replyInactive
}

// endpoint is one worker slot of a pool on the cluster. Its requests go to
// the task's work queue, where any worker may take them; it waits for the
// reply to its request in flight, assembling its parts as they arrive, and
// drops any other reply (a duplicate after a redelivery, the late reply to
// a request it gave up on, or a reply without the request's proof) as it
// arrives: an idle endpoint keeps nothing, and a busy one the parts of its
// request's reply and one whole reply.
type endpoint struct {
	c       *client
	id      string
	schema  string
	subject string
	shared  string // the name of the shared object; empty: none
	seq     uint64 // the number of the last request

	mu     sync.Mutex
	want   string        // the seq and proof of the request in flight, "seq proof"; empty: none
	tasks  int           // the tasks of the request in flight
	parts  wire.Parts    // the parts of its replies, by attempt
	reply  *wire.Reply   // its first well-formed reply; nil: none yet
	signal chan struct{} // a reply came
	dead   chan struct{} // closed by Close
	err    error         // why the endpoint ended

	deleting sync.WaitGroup // the deletions of chunks given up on, which Close waits for; added to under mu before Close
}

// receive runs on the client's consumer's goroutine: it never blocks. It
// keeps the parts of the reply of the request in flight, until one is whole
// and well formed.
func (e *endpoint) receive(m jetstream.Msg) {
	hdr := m.Headers()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.want == "" || e.reply != nil || hdr.Get(hSeq)+" "+hdr.Get(hProof) != e.want {
		return
	}
	i, k := 0, 1
	if p := hdr.Get(hPart); p != "" {
		var err error
		if i, k, err = wire.ParsePart(p); err != nil {
			return // not a part of anything
		}
	}
	body, complete, err := e.parts.Add(hdr.Get(hAttempt), i, k, m.Data())
	if err != nil || !complete {
		return
	}
	rep, err := wire.ParseReply(body, wire.PhaseRun, e.tasks)
	if err != nil {
		return // a malformed reply answers nothing
	}
	e.reply = &rep
	select {
	case e.signal <- struct{}{}:
	default:
	}
}

func (e *endpoint) Init(ctx context.Context, _ time.Duration, shared []byte) (wire.Reply, error) {
	if shared == nil {
		return wire.Reply{}, nil
	}
	name, err := e.c.putShared(ctx, shared)
	e.shared = name
	return wire.Reply{}, err
}

// Run sends a chunk and waits for its reply. limit is not used: a chunk
// may wait in the queue for a free worker, and the worker enforces the task
// time limit itself.
//
// The chunk is published until the server acknowledges it (a message id
// keeps one copy), and its reply comes through the client's consumer, from
// the stream of replies, where the worker stored it before it acknowledged
// the chunk: neither is lost with a server or a connection. While no reply
// comes, the chunk is watched: once gone from the queue (dropped past the
// stream's MaxAge, deleted, lost), its reply has lostAfter to come, or the
// request fails.
func (e *endpoint) Run(ctx context.Context, _ time.Duration, req *wire.Request) (wire.Reply, error) {
	if ctx.Err() != nil {
		return wire.Reply{}, context.Cause(ctx)
	}
	e.c.mu.Lock()
	err := e.c.listen(ctx)
	e.c.mu.Unlock()
	if err != nil {
		return wire.Reply{}, err
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
	m.Header.Set(hMaxDeliver, strconv.Itoa(e.c.o.maxDeliver))
	m.Header.Set(jetstream.MsgIDHeader, e.c.id+"."+e.id+"."+seq)
	if e.shared != "" {
		m.Header.Set(hShared, e.shared)
	}
	if d, ok := ctx.Deadline(); ok {
		m.Header.Set(hTimeout, time.Until(d).String())
	}
	ack, err := publish(ctx, e.c.js, m)
	if err != nil {
		if ctx.Err() != nil {
			// The chunk may be in the queue, or reach it later (its
			// publication waits in the connection's buffer).
			e.cancel(seq, token, m, 0)
			return wire.Reply{}, context.Cause(ctx)
		}
		return wire.Reply{}, fmt.Errorf("mpire: cluster: sending a chunk: %w", err)
	}
	sent := time.Now()
	every := time.Second
	watch := time.NewTimer(every)
	defer watch.Stop()
	var gone time.Time // when the chunk was found gone from the queue, its reply not come
	for {
		select {
		case <-e.signal:
			e.mu.Lock()
			rep := e.reply
			e.mu.Unlock()
			if rep != nil {
				return *rep, nil
			}
		case <-ctx.Done():
			e.cancel(seq, token, m, ack.Sequence)
			return wire.Reply{}, context.Cause(ctx)
		case <-e.dead:
			return wire.Reply{}, e.Err()
		case <-watch.C:
			switch {
			case e.c.nc.IsClosed():
				return wire.Reply{}, fmt.Errorf("mpire: cluster: waiting for a reply: %w", nats.ErrConnectionClosed)
			case gone.IsZero():
				if e.gone(ctx) {
					gone, every = time.Now(), lostAfter
				} else {
					every = min(2*every, watchAtMost)
				}
			case time.Since(gone) >= lostAfter:
				return wire.Reply{}, e.lost(ack.Sequence, gone.Sub(sent))
			}
			watch.Reset(every)
		}
	}
}

// gone reports whether the endpoint's chunk is no longer in the work
// queue: answered, dropped or deleted. The server is asked how many chunks
// the endpoint's subject holds, not for the chunk: its answer comes on the
// callers' inbox, which every caller of the deployment may read, and the
// chunk holds its token. An endpoint has one chunk in the queue, or, a
// moment after it gave up on a request, two (the one given up on is
// deleted, or taken and dropped by a worker).
func (e *endpoint) gone(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, tryTimeout)
	defer cancel()
	info, err := e.c.work.Info(ctx, jetstream.WithSubjectFilter(e.subject))
	return err == nil && info.State.Subjects[e.subject] == 0
}

// lost is the error of a request whose chunk left the queue, sent age
// before, and whose reply did not come.
func (e *endpoint) lost(chunk uint64, age time.Duration) error {
	what := fmt.Sprintf("mpire: cluster: the chunk (stream sequence %d of %s) left the queue, and no reply came in %v", chunk, e.c.names.stream, lostAfter)
	if maxAge := e.c.work.CachedInfo().Config.MaxAge; maxAge > 0 && age >= maxAge {
		return fmt.Errorf("%s: it outlived the stream's MaxAge (%v, cluster.Limits.MaxAge), which bounds a chunk's whole life, waiting and running", what, maxAge)
	}
	return fmt.Errorf("%s: it was dropped past the stream's MaxAge, deleted, or lost with a server", what)
}

// cancel cancels a request given up on: the workers are told, so that one
// running its chunk m cancels it, and one about to run it does not; and
// the chunk is deleted from the queue, in the background, which Close
// waits for. A worker that took it meanwhile, and missed the cancel (a
// plain message, which only the workers listening then receive), finds it
// gone, and cancels its task.
//
// chunk is the chunk's stream sequence, 0 when its publication's
// acknowledgement did not come: the chunk may be in the queue, or reach it
// later from the connection's buffer. It is then published again, with its
// message id: the server answers a message id it stored within the
// stream's Duplicates window (two minutes, or MaxAge when shorter) with
// the sequence it stored it at, and stores the chunk otherwise, so that a
// copy that comes later is dropped as a duplicate. Either way the answer
// names the chunk to delete.
func (e *endpoint) cancel(seq, token string, m *nats.Msg, chunk uint64) {
	e.c.nc.Publish(e.c.names.cancel+e.c.id+"."+e.id, []byte(seq+" "+token))
	e.mu.Lock()
	closed := e.err != nil
	if !closed {
		e.deleting.Add(1)
	}
	e.mu.Unlock()
	if closed { // Close does not wait: delete it now
		e.delete(m, chunk)
		return
	}
	go func() {
		defer e.deleting.Done()
		e.delete(m, chunk)
	}()
}

// delete deletes the chunk m, of stream sequence chunk (0: not known),
// from the queue, trying for a minute at most (see retry): longer than a
// cluster takes to elect a new leader, or a connection to come back.
func (e *endpoint) delete(m *nats.Msg, chunk uint64) {
	retry(context.Background(), func(ctx context.Context) error {
		if chunk == 0 {
			ack, err := e.c.js.PublishMsg(ctx, m)
			if err != nil {
				return err
			}
			chunk = ack.Sequence
		}
		err := e.c.work.DeleteMsg(ctx, chunk)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		return err
	})
}

// expect makes want the seq and proof of the request in flight, of tasks
// tasks, and drops what was kept for the one before.
func (e *endpoint) expect(want string, tasks int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.want, e.tasks, e.parts, e.reply = want, tasks, wire.Parts{}, nil
}

// Exit has nothing to do here: a cluster worker runs its exit when it
// stops serving.
func (e *endpoint) Exit(context.Context, time.Duration) (wire.Reply, error) {
	return wire.Reply{}, nil
}

// Close waits for the deletions of the chunks it gave up on, a minute at
// most, the server out of reach.
func (e *endpoint) Close(time.Duration) {
	if e.end(errClosed) {
		e.deleting.Wait()
		e.c.closed(e)
	}
}

// Alive is true until Close (a cluster worker that dies loses no chunk,
// which goes to another), and while the endpoint's shared object was
// stored in the current period of the bucket's TTL: then the pool makes
// the endpoint anew, whose init stores it again, so that an object used
// longer than its TTL does not expire under its chunks.
func (e *endpoint) Alive() bool {
	return e.Err() == nil && (e.shared == "" || e.shared == sharedName(hashOf(e.shared), e.c.ttl, time.Now()))
}

// ErrRefused is the cause of the error of a call that a cluster worker
// refused because it was built from other code than the caller: the task's
// types differ, so its codecs would not agree.
var ErrRefused = remote.ErrRefused

var errClosed = errors.New("mpire: cluster: the worker slot is closed")

// end ends the endpoint, and reports whether it was not ended before.
func (e *endpoint) end(why error) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return false
	}
	e.err = why
	close(e.dead)
	return true
}

func (e *endpoint) Dead() <-chan struct{} { return e.dead }

func (e *endpoint) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}
