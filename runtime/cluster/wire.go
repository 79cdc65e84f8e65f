package cluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// names are what a deployment of the cluster calls its things in
// JetStream: a work-queue stream of chunks for every task, a durable pull
// consumer per task that all its workers share, a stream of replies with a
// consumer per caller, an object store of shared objects keyed by the hash
// of their encoding, and the subjects of cancels. Every name starts with
// the deployment's prefix (WithPrefix), so that NATS permissions can
// separate deployments on one account.
//
// A caller is a client (one per On) with endpoints (one per worker slot of
// its pools); a chunk's subject names both, as "client.endpoint", and its
// reply goes to the reply subject of that pair, which only the client's
// consumer reads.
type names struct {
	prefix   string // the deployment's prefix (WithPrefix)
	stream   string // the work-queue stream of chunks
	work     string // + task id + "." + client + "." + endpoint: a chunk
	replies  string // the stream of replies
	reply    string // + client + "." + endpoint: a reply
	cancel   string // + client + "." + endpoint; the payload is the request's seq and token
	bucket   string // the object store of shared objects
	consumer string // + task id + "_" + the deployment's key: a task's durable consumer; + "reply_" + client: a client's
	inbox    string // + "caller" or "worker": the inbox prefix of a role's connections
}

// namesFor returns the names of the deployment with prefix p; "" is the
// default deployment.
func namesFor(p string) names {
	n := names{
		prefix:   p,
		stream:   "MPIRE_WORK",
		work:     "mpire.work.",
		replies:  "MPIRE_REPLIES",
		reply:    "mpire.reply.",
		cancel:   "mpire.cancel.",
		bucket:   "mpire_shared",
		consumer: "mpire_",
		inbox:    "mpire.inbox.",
	}
	if p != "" {
		n.stream = p + "_" + n.stream
		n.work = p + "." + n.work
		n.replies = p + "_" + n.replies
		n.reply = p + "." + n.reply
		n.cancel = p + "." + n.cancel
		n.bucket = p + "_" + n.bucket
		n.consumer = p + "_" + n.consumer
		n.inbox = p + "." + n.inbox
	}
	return n
}

// replyConsumer is the name of the consumer of a client's replies.
func (n names) replyConsumer(client string) string { return n.consumer + "reply_" + client }

// taskConsumer is the name of the consumer that the workers of a task
// share, in a deployment whose work stream holds key (see Deploy): the
// name is known only to those who may read the stream's settings.
func (n names) taskConsumer(key, task string) string { return n.consumer + taskID(task) + "_" + key }

// validPrefix is what a prefix may hold: it is part of stream, consumer and
// bucket names and a subject's first token.
var validPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

func checkPrefix(p string) error {
	if !validPrefix.MatchString(p) {
		return fmt.Errorf("mpire: cluster.WithPrefix(%q): a prefix takes only letters, digits, '-' and '_'", p)
	}
	if strings.HasPrefix(p, "_INBOX") {
		// Most NATS users may subscribe to _INBOX.>.
		return fmt.Errorf("mpire: cluster.WithPrefix(%q): a prefix may not start with _INBOX, whose subjects most NATS users may read", p)
	}
	return nil
}

// headroom is what a message's headers may take of the max payload.
const headroom = 4 << 10

// Message headers. A request carries what a worker needs to check before it
// runs it; a reply carries what the caller needs to match it to its request
// exactly once.
const (
	hSchema     = "Mpire-Schema"      // the task's schema fingerprint: both sides' codecs must agree
	hShared     = "Mpire-Shared"      // the name of the shared object in the object store (sharedName); empty: none
	hSeq        = "Mpire-Seq"         // the request's number at its endpoint
	hToken      = "Mpire-Token"       // a random token per request, which its cancel carries: only who saw the chunk knows it
	hTimeout    = "Mpire-Timeout"     // what remained of the call's time when the chunk was sent, a duration; absent: no limit
	hMaxDeliver = "Mpire-Max-Deliver" // how many deliveries of the chunk may run (WithMaxDeliver)
	hProof      = "Mpire-Proof"       // reply: proof(token), which shows that the replier saw the chunk
	hAttempt    = "Mpire-Attempt"     // reply: which delivery of the request this reply answers
	hPart       = "Mpire-Part"        // reply: the part's index and the number of parts, "i/k" (wire.FormatPart)
)

// proof is what a reply carries to show that it answers the request whose
// token is token: its hash, so that those who read replies (every caller of
// the deployment may) do not learn the token, which cancels the request.
func proof(token string) string {
	sum := sha256.Sum256([]byte("mpire reply " + token))
	return hex.EncodeToString(sum[:16])
}

