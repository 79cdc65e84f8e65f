package cluster

// Permissions are the NATS permissions of one role in a deployment: the
// subjects it may publish to and subscribe to, and whether it may answer
// the requests it receives (NATS's allow_responses). Give them to the users
// of the server's authorization settings (nats-server's configuration
// file, or server.Options.Users of an embedded server).
type Permissions struct {
	Publish   []string
	Subscribe []string
	Responses bool // allow_responses: a caller answers the workers' pings
}

// CallerPermissions returns what a caller of the deployment with prefix p
// (WithPrefix; "" for the default) needs: publish chunks and cancels, read
// and set up the work stream and the shared objects' bucket, store shared
// objects, and receive the replies and the server's advisories.
//
// Callers of one deployment can read each other's replies: their inboxes
// share the deployment's reply subjects. Use a prefix per team to separate
// callers that must not.
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
			"_INBOX.>",
			n.reply + ">",
			"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + n.stream + ".>",
		},
		Responses: true,
	}
}

// WorkerPermissions returns what a worker of the deployment with prefix p
// needs: set up and read the work stream through the tasks' consumers,
// acknowledge chunks, fetch shared objects, receive cancels, and publish on
// the deployment's reply subjects. A worker may answer any chunk it was
// given, of any caller of its deployment: permissions cannot tell its
// answer from another's.
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
			"_INBOX.>",
			n.cancel + ">",
		},
	}
}

// objectStore is what reading the shared objects' bucket takes, and, when
// write, storing in it.
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
		s = append(s, "$O."+n.bucket+".>", "$JS.API.STREAM.PURGE."+obj)
	}
	return s
}
