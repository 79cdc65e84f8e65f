package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotDeployed is wrapped by the error of a caller or a worker whose
// deployment was not made: run Deploy for it, with an administrator's
// credentials.
var ErrNotDeployed = errors.New("mpire: cluster: the deployment is not set up")

// keyMetadata names, in the metadata of a deployment's work stream, the
// deployment's key: a random id that Deploy chooses once, and that the
// names of the tasks' consumers hold (names.taskConsumer).
const keyMetadata = "mpire.key"

// Deploy makes a deployment of the cluster, or brings it to opts: its work
// stream, its stream of replies and its shared objects' bucket, with the
// prefix (WithPrefix), replicas (WithReplicas) and limits (WithLimits) of
// opts. Run it once per deployment, connected as a user who may manage
// JetStream (an administrator), before its callers and workers start; run
// it again with other replicas or limits to change them. It keeps what it
// made however often it runs, and the deployment's key.
//
// Callers (On) and workers (Serve) only look the deployment up, and fail
// with ErrNotDeployed when it is missing: their permissions
// (CallerPermissions, WorkerPermissions) let them make no stream and no
// bucket, whose settings (the subjects a stream takes, where it republishes
// what it stores) could capture another deployment's messages or send
// theirs anywhere, the JetStream API included. devserver.Start deploys for
// its prefix.
//
// The work stream is a work queue: a chunk goes once a worker acknowledged
// it. The stream of replies keeps a reply while its caller's consumer has
// not acknowledged it, and none that no caller listens for. When full, both
// refuse what comes rather than drop what they hold. The work stream's
// metadata holds the deployment's key, a random id in the names of its
// tasks' consumers, which no user without the permissions of its roles can
// read: see Security in the package documentation.
//
// A server that does not answer is asked again for a minute: a cluster
// that just started, or lost a server, may take seconds to.
func Deploy(ctx context.Context, js jetstream.JetStream, opts ...DeploymentOption) error {
	var d deployment
	for _, opt := range opts {
		opt.deploy(&d)
	}
	if err := d.check(); err != nil {
		return err
	}
	n := namesFor(d.prefix)
	key, exists, err := deploymentKey(ctx, js, n)
	if err != nil {
		return err
	}
	stream := func(name, what, subject string, retention jetstream.RetentionPolicy, metadata map[string]string, create bool) error {
		err := retry(ctx, func(ctx context.Context) error {
			cfg := jetstream.StreamConfig{
				Name:        name,
				Description: "mpire: " + what,
				Subjects:    []string{subject},
				Retention:   retention,
				Storage:     jetstream.FileStorage,
				Replicas:    d.replicas,
				MaxAge:      d.limits.MaxAge,
				MaxBytes:    d.limits.MaxBytes,
				MaxMsgs:     d.limits.MaxMsgs,
				Discard:     jetstream.DiscardNew,
				Metadata:    metadata,
			}
			var err error
			if create {
				_, err = js.CreateStream(ctx, cfg)
			} else {
				_, err = js.CreateOrUpdateStream(ctx, cfg)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("mpire: cluster.Deploy: the stream %s: %w", name, err)
		}
		return nil
	}
	work := func(key string, create bool) error {
		return stream(n.stream, "chunks of tasks waiting for a worker", n.work+">", jetstream.WorkQueuePolicy, map[string]string{keyMetadata: key}, create)
	}
	// A new work stream is only made, never updated: another Deploy of the
	// deployment at once, with its own key, may have made it meanwhile, and
	// the deployment keeps that one's key.
	err = work(key, !exists)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		if key, _, err = deploymentKey(ctx, js, n); err == nil {
			err = work(key, false)
		}
	}
	if err != nil {
		return err
	}
	if err := stream(n.replies, "replies waiting for their caller", n.reply+">", jetstream.InterestPolicy, nil, false); err != nil {
		return err
	}
	var obs jetstream.ObjectStore
	err = retry(ctx, func(ctx context.Context) (err error) {
		obs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      n.bucket,
			Description: "mpire: shared objects, by the hash of their encoding",
			Replicas:    d.replicas,
			TTL:         2 * d.limits.MaxAge,
			MaxBytes:    d.limits.MaxBytes,
		})
		return err
	})
	if err == nil {
		// A bucket just made on a cluster may not be found for a moment:
		// the deployment is made once its callers and workers find it.
		err = retry(ctx, func(ctx context.Context) error {
			_, err := obs.Status(ctx)
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				return errNotYet
			}
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("mpire: cluster.Deploy: the shared objects' bucket %s: %w", n.bucket, err)
	}
	return nil
}

// deploymentKey returns the key of the deployment's work stream, or a new
// one if it has none; exists is whether the stream exists.
func deploymentKey(ctx context.Context, js jetstream.JetStream, n names) (key string, exists bool, err error) {
	var work jetstream.Stream
	err = retry(ctx, func(ctx context.Context) (err error) {
		work, err = js.Stream(ctx, n.stream)
		return err
	})
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return newID(), false, nil
	case err != nil:
		return "", false, fmt.Errorf("mpire: cluster.Deploy: the stream %s: %w", n.stream, err)
	case work.CachedInfo().Config.Metadata[keyMetadata] == "":
		return newID(), true, nil
	}
	return work.CachedInfo().Config.Metadata[keyMetadata], true, nil
}

// deployed is a deployment that a caller or a worker found.
type deployed struct {
	work, replies jetstream.Stream
	obs           jetstream.ObjectStore
	key           string // in the names of the tasks' consumers
}

// lookUp finds the deployment that Deploy made: its streams, its bucket and
// its key. A server that does not answer is asked again (see retry).
func lookUp(ctx context.Context, js jetstream.JetStream, n names) (*deployed, error) {
	missing := func(what string) error {
		deploy := "cluster.Deploy(ctx, js)"
		if n.prefix != "" {
			deploy = fmt.Sprintf("cluster.Deploy(ctx, js, cluster.WithPrefix(%q))", n.prefix)
		}
		return fmt.Errorf("%w: %s: run %s once, connected as an administrator (devserver.Start does)", ErrNotDeployed, what, deploy)
	}
	var d deployed
	for _, s := range []struct {
		name string
		to   *jetstream.Stream
	}{{n.stream, &d.work}, {n.replies, &d.replies}} {
		err := retry(ctx, func(ctx context.Context) (err error) {
			*s.to, err = js.Stream(ctx, s.name)
			return err
		})
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, missing("no stream " + s.name)
		}
		if err != nil {
			return nil, fmt.Errorf("mpire: cluster: the stream %s: %w%s", s.name, err, n.noAnswer(js, err))
		}
	}
	err := retry(ctx, func(ctx context.Context) (err error) {
		d.obs, err = js.ObjectStore(ctx, n.bucket)
		return err
	})
	if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, missing("no shared objects' bucket " + n.bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("mpire: cluster: the shared objects' bucket %s: %w%s", n.bucket, err, n.noAnswer(js, err))
	}
	if d.key = d.work.CachedInfo().Config.Metadata[keyMetadata]; d.key == "" {
		return nil, missing("the stream " + n.stream + " was not made by cluster.Deploy")
	}
	return &d, nil
}