// taskID names a task in subjects and consumer names, which take neither
// dots nor slashes.
func taskID(task string) string {
	sum := sha256.Sum256([]byte(task))
	return hex.EncodeToString(sum[:8])
}

// newID returns a random id of a client or an endpoint.
func newID() string {
	var id [12]byte
	rand.Read(id[:])
	return hex.EncodeToString(id[:])
}

// callerID matches what names a caller's endpoint in a chunk's subject, as
// a worker reads it: its client's id and its own, 12 random bytes each in
// hex, two tokens of the subject.
var callerID = regexp.MustCompile(`^([0-9a-f]{24})\.([0-9a-f]{24})$`)

// noAnswer says why the server's answer may not have come, when err says
// only that it did not: the permissions of a role allow only its inbox.
func (n names) noAnswer(js jetstream.JetStream, err error) string {
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) || strings.HasPrefix(js.Conn().Opts.InboxPrefix, n.inbox) {
		return ""
	}
	return fmt.Sprintf(" (a user with the permissions of a role must connect with its inbox: CallerInbox(%q) or WorkerInbox(%q))", n.prefix, n.prefix)
}

// consumer returns the durable consumer that the workers of a task share,
// made with cfg if it does not exist. One that exists is used as it is:
// its settings are the deployment's, not those of the worker that started
// last.
func consumer(ctx context.Context, stream jetstream.Stream, cfg jetstream.ConsumerConfig) (cons jetstream.Consumer, err error) {
	err = retry(ctx, func(ctx context.Context) (err error) {
		cons, err = stream.Consumer(ctx, cfg.Durable)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			cons, err = stream.CreateConsumer(ctx, cfg)
			if errors.Is(err, jetstream.ErrConsumerExists) { // made by another meanwhile
				cons, err = stream.Consumer(ctx, cfg.Durable)
			}
		}
		return err
	})
	return cons, err
}

// maxPayload is the largest body a message may have on nc.
func maxPayload(nc *nats.Conn) int {
	return max(int(nc.MaxPayload())-headroom, 1024)
}

// publish publishes m to a stream and returns the server's acknowledgement,
// sending it again while no acknowledgement comes (the stream's leader
// lost, the connection reconnecting, the stream full; see retry). A chunk
// carries a message id, so that the stream keeps one copy however many
// times it came; a reply does not, and may be stored twice (its caller
// drops what answers a request twice).
func publish(ctx context.Context, js jetstream.JetStream, m *nats.Msg) (*jetstream.PubAck, error) {
	var ack *jetstream.PubAck
	err := retry(ctx, func(ctx context.Context) (err error) {
		ack, err = js.PublishMsg(ctx, m)
		return err
	})
	return ack, err
}

// retry calls f until it returns nil or an error that trying again cannot
// mend, for a minute at most (longer than a cluster takes to elect a new
// leader, or a client to reconnect), or until ctx ends; with a bound on
// each try, and a pause between tries that doubles up to a second.
func retry(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, patience, errNoAnswer)
	defer cancel()
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		tctx, cancel := context.WithTimeout(ctx, tryTimeout)
		err := f(tctx)
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil {
			if err != nil && errors.Is(context.Cause(ctx), errNoAnswer) {
				err = fmt.Errorf("%w: %w", errNoAnswer, err)
			}
			return err
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
		}
	}
}

// errDuplicateInProcess is the error code of JetStream's answer to a
// message whose id a clustered stream is storing: "duplicate message id is
// in process" (409).
const errDuplicateInProcess jetstream.ErrorCode = 10158

// errNoPeers is the error code of a cluster's answer while too few of its
// servers are up to place a replicated stream: "no suitable peers for
// placement" (a cluster starting, or a server lost for a moment).
const errNoPeers jetstream.ErrorCode = 10005

// patience bounds the time retry tries.
const patience = time.Minute

// errNotYet is what a server answers that will change by itself: a bucket
// just made, not found yet on every server of a cluster.
var errNotYet = errors.New("mpire: cluster: not yet")

var errNoAnswer = fmt.Errorf("mpire: cluster: the server did not answer in %v", patience)

// tryTimeout bounds one try of a request to the server: a server that
// takes longer is lost, or losing its leadership.
const tryTimeout = 2 * time.Second

// transient reports whether err may go away by itself: errNotYet, no answer in time
// or no one to answer (a server lost, a leader being elected, a connection
// reconnecting), or an answer that the server is not able to now (503: the
// stream full, or JetStream unavailable for a moment; a message id that a
// clustered stream is storing, whose sequence it gives in a moment; or too
// few servers up to place a replicated stream).
func transient(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return api.Code == 503 || api.ErrorCode == errDuplicateInProcess || api.ErrorCode == errNoPeers
	}
	return errors.Is(err, errNotYet) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrConnectionReconnecting)
}
