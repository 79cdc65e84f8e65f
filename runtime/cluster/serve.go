package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/proc"
)

// A ServeOption configures Serve.
type ServeOption func(*serveOptions)

type serveOptions struct {
	jobs       int
	ackWait    time.Duration
	maxDeliver int
	name       string
}

// WithJobs sets how many chunks of each task this worker runs at once
// (default: GOMAXPROCS), each on a worker slot with its own state.
func WithJobs(n int) ServeOption { return func(o *serveOptions) { o.jobs = n } }

// WithAckWait sets how long the server waits for a worker to acknowledge a
// chunk before it gives the chunk to another worker (default 30s): how long
// the chunks of a worker that died wait. A worker running a chunk tells the
// server it is alive three times per AckWait, so a long task keeps its
// chunk. It is the consumer's, shared by the task's workers: the last
// worker to start sets it for all.
func WithAckWait(d time.Duration) ServeOption { return func(o *serveOptions) { o.ackWait = d } }

// WithMaxDeliver sets how many times a chunk is given to workers before the
// server gives up on it and its call fails with ErrWorkerDied (default 5).
func WithMaxDeliver(n int) ServeOption { return func(o *serveOptions) { o.maxDeliver = n } }

// WithName names this worker in the errors it sends (default: host:pid).
func WithName(name string) ServeOption { return func(o *serveOptions) { o.name = name } }

