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
// linked into it, from any caller of its deployment (the one Deploy made
// with the same WithPrefix), until ctx is done. It then takes no more
// chunks, lets the chunks it runs finish, runs the exit function of each of
// its worker slots, and returns nil. Without its deployment, it returns an
// error that wraps ErrNotDeployed.
//
// Workers may join and leave at any time. A chunk a worker took and did not
// finish (it died, or was stopped with SIGKILL) goes to another worker after
// the AckWait: a task may therefore run more than once. A caller built from
// other code than this worker (its task's types differ) is refused with an
// error that names both.
//
// A worker stores its reply in the stream of replies before it acknowledges
// the chunk, so that neither is lost with a server or a connection; it
// answers only on its deployment's reply subjects, to the caller whose
// chunk it runs, which it reads from the chunk's subject; it checks a shared
// object against its hash before it uses it; and a cancel stops a chunk only
// when it carries the chunk's token, which only those who saw the chunk
// know.
func Serve(ctx context.Context, js jetstream.JetStream, opts ...ServeOption) error {
	o := serveOptions{jobs: runtime.GOMAXPROCS(0), ackWait: 30 * time.Second, sharedBytes: defaultSharedCache}
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
	if o.jobs < 1 || o.sharedBytes < 0 {
		return fmt.Errorf("mpire: cluster.Serve: jobs %d and the shared cache %d must be positive", o.jobs, o.sharedBytes)
	}
	if o.ackWait < minAckWait {
		return fmt.Errorf("mpire: cluster.WithAckWait(%v): the ack wait is %v at least: a worker tells the server three times per ack wait that it still runs a chunk", o.ackWait, minAckWait)
	}
	tasks := remote.PortableTasks()
	if len(tasks) == 0 {
		return errors.New("mpire: cluster.Serve: no portable task is linked into this program: mark one portable in its //mpire:task directive and import its package")
	}
	n := namesFor(o.prefix)
	d, err := lookUp(ctx, js, n)
	if err != nil {
		return err
	}
	w := &worker{o: o, names: n, js: js, work: d.work, replies: d.replies, obs: d.obs,
		running: map[string]running{}, cancelled: map[string]bool{}, listening: map[string]time.Time{}, shared: newSharedCache(o.sharedBytes)}
	cancels, err := js.Conn().Subscribe(n.cancel+">", w.cancel)
	if err != nil {
		return fmt.Errorf("mpire: cluster.Serve: %w", err)
	}
	defer cancels.Unsubscribe()

	var serving sync.WaitGroup
	defer serving.Wait()
	for name, task := range tasks {
		cons, err := consumer(ctx, d.work, jetstream.ConsumerConfig{
			Durable:       n.taskConsumer(d.key, name),
			Description:   "mpire: the workers of " + name,
			FilterSubject: n.work + taskID(name) + ".>",
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       o.ackWait,
			MaxDeliver:    -1, // each chunk says how many times it may be delivered
			MaxWaiting:    maxWaiting,
		})
		if err != nil {
			return fmt.Errorf("mpire: cluster.Serve: the consumer of %s: %w", name, err)
		}
		for i := range o.jobs {
			s := &slot{w: w, task: task, name: name, id: i, ackWait: cons.CachedInfo().Config.AckWait}
			serving.Add(1)
			go s.serve(ctx, cons, &serving)
		}
	}
	<-ctx.Done()
	return nil
}

// maxWaiting is the most slots of one task, all workers together, that wait
// for a chunk at once (the consumer's default is 512).
const maxWaiting = 1 << 20

// worker is what the slots of one Serve share.
type worker struct {
	o       serveOptions
	names   names
	js      jetstream.JetStream
	work    jetstream.Stream
	replies jetstream.Stream
	obs     jetstream.ObjectStore
	shared  *sharedCache // shared objects fetched, by hash

	mu        sync.Mutex
	running   map[string]running   // the chunks running, by client, endpoint and seq
	cancelled map[string]bool      // cancels of chunks not running here (yet), by the same key and their token
	order     []string             // the keys of cancelled, oldest first
	listening map[string]time.Time // clients known to listen for their replies, until when
}

// running is a chunk that runs: its token, which a cancel must carry.
type running struct {
	token  string
	cancel context.CancelFunc
}

