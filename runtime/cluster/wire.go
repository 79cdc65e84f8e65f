package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// What the cluster keeps in JetStream: one work-queue stream for every task,
// a durable pull consumer per task that all its workers share, and an
// object store of shared objects keyed by the hash of their encoding.
const (
	streamName    = "MPIRE_WORK"
	workPrefix    = "mpire.work."   // + task id + "." + endpoint id
	cancelPrefix  = "mpire.cancel." // + endpoint id; the payload is the request's seq
	sharedBucket  = "mpire_shared"
	consumerStart = "mpire_" // + task id
	// headroom is what a message's headers may take of the max payload.
	headroom = 4 << 10
)

// Message headers. A request carries what a worker needs to check before it
// runs it; a reply carries what the caller needs to match it to its request
// exactly once.
const (
	hSchema   = "Mpire-Schema"   // the task's schema fingerprint: both sides' codecs must agree
	hShared   = "Mpire-Shared"   // the hash of the shared object in the object store; empty: none
	hReply    = "Mpire-Reply"    // the caller's inbox for the reply
	hSeq      = "Mpire-Seq"      // the request's number at its endpoint
	hDeadline = "Mpire-Deadline" // the call's deadline, Unix nanoseconds; absent: none
	hAttempt  = "Mpire-Attempt"  // reply: which delivery of the request this reply answers
	hPart     = "Mpire-Part"     // reply: the part's index and the number of parts, "i/k" (wire.FormatPart)
)

// taskID names a task in subjects and consumer names, which take neither
// dots nor slashes.
func taskID(task string) string {
	sum := sha256.Sum256([]byte(task))
	return hex.EncodeToString(sum[:8])
}

// setUp makes sure the work stream and the shared objects' bucket exist.
// Callers and workers both do, with the same configuration. What exists is
// used as it is, so that an operator may tune it (replicas, storage), and
// so that many workers starting at once do not update it over and over.
func setUp(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, jetstream.ObjectStore, error) {
	stream, err := js.Stream(ctx, streamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        streamName,
			Description: "mpire: chunks of tasks waiting for a worker",
			Subjects:    []string{workPrefix + ">"},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // made by another meanwhile
			stream, err = js.Stream(ctx, streamName)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("mpire: cluster: the work stream %s: %w", streamName, err)
	}
	obs, err := js.ObjectStore(ctx, sharedBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      sharedBucket,
			Description: "mpire: shared objects, by the hash of their encoding",
		})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			obs, err = js.ObjectStore(ctx, sharedBucket)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("mpire: cluster: the shared objects' bucket %s: %w", sharedBucket, err)
	}
	return stream, obs, nil
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