// Serve makes this program a cluster worker: it serves every portable task
// linked into it, from any caller of the cluster, until ctx is done. It
// then takes no more chunks, lets the chunks it runs finish, runs the exit
// function of each of its worker slots, and returns nil.
//
// Workers may join and leave at any time. A chunk a worker took and did not
// finish (it died, or was stopped with SIGKILL) goes to another worker after
// the AckWait: a task may therefore run more than once. A caller built from
// other code than this worker (its task's types differ) is refused with an
// error that names both.
func Serve(ctx context.Context, js jetstream.JetStream, opts ...ServeOption) error {
	o := serveOptions{jobs: runtime.GOMAXPROCS(0), ackWait: 30 * time.Second, maxDeliver: 5}
	for _, opt := range opts {
		opt(&o)
	}
	if o.name == "" {
		host, _ := os.Hostname()
		o.name = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if o.jobs < 1 || o.ackWait <= 0 || o.maxDeliver < 1 {
		return fmt.Errorf("mpire: cluster.Serve: jobs %d, ack wait %v and max deliver %d must be positive", o.jobs, o.ackWait, o.maxDeliver)
	}
	tasks := engine.PortableTasks()
	if len(tasks) == 0 {
		return errors.New("mpire: cluster.Serve: no portable task is linked into this program: mark one portable in its //mpire:task directive and import its package")
	}
	stream, obs, err := setUp(ctx, js)
	if err != nil {
		return err
	}
	w := &worker{o: o, nc: js.Conn(), obs: obs, running: map[string]context.CancelFunc{}, alive: map[string]time.Time{}, shared: map[string][]byte{}}
	cancels, err := w.nc.Subscribe(cancelPrefix+"*", w.cancel)
	if err != nil {
		return fmt.Errorf("mpire: cluster.Serve: %w", err)
	}
	defer cancels.Unsubscribe()

	var serving sync.WaitGroup
	defer serving.Wait()
	for name, task := range tasks {
		cons, err := consumer(ctx, stream, jetstream.ConsumerConfig{
			Durable:       consumerStart + taskID(name),
			Description:   "mpire: the workers of " + name,
			FilterSubject: workPrefix + taskID(name) + ".>",
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       o.ackWait,
			MaxDeliver:    o.maxDeliver,
		})
		if err != nil {
			return fmt.Errorf("mpire: cluster.Serve: the consumer of %s: %w", name, err)
		}
		for i := range o.jobs {
			s := &slot{w: w, task: task, name: name, id: i}
			serving.Add(1)
			go s.serve(ctx, cons, &serving)
		}
	}
	<-ctx.Done()
	return nil
}

// worker is what the slots of one Serve share.
type worker struct {
	o   serveOptions
	nc  *nats.Conn
	obs jetstream.ObjectStore

	mu      sync.Mutex
	running map[string]context.CancelFunc // the chunks running, by endpoint and seq
	alive   map[string]time.Time          // callers known to wait, by ping subject, until when
	shared  map[string][]byte             // shared objects fetched, by hash
}

// cancel cancels the chunk a caller gave up on.
func (w *worker) cancel(m *nats.Msg) {
	key := strings.TrimPrefix(m.Subject, cancelPrefix) + "/" + string(m.Data)
	w.mu.Lock()
	defer w.mu.Unlock()
	if cancel := w.running[key]; cancel != nil {
		cancel()
	}
}

// callerWaits reports whether the caller of a chunk still waits for its
// reply: a caller that went away leaves no one on its inbox, and its chunks
// are dropped rather than run. An answer is trusted for a second.
func (w *worker) callerWaits(ping string) bool {
	w.mu.Lock()
	until, ok := w.alive[ping]
	w.mu.Unlock()
	if ok && time.Now().Before(until) {
		return true
	}
	_, err := w.nc.Request(ping, nil, 2*time.Second)
	if errors.Is(err, nats.ErrNoResponders) {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, t := range w.alive {
		if time.Now().After(t) {
			delete(w.alive, k)
		}
	}
	w.alive[ping] = time.Now().Add(time.Second)
	return true
}

// fetchShared returns a shared object by hash: from the object store the
// first time, then from this worker's memory.
func (w *worker) fetchShared(ctx context.Context, hash string) ([]byte, error) {
	w.mu.Lock()
	b, ok := w.shared[hash]
	w.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := w.obs.GetBytes(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("mpire: cluster worker: fetching the shared object %s: %w", hash, err)
	}
	w.mu.Lock()
	w.shared[hash] = b
	w.mu.Unlock()
	return b, nil
}

// slot is one worker slot of one task: a worker with its own state, whose
// init runs before its first chunk and again for another shared object.
type slot struct {
	w    *worker
	task engine.PortableTask
	name string
	id   int

	h      engine.PortableWorker // nil until init succeeded
	shared string                // the hash of the shared object h was made with
}

// serve runs chunks until ctx is done, then runs the slot's exit. A task
// that ends the goroutine with runtime.Goexit fails its chunk, as a worker
// that died, and the slot goes on with a fresh worker.
//
// A free slot asks for one chunk at a time: a worker holds no more chunks
// than it runs, so a worker that joins gets its share at once, and one that
// dies holds few.
func (s *slot) serve(ctx context.Context, cons jetstream.Consumer, serving *sync.WaitGroup) {
	var m jetstream.Msg
	returned := false
	defer func() {
		if returned {
			serving.Done()
			return
		}
		results, n, err := s.h.Died()
		s.h = nil // the next chunk gets a fresh worker, with its init
		e := describe(err, proc.PhaseRun)
		e.Msg = fmt.Sprintf("on cluster worker %s, %s", s.w.o.name, strings.TrimPrefix(e.Msg, engine.ErrWorkerDied.Error()+": "))
		s.reply(m, reply{fate: ranDied, n: n, results: results, err: e})
		m.Term()
		go s.serve(ctx, cons, serving)
	}()
	for ctx.Err() == nil {
		var err error
		m, err = cons.Next(jetstream.FetchContext(ctx))
		if err != nil {
			if !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
				// The connection is down or the server busy: try again soon.
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
				}
			}
			continue
		}
		s.handle(m)
		m = nil
	}
	if s.h != nil {
		s.h.Exit(context.Background(), s.id)
	}
	returned = true
}