// maxCancelled bounds the cancels a worker keeps of chunks it does not run:
// a cancel of a chunk that a slot takes later comes a moment before, at
// most as many as the callers' endpoints that cancel at once.
const maxCancelled = 4096

// cancel cancels the chunk a caller gave up on, if the cancel carries the
// chunk's token: only the caller that sent it (and the workers it went to)
// know it. A cancel of a chunk that does not run here is kept, in case a
// slot takes the chunk before its caller deleted it.
func (w *worker) cancel(m *nats.Msg) {
	seq, token, _ := strings.Cut(string(m.Data), " ")
	key := strings.TrimPrefix(m.Subject, w.names.cancel) + "/" + seq
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.running[key]; ok {
		if subtle.ConstantTimeCompare([]byte(r.token), []byte(token)) == 1 {
			r.cancel()
		}
		return
	}
	// Kept with its token, so that a forged cancel of the chunk does not
	// replace its caller's.
	if key += " " + token; !w.cancelled[key] {
		if len(w.order) == maxCancelled {
			delete(w.cancelled, w.order[0])
			w.order = w.order[1:]
		}
		w.order = append(w.order, key)
		w.cancelled[key] = true
	}
}

// start records that the chunk of key runs, with cancel for its cancels;
// false if it was cancelled already.
func (w *worker) start(key, token string, cancel context.CancelFunc) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancelled[key+" "+token] {
		return false
	}
	w.running[key] = running{token: token, cancel: cancel}
	return true
}

func (w *worker) stop(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.running, key)
}

// listens reports whether a client still listens for its replies: its
// consumer of the stream of replies exists. A client that went away (its
// program killed, its machine lost, or out of reach longer than its
// consumer lasts) has none, and its chunks are dropped rather than run.
// The server answers, not the client: a client reconnecting, or whose
// interest has not reached this server yet, still listens. An answer that
// it listens is trusted for a second; err is why the question found no
// answer.
func (w *worker) listens(ctx context.Context, client string) (bool, error) {
	w.mu.Lock()
	until, ok := w.listening[client]
	w.mu.Unlock()
	if ok && time.Now().Before(until) {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, tryTimeout)
	defer cancel()
	_, err := w.replies.Consumer(ctx, w.names.replyConsumer(client))
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, t := range w.listening {
		if time.Now().After(t) {
			delete(w.listening, k)
		}
	}
	w.listening[client] = time.Now().Add(time.Second)
	return true, nil
}

