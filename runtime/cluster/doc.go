// Package cluster runs the workers of a portable pool on other machines,
// through a NATS JetStream server or cluster: the same generated pool, the
// same methods, with its chunks in a work queue that any number of worker
// programs serve.
//
// An administrator makes the deployment once, its streams and bucket, with
// credentials that may manage JetStream (callers and workers may not):
//
//	nc, _ := nats.Connect(url, nats.UserCredentials("admin.creds"))
//	js, _ := jetstream.New(nc)
//	err := cluster.Deploy(ctx, js, cluster.WithReplicas(3))
//
// The caller gives its pool one option:
//
//	nc, _ := nats.Connect(url, nats.UserCredentials("app.creds"), cluster.CallerInbox("")) // TLS, credentials: as usual
//	js, _ := jetstream.New(nc)
//	pool := NewSquarePool(cluster.On(js), mpire.WithJobs(8))
//	squares, err := pool.Map(ctx, xs)
//
// A worker is any program that links the task's package and calls Serve,
// on as many machines as you like; workers may join and leave during a
// call:
//
//	nc, _ := nats.Connect(url, nats.UserCredentials("worker.creds"), cluster.WorkerInbox(""))
//	js, _ := jetstream.New(nc)
//	err := cluster.Serve(ctx, js, cluster.WithJobs(4))
//
// For development, tests and examples, package devserver starts a server
// inside the program, on 127.0.0.1, with a user for each role, and makes
// the deployment.
//
// # Security
//
// Give callers and workers their own users with CallerPermissions and
// WorkerPermissions, connect each with its role's inbox (CallerInbox,
// WorkerInbox), and give each deployment its prefix (WithPrefix, for
// Deploy, On and Serve): then no one else can read a chunk or answer one.
// Each request carries a random token, which its cancel must carry and its
// reply must prove it knows (by its hash, so that the callers who read
// replies do not learn it); a worker answers only to the endpoint that the
// chunk's subject names, on its deployment's reply subjects; shared objects
// are checked against their hash on both sides. A worker of a deployment
// can still answer any chunk it was given with any result: trust workers
// as code. Callers of a deployment share its bucket of shared objects,
// which each may empty (see CallerPermissions).
//
// No role makes a stream or a bucket, whose settings (in the request's
// body, which permissions do not see) could capture another deployment's
// subjects or republish onto them, or onto the JetStream API: Deploy does,
// with an administrator's credentials, and callers and workers fail with
// ErrNotDeployed without it. Roles make consumers only of their
// deployment's streams, in the form of the API that names the consumer and
// its filter in the subject. A consumer's deliver subject is in the body
// too: a role can make a push consumer of its deployment's streams that
// delivers anywhere, but the server delivers only to a subscription of
// exactly that subject, which neither the JetStream API's requests, nor a
// deployment's streams, nor its inboxes (random) are. The exact
// subscriptions that remain are those of consumers, which pull from them or
// reset them: a deployment's consumers are named with what no one outside
// it knows (a task's, with the deployment's key, chosen by Deploy and kept
// in the work stream's metadata; a caller's, with its random id). Within a
// deployment, a role is trusted that far: it can make push consumers that
// take, drop or replay its deployment's chunks and replies. Deployments
// that must not trust each other even so need separate NATS accounts.
//
// # How the work travels
//
// A stream, MPIRE_WORK (with a prefix p: p_MPIRE_WORK), holds the chunks
// with the work-queue policy; each task has a durable pull consumer that
// its workers share (the first makes it), so a chunk goes to one worker. The worker stores its
// reply in a second stream, MPIRE_REPLIES, and only then acknowledges the
// chunk; each caller reads its replies there through a consumer of its
// own, and acknowledges them. Both publish until the server acknowledges
// (a chunk's message id keeps one copy of a chunk that came twice; a
// caller drops a reply that came twice), so a chunk or a reply
// is lost neither with a connection nor with a server of a cluster whose
// streams are replicated (WithReplicas). A chunk larger than the server's
// max payload is split; results larger than it come back in parts. Each
// result reaches the caller exactly once, in input order for Map and IMap:
// replies are matched to their request, and duplicates dropped.
//
// A worker that dies (a crash, SIGKILL, a lost machine) loses nothing: the
// chunks it held go to another worker once their ack deadline has passed
// (WithAckWait), and a worker running a long chunk keeps its deadline
// moving. A task may therefore run more than once: make tasks safe to
// repeat. A chunk delivered more often than its caller allows
// (WithMaxDeliver) is not run again: the worker it comes to answers so, and
// its call fails with ErrWorkerDied.
//
// Nothing is dropped silently, and no lost message hangs a call: a chunk a
// worker does not run is answered (refused, delivered too often), left for
// another delivery (the server did not answer the worker's questions), or
// was given up by its caller (cancelled, or its caller gone: its consumer
// of replies no longer exists, a minute after its program went away). A
// caller waiting for a reply looks, now and then, whether its chunk is
// still in the queue; a chunk gone without a reply (past the stream's
// MaxAge, deleted, lost) fails its call, saying so, within about half a
// minute.
//
// A redelivery is no failure that the caller sees: with mpire.WithRetries,
// it charges no attempt, and the chunk's results still come once. What the
// caller sees (a task's error or panic, a worker's init failing, a task
// ending its worker's goroutine, a chunk given up on after WithMaxDeliver
// deliveries) charges one attempt to the task that failed, or for a chunk
// given up on, to its first.
//
// What the server keeps is bounded (WithLimits, given to Deploy): chunks and
// replies are kept at most a day, a gigabyte and a million messages each by
// default, and a full stream refuses new ones rather than dropping those it
// holds; shared objects are kept two days. The age limit bounds a chunk's
// whole life, running included (JetStream removes a message by its age, held
// by a worker or not): a chunk that outlives it fails its call, saying so,
// and its worker cancels its task. The settings of a task's consumer are
// made by the first worker that serves it, and kept: no worker overwrites
// them.
//
// The shared object is stored in the object store bucket mpire_shared,
// under the hash of its encoding, once per day (so that it outlives the
// chunks that need it, whatever the age of the pool), and fetched once per
// worker program, which keeps the shared objects it fetched up to
// WithSharedCache.
//
// A cancelled call stops at once: workers are told, so that a task of the
// call that runs is cancelled, and a chunk of the call that a worker takes
// after it heard does not run; and its chunks are deleted from the queue,
// in the background (a minute at most, the server out of reach; a pool's
// Close waits for it), a chunk whose publication was not acknowledged
// included: published again, its message id makes the server name the
// copy it stored. A worker that took a chunk of the call without hearing
// of the cancel (a plain message, lost when it was not listening) finds
// the chunk gone within a third of the ack wait, and cancels its task. A
// chunk carries what remains of its call's time as a duration, which the
// worker gives its task's context: no clock is compared with another
// machine's.
//
// A worker built from other code than the caller, whose task's types
// differ, refuses its chunks: the call fails with ErrRefused, naming both.
//
// # What works on a cluster
//
// Works: Map, MapUnordered, IMap, IMapUnordered, Apply and ApplyAsync;
// shared objects; worker state with init (once per worker slot of a worker
// program, before its first chunk, and again for another shared object);
// exit functions that return nothing but an error, run when the worker
// program stops serving; worker ids (the slot within the worker program, 0
// to its jobs-1); WithTaskTimeout (enforced by the worker: a task abandoned
// at its limit keeps its slot until it returns); chunking
// options, WithMaxTasksActive, WithOrderTasks and WithKeepAlive (on the
// caller's side); the progress bar and the dashboard (the caller's calls);
// insights (working time as the workers measured it, per chunk in flight).
//
// Refused when the pool is made, or given to a call: exit functions that
// return a value (a worker serves many callers, and exits when it stops
// serving, not when a call ends); WithWorkerLifespan; WithWorkerInitTimeout
// and WithWorkerExitTimeout; WithCPUIDs and WithCPUSets; WithProcesses.
package cluster
