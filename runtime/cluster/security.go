package cluster

import "github.com/nats-io/nats.go"

// Permissions are the NATS permissions of one role in a deployment: the
// subjects it may publish to and subscribe to, and whether it may answer
// the requests it receives (NATS's allow_responses). Give them to the users
// of the server's authorization settings (nats-server's configuration
// file, or server.Options.Users of an embedded server), and connect each
// role with its inbox prefix (CallerInbox, WorkerInbox): the permissions
// allow no other inbox.
type Permissions struct {
	Publish   []string
	Subscribe []string
	Responses bool // allow_responses: a caller answers the workers' pings
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
// (WithPrefix; "" for the default) needs: publish chunks and cancels, read
// and set up the work stream and the shared objects' bucket, store shared
// objects, and receive the replies and the server's advisories, and its
// JetStream answers on its role's inbox (CallerInbox).
//
// Callers of one deployment share these permissions, and can therefore
// read each other's replies (not their chunks, nor the tokens that cancel
// them), delete each other's waiting chunks, and overwrite or delete the
// deployment's shared objects, which workers then refuse or do not find.
// Use a prefix per team to separate callers that must not.
func CallerPermissions(p string) Permissions {
	n := namesFor(p)
	return Permissions{
		Publish: append([]string{
			n.work + ">",
			n.cancel + ">",
			"$JS.API.STREAM.INFO." + n.stream,
			"$JS.API.STREAM.CREATE." + n.stream,
			"$JS.API.STREAM.MSG.DELETE." + n.stream,
		}, objectStore(n, true)...),
		Subscribe: []string{
			n.inbox + "caller.>",
			n.reply + ">",
			"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + n.stream + ".>",
		},
		Responses: true,
	}
}

// WorkerPermissions returns what a worker of the deployment with prefix p
// needs: set up and read the work stream through the tasks' consumers,
// acknowledge chunks, fetch shared objects, receive cancels, publish on the
// deployment's reply subjects, and receive its chunks and JetStream's
// answers on its role's inbox (WorkerInbox). A worker may answer any chunk
// it was given, of any caller of its deployment, and can read the chunks
// the deployment's other workers pull: permissions cannot tell its answer
// from another's.
func WorkerPermissions(p string) Permissions {
	n := namesFor(p)
	return Permissions{
		Publish: append([]string{
			n.reply + ">",
			"$JS.API.STREAM.INFO." + n.stream,
			"$JS.API.STREAM.CREATE." + n.stream,
			"$JS.API.CONSUMER.INFO." + n.stream + ".*",
			"$JS.API.CONSUMER.CREATE." + n.stream + ".>",
			"$JS.API.CONSUMER.DURABLE.CREATE." + n.stream + ".*",
			"$JS.API.CONSUMER.MSG.NEXT." + n.stream + ".*",
			"$JS.ACK." + n.stream + ".>",
		}, objectStore(n, false)...),
		Subscribe: []string{
			n.inbox + "worker.>",
			n.cancel + ">",
		},
	}
}

// objectStore is what reading the shared objects' bucket takes, and, when
// write, storing in it. Storing needs no purge: the object store purges
// only to tidy the chunks of an object it replaced (one planted under a
// shared object's name), and a user who may purge a bucket may empty it.
func objectStore(n names, write bool) []string {
	obj := "OBJ_" + n.bucket
	s := []string{
		"$JS.API.STREAM.INFO." + obj,
		"$JS.API.STREAM.CREATE." + obj,
		"$JS.API.STREAM.MSG.GET." + obj,
		"$JS.API.DIRECT.GET." + obj + ".>",
		"$JS.API.CONSUMER.CREATE." + obj + ".>",
		"$JS.API.CONSUMER.DELETE." + obj + ".>",
		"$JS.FC." + obj + ".>",
	}
	if write {
		s = append(s, "$O."+n.bucket+".>")
	}
	return s
}
