package cluster

import (
	"context"
	"crypto/subtle"
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

	"github.com/mpire-go/mpire/runtime/internal/remote"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

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
//
// A worker answers only on its deployment's reply subjects (WithPrefix),
// at the inbox of the caller whose chunk it runs, which it reads from the
// chunk's subject; it checks a shared object against its hash before it
// uses it; and a cancel stops a chunk only when it carries the chunk's
// token, which only those who saw the chunk know.
func Serve(ctx context.Context, js jetstream.JetStream, opts ...ServeOption) error {
	o := serveOptions{jobs: runtime.GOMAXPROCS(0), ackWait: 30 * time.Second, maxDeliver: 5, sharedBytes: defaultSharedCache}
	for _, opt := range opts {
		opt.serve(&o)
	}
	if err := checkPrefix(o.prefix); err != nil {
		return err
	}
	if o.bad != nil {
		return o.bad
	}
	if o.name == "" {
		host, _ := os.Hostname()
		o.name = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if o.jobs < 1 || o.ackWait <= 0 || o.maxDeliver < 1 || o.sharedBytes < 0 {
		return fmt.Errorf("mpire: cluster.Serve: jobs %d, ack wait %v, max deliver %d and the shared cache %d must be positive", o.jobs, o.ackWait, o.maxDeliver, o.sharedBytes)
	}
	tasks := remote.PortableTasks()
	if len(tasks) == 0 {
		return errors.New("mpire: cluster.Serve: no portable task is linked into this program: mark one portable in its //mpire:task directive and import its package")
	}
	n := namesFor(o.prefix)
	stream, obs, err := setUp(ctx, js, n)
	if err != nil {
		return err
	}
	w := &worker{o: o, names: n, nc: js.Conn(), obs: obs, running: map[string]running{}, alive: map[string]time.Time{}, shared: newSharedCache(o.sharedBytes)}
	cancels, err := w.nc.Subscribe(n.cancel+"*", w.cancel)
	if err != nil {
		return fmt.Errorf("mpire: cluster.Serve: %w", err)
	}
	defer cancels.Unsubscribe()

	var serving sync.WaitGroup
	defer serving.Wait()
	for name, task := range tasks {
		cons, err := consumer(ctx, stream, jetstream.ConsumerConfig{
			Durable:       n.consumer + taskID(name),
			Description:   "mpire: the workers of " + name,
			FilterSubject: n.work + taskID(name) + ".>",
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
	o      serveOptions
	names  names
	nc     *nats.Conn
	obs    jetstream.ObjectStore
	shared *sharedCache // shared objects fetched, by hash

	mu      sync.Mutex
	running map[string]running   // the chunks running, by endpoint and seq
	alive   map[string]time.Time // callers known to wait, by ping subject, until when
}

// running is a chunk that runs: its token, which a cancel must carry.
type running struct {
	token  string
	cancel context.CancelFunc
}

// cancel cancels the chunk a caller gave up on, if the cancel carries the
// chunk's token: only the caller that sent it (and the workers it went to)
// know it.
func (w *worker) cancel(m *nats.Msg) {
	seq, token, _ := strings.Cut(string(m.Data), " ")
	key := strings.TrimPrefix(m.Subject, w.names.cancel) + "/" + seq
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.running[key]; ok && subtle.ConstantTimeCompare([]byte(r.token), []byte(token)) == 1 {
		r.cancel()
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

// slot is one worker slot of one task: a worker with its own state, whose
// init runs before its first chunk and again for another shared object. It
// serves its chunks with a remote.Server, as a worker process does.
type slot struct {
	w    *worker
	task remote.PortableTask
	name string
	id   int

	srv    *remote.Server // nil until init succeeded
	shared string         // the hash of the shared object srv was made with
}

// serve runs chunks until ctx is done, then runs the slot's exit.
//
// A free slot asks for one chunk at a time: a worker holds no more chunks
// than it runs, so a worker that joins gets its share at once, and one that
// dies holds few.
func (s *slot) serve(ctx context.Context, cons jetstream.Consumer, serving *sync.WaitGroup) {
	defer serving.Done()
	for ctx.Err() == nil {
		m, err := cons.Next(jetstream.FetchContext(ctx))
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
	}
	s.end()
}

// end runs the exit of the slot's worker, if its init ran.
func (s *slot) end() {
	if s.srv != nil {
		s.srv.Handle(context.Background(), wire.PhaseExit, nil)
		s.srv.Close()
		s.srv = nil
	}
}

// handle checks a chunk, runs it and replies, then acknowledges it.
//
// The reply goes to the inbox of the endpoint named by the chunk's subject,
// on the deployment's reply subjects, never to a subject a header names: a
// worker is nobody's relay. A chunk whose subject names no endpoint is
// dropped unanswered.
func (s *slot) handle(m jetstream.Msg) {
	hdr := m.Headers()
	_, ep, _ := strings.Cut(strings.TrimPrefix(m.Subject(), s.w.names.work), ".")
	if !endpointID.MatchString(ep) {
		m.TermWithReason("mpire: no caller's endpoint in the subject")
		return
	}
	inbox := s.w.names.reply + ep
	if schema := hdr.Get(hSchema); schema != s.task.Schema() {
		msg := fmt.Sprintf("cluster worker %s refused the task %s: it was built from other code (task schema %s, the caller's %s): rebuild and restart one or the other", s.w.o.name, s.name, s.task.Schema(), schema)
		s.reply(m, inbox, wire.AppendReply(nil, &wire.Reply{Err: &wire.Error{Phase: wire.PhaseRun, Kind: wire.Refused, Index: -1, Msg: msg}}))
		m.TermWithReason("mpire: built from other code")
		return
	}
	if d, err := strconv.ParseInt(hdr.Get(hDeadline), 10, 64); err == nil && time.Now().UnixNano() > d {
		m.TermWithReason("mpire: past the call's deadline")
		return
	}
	if !s.w.callerWaits(inbox + ".ping") {
		m.TermWithReason("mpire: the caller went away")
		return
	}
	if s.srv == nil || s.shared != hdr.Get(hShared) {
		if failed := s.init(hdr.Get(hShared)); failed != nil {
			s.reply(m, inbox, failed)
			m.Ack()
			return
		}
	}

	key := ep + "/" + hdr.Get(hSeq)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.w.mu.Lock()
	s.w.running[key] = running{token: hdr.Get(hToken), cancel: cancel}
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

	s.reply(m, inbox, s.srv.HandleTraced(ctx, wire.PhaseRun, m.Data(), traceOf(hdr)))
	cancel()
	m.Ack()
	// A task abandoned at its time limit still runs: it keeps this slot,
	// which takes no other chunk until it returns, so that WithJobs bounds
	// what runs. The chunk is answered: acknowledged first, it is not
	// given to another worker however long the task runs on.
	s.srv.WaitAbandoned()
}

// init makes the slot a fresh worker with the shared object of that hash,
// after the exit of the one it replaces. It returns nil, or the reply that
// says why the init failed.
func (s *slot) init(hash string) (failed []byte) {
	s.end()
	var shared []byte
	if hash != "" {
		var err error
		shared, err = s.w.shared.get(hash, func() ([]byte, error) { return fetchVerified(context.Background(), s.w.obs, hash) })
		if err != nil {
			return initFailed(err)
		}
	}
	srv, err := s.task.NewServer(s.id, shared, s.w.o.observer)
	if err != nil {
		return initFailed(err)
	}
	b := srv.Handle(context.Background(), wire.PhaseInit, nil)
	if rep, err := wire.ParseReply(b, wire.PhaseInit, 0); err != nil || rep.Err != nil {
		srv.Close()
		return b
	}
	s.srv, s.shared = srv, hash
	return nil
}

// initFailed is the reply to a chunk whose worker could not be made.
func initFailed(err error) []byte {
	return wire.AppendReply(nil, &wire.Reply{Err: &wire.Error{Phase: wire.PhaseInit, Index: -1, Msg: err.Error()}})
}

// maxReplyParts is the most parts a reply goes in: what a caller takes.
// Tests lower it.
var maxReplyParts = wire.MaxParts

// reply sends a reply to the caller of m at its inbox, with the proof of
// the request's token, in parts when it is larger than a message may be. A
// reply of more parts than a caller takes (maxReplyParts) is replaced by
// the error that says so.
func (s *slot) reply(m jetstream.Msg, inbox string, body []byte) {
	hdr := m.Headers()
	to := inbox + ".r"
	attempt := s.w.o.name + "/" + strconv.Itoa(s.id)
	if md, err := m.Metadata(); err == nil {
		attempt += "/" + strconv.FormatUint(md.NumDelivered, 10)
	}
	size := maxPayload(s.w.nc)
	k := max((len(body)+size-1)/size, 1)
	if k > maxReplyParts {
		msg := fmt.Sprintf("cluster worker %s: the reply to a chunk of %s takes %d bytes, more than the %d messages of %d bytes a reply may take: make the chunks smaller", s.w.o.name, s.name, len(body), maxReplyParts, size)
		body, k = wire.AppendReply(nil, &wire.Reply{Err: &wire.Error{Phase: wire.PhaseRun, Index: -1, Msg: msg}}), 1
	}
	for i := range k {
		part := body[i*size : min((i+1)*size, len(body))]
		out := nats.NewMsg(to)
		out.Data = part
		out.Header.Set(hSeq, hdr.Get(hSeq))
		out.Header.Set(hProof, proof(hdr.Get(hToken)))
		out.Header.Set(hAttempt, attempt)
		if k > 1 {
			out.Header.Set(hPart, wire.FormatPart(i, k))
		}
		// A reply that does not arrive is no worse than a worker that
		// died: the caller's call fails when the chunk is given up on.
		s.w.nc.PublishMsg(out)
	}
}