// slot is one worker slot of one task: a worker with its own state, whose
// init runs before its first chunk and again for another shared object. It
// serves its chunks with a remote.Server, as a worker process does.
type slot struct {
	w       *worker
	task    remote.PortableTask
	name    string
	id      int
	ackWait time.Duration // the consumer's, which it follows

	srv    *remote.Server // nil until init succeeded
	shared string         // the name of the shared object srv was made with
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
		s.handle(ctx, m)
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

// handle checks a chunk, runs it, stores its reply and acknowledges it.
// Nothing is dropped silently: a chunk this worker will not run is answered
// (refused, delivered too many times), left for another delivery (its
// caller out of reach of the server's answers), or was given up on by its
// caller (cancelled, or its caller gone). ctx ends when the worker stops
// serving.
//
// The reply goes to the caller's endpoint named by the chunk's subject, on
// the deployment's reply subjects, never to a subject a header names: a
// worker is nobody's relay. A chunk whose subject names no endpoint is
// dropped unanswered.
func (s *slot) handle(ctx context.Context, m jetstream.Msg) {
	hdr := m.Headers()
	_, caller, _ := strings.Cut(strings.TrimPrefix(m.Subject(), s.w.names.work), ".")
	ids := callerID.FindStringSubmatch(caller)
	md, err := m.Metadata()
	if ids == nil || err != nil {
		m.TermWithReason("mpire: no caller's endpoint in the subject")
		return
	}
	client, to := ids[1], s.w.names.reply+caller
	attempt := s.w.o.name + "/" + strconv.Itoa(s.id) + "/" + strconv.FormatUint(md.NumDelivered, 10)
	// A reply is stored even when the worker stops meanwhile, within a
	// bound: one not stored goes to another delivery.
	answer := func(body []byte) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
		defer cancel()
		return s.answer(ctx, hdr, to, attempt, body)
	}
	if schema := hdr.Get(hSchema); schema != s.task.Schema() {
		msg := fmt.Sprintf("cluster worker %s refused the task %s: it was built from other code (task schema %s, the caller's %s): rebuild and restart one or the other", s.w.o.name, s.name, s.task.Schema(), schema)
		s.finish(m, answer(failure(wire.Refused, msg)), true)
		return
	}
	most, err := strconv.ParseUint(hdr.Get(hMaxDeliver), 10, 64)
	if err != nil {
		most = 5
	}
	if md.NumDelivered > most {
		msg := fmt.Sprintf("the chunk was delivered %d times to cluster workers, and none acknowledged it: each died or stalled under it", md.NumDelivered-1)
		s.finish(m, answer(failure(wire.Died, msg)), true)
		return
	}

	key := caller + "/" + hdr.Get(hSeq)
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if !s.w.start(key, hdr.Get(hToken), cancel) {
		m.Ack() // cancelled by its caller, which deleted it, or will
		return
	}
	defer s.w.stop(key)
	switch listens, err := s.w.listens(ctx, client); {
	case err != nil:
		m.NakWithDelay(time.Second) // no answer: left for another delivery
		return
	case !listens:
		m.TermWithReason("mpire: the caller went away")
		return
	}
	if s.srv == nil || s.shared != hdr.Get(hShared) {
		if failed := s.init(ctx, hdr.Get(hShared)); failed != nil {
			s.finish(m, answer(failed), false)
			return
		}
	}
	if d, err := time.ParseDuration(hdr.Get(hTimeout)); err == nil {
		var stop context.CancelFunc
		cctx, stop = context.WithTimeout(cctx, d)
		defer stop()
	}
	stopWatching := s.watch(cctx, cancel, m, client, md)
	rep := s.srv.HandleTraced(cctx, wire.PhaseRun, m.Data(), traceOf(hdr))
	if gone := stopWatching(); gone != "" {
		// Its caller may wait (the chunk outlived MaxAge, or an operator
		// deleted it), and should hear why, not the cancellation.
		rep = failure(wire.Failed, gone)
	}
	s.finish(m, answer(rep), false)
	// A task abandoned at its time limit still runs: it keeps this slot,
	// which takes no other chunk until it returns, so that WithJobs bounds
	// what runs. The chunk is answered: acknowledged, it is not given to
	// another worker however long the task runs on.
	s.srv.WaitAbandoned()
}

// watch keeps the chunk m's ack alive until stop is called, so that it is
// not given to another worker while it runs and its reply is stored; and
// checks that it is still wanted, or cancels its task with cancel: a cancel
// can be lost with a connection. stop returns why, when the chunk left the
// queue while it ran.
func (s *slot) watch(ctx context.Context, cancel context.CancelFunc, m jetstream.Msg, client string, md *jetstream.MsgMetadata) (stop func() (gone string)) {
	done, stopped := make(chan struct{}), make(chan struct{})
	var gone string
	go func() {
		defer close(stopped)
		// (An ack wait an operator set below what WithAckWait takes
		// still ticks.)
		alive := time.NewTicker(max(s.ackWait/3, time.Millisecond))
		defer alive.Stop()
		for {
			select {
			case <-alive.C:
				m.InProgress()
				if ctx.Err() != nil {
					continue
				}
				if ok, why := s.wanted(ctx, client, md); !ok {
					gone = why
					cancel()
				}
			case <-done:
				return
			}
		}
	}()
	return func() string {
		close(done)
		<-stopped
		return gone
	}
}

// wanted reports whether the chunk of metadata md is still in the queue,
// and its client listening: false only when the server says no. gone says
// why a chunk is no longer in the queue.
func (s *slot) wanted(ctx context.Context, client string, md *jetstream.MsgMetadata) (ok bool, gone string) {
	tctx, cancel := context.WithTimeout(ctx, tryTimeout)
	defer cancel()
	if _, err := s.w.work.GetMsg(tctx, md.Sequence.Stream); errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, s.gone(ctx, md.Timestamp)
	}
	listens, err := s.w.listens(ctx, client)
	return listens || err != nil, ""
}