// handle checks a chunk, runs it and replies, then acknowledges it.
func (s *slot) handle(m jetstream.Msg) {
	hdr := m.Headers()
	if schema := hdr.Get(hSchema); schema != s.task.Schema() {
		s.reply(m, reply{fate: ranRefused, err: &proc.Error{Phase: proc.PhaseRun, Index: -1, Msg: fmt.Sprintf("cluster worker %s refused the task %s: it was built from other code (task schema %s, the caller's %s): rebuild and restart one or the other", s.w.o.name, s.name, s.task.Schema(), schema)}})
		m.TermWithReason("mpire: built from other code")
		return
	}
	if d, err := strconv.ParseInt(hdr.Get(hDeadline), 10, 64); err == nil && time.Now().UnixNano() > d {
		m.TermWithReason("mpire: past the call's deadline")
		return
	}
	if !s.w.callerWaits(strings.TrimSuffix(hdr.Get(hReply), ".r") + ".ping") {
		m.TermWithReason("mpire: the caller went away")
		return
	}
	if s.h == nil || s.shared != hdr.Get(hShared) {
		if err := s.init(hdr.Get(hShared)); err != nil {
			s.reply(m, reply{err: describe(err, proc.PhaseInit)})
			m.Ack()
			return
		}
	}

	key := strings.TrimPrefix(m.Subject(), workPrefix)
	key = key[strings.IndexByte(key, '.')+1:] + "/" + hdr.Get(hSeq)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.w.mu.Lock()
	s.w.running[key] = cancel
	s.w.mu.Unlock()
	defer func() {
		s.w.mu.Lock()
		delete(s.w.running, key)
		s.w.mu.Unlock()
	}()
	// A long chunk keeps its ack alive, so that it is not given to
	// another worker while it runs.
	alive := time.NewTicker(s.w.o.ackWait / 3)
	defer alive.Stop()
	go func() {
		for {
			select {
			case <-alive.C:
				m.InProgress()
			case <-ctx.Done():
				return
			}
		}
	}()

	start := time.Now()
	results, n, err := s.h.Run(ctx, s.id, m.Data())
	rep := reply{n: n, took: time.Since(start), results: results}
	if err != nil {
		rep.err = describe(err, proc.PhaseRun)
	}
	s.reply(m, rep)
	cancel()
	m.Ack()
}

// init makes the slot a fresh worker with the shared object of that hash,
// after the exit of the one it replaces.
func (s *slot) init(hash string) error {
	if s.h != nil {
		s.h.Exit(context.Background(), s.id)
		s.h = nil
	}
	var shared []byte
	if hash != "" {
		var err error
		if shared, err = s.w.fetchShared(context.Background(), hash); err != nil {
			return err
		}
	}
	h := s.task.NewWorker()
	if err := h.Init(context.Background(), s.id, shared); err != nil {
		return err
	}
	s.h, s.shared = h, hash
	return nil
}

// describe turns a worker's failure into what crosses to the caller.
func describe(err error, phase proc.Phase) *proc.Error {
	var pe *proc.Error
	if errors.As(err, &pe) {
		e := *pe
		e.Phase = phase
		return &e
	}
	return &proc.Error{Phase: phase, Index: -1, Msg: err.Error(), Timeout: errors.Is(err, context.DeadlineExceeded), Canceled: errors.Is(err, context.Canceled)}
}

// reply sends a reply to the caller of m, in parts when it is larger than a
// message may be.
func (s *slot) reply(m jetstream.Msg, r reply) {
	hdr := m.Headers()
	to := hdr.Get(hReply)
	if to == "" {
		return
	}
	body := appendReply(nil, r)
	attempt := s.w.o.name + "/" + strconv.Itoa(s.id)
	if md, err := m.Metadata(); err == nil {
		attempt += "/" + strconv.FormatUint(md.NumDelivered, 10)
	}
	size := maxPayload(s.w.nc)
	k := max((len(body)+size-1)/size, 1)
	for i := range k {
		part := body[i*size : min((i+1)*size, len(body))]
		out := nats.NewMsg(to)
		out.Data = part
		out.Header.Set(hSeq, hdr.Get(hSeq))
		out.Header.Set(hAttempt, attempt)
		if k > 1 {
			out.Header.Set(hPart, fmt.Sprintf("%d/%d", i, k))
		}
		// A reply that does not arrive is no worse than a worker that
		// died: the caller's call fails when the chunk is given up on.
		s.w.nc.PublishMsg(out)
	}
}
