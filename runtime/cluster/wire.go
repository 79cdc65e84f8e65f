package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// names are what a deployment of the cluster calls its things in
// JetStream: one work-queue stream for every task, a durable pull consumer
// per task that all its workers share, an object store of shared objects
// keyed by the hash of their encoding, and the subjects of cancels and
// replies. Every name starts with the deployment's prefix (WithPrefix), so
// that NATS permissions can separate deployments on one account.
type names struct {
	prefix   string // the deployment's prefix (WithPrefix)
	stream   string // the work-queue stream
	work     string // + task id + "." + endpoint id: the chunks
	cancel   string // + endpoint id; the payload is the request's seq and token
	reply    string // + endpoint id + ".r" or ".ping": a caller's inbox
	bucket   string // the object store of shared objects
	consumer string // + task id: a task's durable consumer
	inbox    string // + "caller" or "worker": the inbox prefix of a role's connections
}

// namesFor returns the names of the deployment with prefix p; "" is the
// default deployment.
func namesFor(p string) names {
	n := names{
		prefix:   p,
		stream:   "MPIRE_WORK",
		work:     "mpire.work.",
		cancel:   "mpire.cancel.",
		reply:    "mpire.reply.",
		bucket:   "mpire_shared",
		consumer: "mpire_",
		inbox:    "mpire.inbox.",
	}
	if p != "" {
		n.stream = p + "_" + n.stream
		n.work = p + "." + n.work
		n.cancel = p + "." + n.cancel
		n.reply = p + "." + n.reply
		n.bucket = p + "_" + n.bucket
		n.consumer = p + "_" + n.consumer
		n.inbox = p + "." + n.inbox
	}
	return n
}

// advisory is the subject on which the server says that it gave up on a
// chunk of the task with that id.
func (n names) advisory(task string) string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + n.stream + "." + n.consumer + task
}

// validPrefix is what a prefix may hold: it is part of stream, consumer and
// bucket names and a subject's first token.
var validPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

func checkPrefix(p string) error {
	if !validPrefix.MatchString(p) {
		return fmt.Errorf("mpire: cluster.WithPrefix(%q): a prefix takes only letters, digits, '-' and '_'", p)
	}
	return nil
}

// headroom is what a message's headers may take of the max payload.
const headroom = 4 << 10

// Message headers. A request carries what a worker needs to check before it
// runs it; a reply carries what the caller needs to match it to its request
// exactly once.
const (
	hSchema   = "Mpire-Schema"   // the task's schema fingerprint: both sides' codecs must agree
	hShared   = "Mpire-Shared"   // the hash of the shared object in the object store; empty: none
	hSeq      = "Mpire-Seq"      // the request's number at its endpoint
	hToken    = "Mpire-Token"    // a random token per request, which its cancel carries: only who saw the chunk knows it
	hDeadline = "Mpire-Deadline" // the call's deadline, Unix nanoseconds; absent: none
	hProof    = "Mpire-Proof"    // reply: proof(token), which shows that the replier saw the chunk
	hAttempt  = "Mpire-Attempt"  // reply: which delivery of the request this reply answers
	hPart     = "Mpire-Part"     // reply: the part's index and the number of parts, "i/k" (wire.FormatPart)
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

// endpointID matches the id of a caller's endpoint, as a worker reads it
// from a chunk's subject: 12 random bytes in hex.
var endpointID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// setUp makes sure the work stream and the shared objects' bucket exist.
// Callers and workers both do, with the same configuration. What exists is
// used as it is, so that an operator may tune it (replicas, storage), and
// so that many workers starting at once do not update it over and over.
func setUp(ctx context.Context, js jetstream.JetStream, n names) (jetstream.Stream, jetstream.ObjectStore, error) {
	stream, err := js.Stream(ctx, n.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        n.stream,
			Description: "mpire: chunks of tasks waiting for a worker",
			Subjects:    []string{n.work + ">"},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // made by another meanwhile
			stream, err = js.Stream(ctx, n.stream)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("mpire: cluster: the work stream %s: %w%s", n.stream, err, n.noAnswer(js, err))
	}
	obs, err := js.ObjectStore(ctx, n.bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      n.bucket,
			Description: "mpire: shared objects, by the hash of their encoding",
		})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			obs, err = js.ObjectStore(ctx, n.bucket)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("mpire: cluster: the shared objects' bucket %s: %w%s", n.bucket, err, n.noAnswer(js, err))
	}
	return stream, obs, nil
}

// noAnswer says why the server's answer may not have come, when err says
// only that it did not: the permissions of a role allow only its inbox.
func (n names) noAnswer(js jetstream.JetStream, err error) string {
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) || strings.HasPrefix(js.Conn().Opts.InboxPrefix, n.inbox) {
		return ""
	}
	return fmt.Sprintf(" (a user with the permissions of a role must connect with its inbox: CallerInbox(%q) or WorkerInbox(%q))", n.prefix, n.prefix)
}

// consumer returns the durable consumer that the workers of a task share,
// made or updated to cfg unless it is so already.
func consumer(ctx context.Context, stream jetstream.Stream, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	if cons, err := stream.Consumer(ctx, cfg.Durable); err == nil {
		if c := cons.CachedInfo().Config; c.AckWait == cfg.AckWait && c.MaxDeliver == cfg.MaxDeliver && c.FilterSubject == cfg.FilterSubject {
			return cons, nil
		}
	}
	return stream.CreateOrUpdateConsumer(ctx, cfg)
}

// maxPayload is the largest body a message may have on nc.
func maxPayload(nc *nats.Conn) int {
	return max(int(nc.MaxPayload())-headroom, 1024)
}

// sharedName is the name of a shared object in the object store: the hash
// of its encoding.
func sharedName(shared []byte) string {
	sum := sha256.Sum256(shared)
	return hex.EncodeToString(sum[:])
}