// gone says why the chunk stored at stored (by the server's clock) left
// the queue while it ran: its caller gave up on it, or an operator deleted
// it; or, when the server's clock says it outlived the stream's MaxAge,
// the server removed it by its age.
func (s *slot) gone(ctx context.Context, stored time.Time) string {
	ctx, cancel := context.WithTimeout(ctx, tryTimeout)
	defer cancel()
	why := "was deleted from the work queue while it ran (by its caller, which gave up on it, or by an operator)"
	if info, err := s.w.work.Info(ctx); err == nil && info.Config.MaxAge > 0 && info.TimeStamp.Sub(stored) >= info.Config.MaxAge {
		why = fmt.Sprintf("outlived the stream's MaxAge (%v, cluster.Limits.MaxAge), which bounds a chunk's whole life, waiting and running: the server removed it while it ran", info.Config.MaxAge)
	}
	return fmt.Sprintf("cluster worker %s: the chunk of %s %s, and its task was cancelled", s.w.o.name, s.name, why)
}

// finish acknowledges a chunk whose reply was stored, term when no other
// delivery may run it. One whose reply could not be stored goes to another
// delivery.
func (s *slot) finish(m jetstream.Msg, sent error, term bool) {
	switch {
	case sent != nil:
		m.Nak()
	case term:
		m.Term()
	default:
		// Its reply is stored: if the acknowledgement is lost, a
		// redelivery only runs it again.
		m.Ack()
	}
}

// failure is a reply that says why a chunk does not run.
func failure(kind wire.Kind, msg string) []byte {
	return wire.AppendReply(nil, &wire.Reply{Err: &wire.Error{Phase: wire.PhaseRun, Kind: kind, Index: -1, Msg: msg}})
}

// init makes the slot a fresh worker with the shared object of that name,
// after the exit of the one it replaces. It returns nil, or the reply that
// says why the init failed.
func (s *slot) init(ctx context.Context, name string) (failed []byte) {
	s.end()
	// The chunk is run even when the worker stops meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	var shared []byte
	if name != "" {
		var err error
		shared, err = s.w.shared.get(hashOf(name), func() (b []byte, err error) {
			err = retry(ctx, func(ctx context.Context) (err error) {
				b, err = fetchVerified(ctx, s.w.obs, name)
				return err
			})
			return b, err
		})
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
	s.srv, s.shared = srv, name
	return nil
}

// initFailed is the reply to a chunk whose worker could not be made.
func initFailed(err error) []byte {
	return wire.AppendReply(nil, &wire.Reply{Err: &wire.Error{Phase: wire.PhaseInit, Index: -1, Msg: err.Error()}})
}

// replyTimeout bounds how long a worker tries to store a reply, or to
// fetch a shared object, the server out of reach.
const replyTimeout = time.Minute

// maxReplyParts is the most parts a reply goes in: what a caller takes.
// Tests lower it.
var maxReplyParts = wire.MaxParts

// answer stores a reply to the chunk with headers hdr in the stream of
// replies, on subject to, with the proof of the request's token, in parts
// when it is larger than a message may be, until the server acknowledged
// every part or ctx ends. A part is published again when its
// acknowledgement does not come, and may then be stored twice: its caller
// drops what answers a request twice, so the server keeps no message id of
// replies (which it would for minutes). A reply of more parts than a caller
// takes (maxReplyParts) is replaced by the error that says so.
func (s *slot) answer(ctx context.Context, hdr nats.Header, to, attempt string, body []byte) error {
	size := maxPayload(s.w.js.Conn())
	k := max((len(body)+size-1)/size, 1)
	if k > maxReplyParts {
		msg := fmt.Sprintf("cluster worker %s: the reply to a chunk of %s takes %d bytes, more than the %d messages of %d bytes a reply may take: make the chunks smaller", s.w.o.name, s.name, len(body), maxReplyParts, size)
		body, k = failure(wire.Failed, msg), 1
	}
	for i := range k {
		out := nats.NewMsg(to)
		out.Data = body[i*size : min((i+1)*size, len(body))]
		out.Header.Set(hSeq, hdr.Get(hSeq))
		out.Header.Set(hProof, proof(hdr.Get(hToken)))
		out.Header.Set(hAttempt, attempt)
		if k > 1 {
			out.Header.Set(hPart, wire.FormatPart(i, k))
		}
		if _, err := publish(ctx, s.w.js, out); err != nil {
			return err
		}
	}
	return nil
}
