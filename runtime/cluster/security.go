package cluster

import "github.com/nats-io/nats.go"

// Permissions are the NATS permissions of one role in a deployment: the
// subjects it may publish to and subscribe to. Give them to the users of
// the server's authorization settings (nats-server's configuration file,
// or server.Options.Users of an embedded server), and connect each role
// with its inbox prefix (CallerInbox, WorkerInbox): the permissions allow
// no other inbox.
type Permissions struct {
	Publish   []string
	Subscribe []string
}

// CallerInbox is the option of nats.Connect that gives a caller of the
// deployment with prefix p (WithPrefix; "" for the default) the inbox
// prefix of its role, p.mpire.inbox.caller, where JetStream answers it:
// CallerPermissions allow no other inbox, so that no user of another role
// or deployment reads what is answered there.
func CallerInbox(p string) nats.Option { return nats.CustomInboxPrefix(namesFor(p).inbox + "caller") }

// WorkerInbox is the option of nats.Connect that gives a worker of the
// deployment with prefix p the inbox prefix of its role,
// p.mpire.inbox.worker, where JetStream delivers the chunks it pulls:
// WorkerPermissions allow no other inbox, so that only the deployment's
// workers can read its chunks.
func WorkerInbox(p string) nats.Option { return nats.CustomInboxPrefix(namesFor(p).inbox + "worker") }

// CallerPermissions returns what a caller of the deployment with prefix p
// (WithPrefix; "" for the default) needs: look up the deployment's streams
// and bucket (Deploy makes them), publish chunks, count those of its
// endpoints in the queue (not read them) and delete them, publish
// cancels, store shared objects, and read its replies through a consumer
// of its own; and receive JetStream's answers and its replies on its
// role's inbox (CallerInbox). It may make no stream and no
// bucket, and consumers only of its deployment's names: of replies, with
// a filter in its deployment's reply subjects, and of the bucket's stream,
// to read an object's chunks.
//
// Callers of one deployment share these permissions, and can therefore
// read each other's replies (by a consumer of their own; not their chunks,
// nor the tokens that cancel them), delete each other's waiting chunks,
// and overwrite or delete the deployment's shared objects, which workers
// then refuse or do not find. Use a prefix per team to separate callers
// that must not.
func CallerPermissions(p string) Permissions {
	n := namesFor(p)
	pub := []string{
		n.work + ">",
		n.cancel + ">",
		"$JS.API.STREAM.INFO." + n.stream,
		"$JS.API.STREAM.MSG.DELETE." + n.stream,
		"$JS.API.STREAM.INFO." + n.replies,
		"$JS.API.CONSUMER.CREATE." + n.replies + ".*." + n.reply + "*.>",
		"$JS.API.CONSUMER.DELETE." + n.replies + ".*",
		"$JS.API.CONSUMER.INFO." + n.replies + ".*",
		"$JS.API.CONSUMER.MSG.NEXT." + n.replies + ".*",
		"$JS.ACK." + n.replies + ".>",
	}
	return Permissions{
		Publish:   append(pub, objectStore(n, true)...),
		Subscribe: []string{n.inbox + "caller.>"},
	}
}

// WorkerPermissions returns what a worker of the deployment with prefix p
// needs: look up the deployment's streams and bucket (Deploy makes them),
// make the durable consumers of its tasks and read the work stream through
// them, acknowledge chunks, look up a chunk and a caller's consumer (is the
// chunk still wanted?), fetch shared objects, receive cancels, publish
// replies, and receive its chunks and JetStream's answers on its role's
// inbox (WorkerInbox). It may make no stream and no bucket, and consumers
// only of its deployment's names: of the work stream, with a filter in its
// deployment's work subjects, and of the bucket's stream. A worker may
// answer any chunk it was given, of any caller of its deployment, and can
// read the chunks the deployment's other workers pull: permissions cannot
// tell its answer from another's.
func WorkerPermissions(p string) Permissions {
	n := namesFor(p)
	pub := []string{
		n.reply + ">",
		"$JS.API.STREAM.INFO." + n.stream,
		"$JS.API.STREAM.MSG.GET." + n.stream,
		"$JS.API.CONSUMER.INFO." + n.stream + ".*",
		"$JS.API.CONSUMER.CREATE." + n.stream + ".*." + n.work + "*.>",
		"$JS.API.CONSUMER.MSG.NEXT." + n.stream + ".*",
		"$JS.ACK." + n.stream + ".>",
		"$JS.API.STREAM.INFO." + n.replies,
		"$JS.API.CONSUMER.INFO." + n.replies + ".*",
	}
	return Permissions{
		Publish:   append(pub, objectStore(n, false)...),
		Subscribe: []string{n.inbox + "worker.>", n.cancel + ">"},
	}
}

// objectStore is what reading the shared objects' bucket takes, and, when
// write, storing in it. Reading an object makes a consumer of the bucket's
// stream, filtered on the object's chunks. Storing needs no purge: the
// object store purges only to tidy the chunks of an object it replaced
// (one planted under a shared object's name), and a user who may purge a
// bucket may empty it.
func objectStore(n names, write bool) []string {
	obj := "OBJ_" + n.bucket
	s := []string{
		"$JS.API.STREAM.INFO." + obj,
		"$JS.API.STREAM.MSG.GET." + obj,
		"$JS.API.DIRECT.GET." + obj + ".>",
		"$JS.API.CONSUMER.CREATE." + obj + ".*.$O." + n.bucket + ".C.>",
		"$JS.API.CONSUMER.DELETE." + obj + ".*",
		"$JS.FC." + obj + ".>",
	}
	if write {
		s = append(s, "$O."+n.bucket+".>")
	}
	return s
}
