// Package cluster runs the workers of a portable pool on other machines,
// through a NATS JetStream server or cluster: the same generated pool, the
// same methods, with its chunks in a work queue that any number of worker
// programs serve.
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
// inside the program, on 127.0.0.1, with a user for each role.
//
// # Security
//
// Give callers and workers their own users with CallerPermissions and
// WorkerPermissions, connect each with its role's inbox (CallerInbox,
// WorkerInbox), and give each deployment its prefix (WithPrefix, for both
// On and Serve): then no one else can read a chunk or answer one. Each
// request carries a random token, which its cancel must carry and its
// reply must prove it knows (by its hash, so that the callers who read
// replies do not learn it); a worker answers only at the inbox of the endpoint that the chunk's subject
// names, on its deployment's reply subjects; shared objects are checked
// against their hash on both sides. A worker of a deployment can still
// answer any chunk it was given with any result: trust workers as code.
// Callers of a deployment share its bucket of shared objects, which each
// may empty (see CallerPermissions).
//
// # How the work travels
//
// A stream, MPIRE_WORK (with a prefix p: p_MPIRE_WORK), holds the chunks with the work-queue policy; each
// task has a durable pull consumer that its workers share, so a chunk goes
// to one worker, which acknowledges it once it has sent the results back
// to the caller's inbox. A chunk larger than the server's max payload is
// split; results larger than it come back in parts. Each result reaches the
// caller exactly once, in input order for Map and IMap: replies are matched
// to their request, and duplicates dropped.
//
// A worker that dies (a crash, SIGKILL, a lost machine) loses nothing: the
// chunks it held go to another worker once their ack deadline has passed
// (WithAckWait), and a worker running a long chunk keeps its deadline
// moving. A task may therefore run more than once: make tasks safe to
// repeat. A chunk that no worker acknowledges in WithMaxDeliver deliveries
// fails its call with ErrWorkerDied.
//
// A redelivery is no failure that the caller sees: with mpire.WithRetries,
// it charges no attempt, and the chunk's results still come once. What the
// caller sees (a task's error or panic, a worker's init failing, a task
// ending its worker's goroutine, a chunk given up on after WithMaxDeliver
// deliveries) charges one attempt to the task that failed, or for a chunk
// given up on, to its first.
//
// The shared object is stored once in the object store bucket
// mpire_shared, under the hash of its encoding, and fetched once per worker
// program, which keeps the shared objects it fetched up to WithSharedCache.
//
// A cancelled call stops at once: the chunks that wait in the queue are
// deleted, and workers cancel the context of the tasks they run for it. A
// caller that went away (killed, or its machine lost) has its waiting
// chunks dropped: a worker checks that the caller still listens before it
// runs a chunk, and drops chunks past the call's deadline.
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
