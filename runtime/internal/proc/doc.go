// Package proc runs worker slots as child processes of this same binary.
//
// Go cannot fork a running program, so a worker process is this binary
// started again, with an environment variable naming its task. What it runs
// is package initialisation, not main: every package's variables and init
// functions, in the usual order, up to the init that calls Serve for its
// task; Serve then serves requests until its parent closes the connection
// and exits the process, so main never runs, nor, in a test binary,
// TestMain and the tests (a test binary needs no TestMain for this). This
// holds for go run, built binaries and go test binaries alike.
//
// What main sets up is therefore not there in a worker: flags it parsed,
// globals it assigned, files or connections it opened, loggers it
// configured. A task must get what it needs from its shared object
// (shared=, which crosses once per worker process) or build it in its
// worker's init (init=). Every worker runs package initialisation up to
// Serve, so it should stay cheap and free of side effects.
//
// The parent side is Start, which returns a *Child: request/response calls
// (Init, Run, Exit) with cancellation, Kill, Close and a report of the
// child's death (*ExitError) whenever it happens. Payloads are bytes: the
// runtime and the generated codecs decide what they mean.
//
// The protocol runs on descriptors 3 and 4 of the child (commands in,
// replies out), never on stdin or stdout, so that a task that prints cannot
// corrupt it. The child exits as soon as its command pipe closes, which the
// kernel does when the parent dies in any way, SIGKILL included. Every frame
// is checked, its kind and length before its body: bytes that are not the
// protocol, or a frame that cannot come where it comes, are a broken
// protocol at once, and the child is killed.
//
// On Linux, descriptor 5 of the child is its Ledger: a memfd, mapped in
// the child, where a run records, with plain stores and no system call,
// which request it is and the result of each task as it completes. When
// the child dies by itself in a run (an exit, a signal, the OOM killer),
// the run's error is an *Interrupted, with what the ledger says: the tasks
// that completed, whose results it holds, and so the task that was running.
// The parent reads the ledger only then, and trusts nothing in it: counts
// are checked against the bytes the file holds, every entry against what
// is left, and the tasks against the request by the caller; a ledger that
// says nothing valid is an *ExitError, as a death without a ledger. A
// child killed by this side, or that broke the protocol, has no record. A
// ledger grows with the results of a run, doubling, up to a gibibyte;
// a result past that is not recorded, and a crash is then charged to its
// task. Elsewhere there is no ledger: a death loses the run's results.
//
// A process is a worker only when its parent made it one. The environment
// variable that names the task is not enough, since a program may inherit a
// worker's environment: Start also passes a ticket that names the two pipes
// it made for descriptors 3 and 4 (and its ledger on 5) and a nonce that its
// hello carries. A
// process whose descriptors are not those pipes, or are not open, is told so
// on stderr and runs as itself: Serve returns, and the process touches no
// descriptor. A worker whose parent does not send its hello within ten
// seconds exits with a message.
//
// Each worker runs in a process group of its own. Kill, Close past its
// grace and a broken protocol send SIGKILL to the whole group, so that the
// programs a task started end with its worker, stopped ones included; on
// Linux they also end when the worker ends by itself. A program that must
// outlive its worker belongs in a process group or session of its own.
//
// Every error of Start wraps ErrStart: a worker that could not start, or
// ended before it served its task, is not a worker that died in a task.
// A binary that the user may run but not read (mode 0711, another owner)
// runs workers too: its identity on disk names the build, where the build
// ID cannot be read. Under the race detector, workers get
// GORACE=atexit_sleep_ms=0, added to the user's GORACE unless it sets that
// option, so that a stopping worker does not sleep a second; the programs
// its tasks start get the user's GORACE back.
//
// Linux and macOS only; elsewhere Start returns an error and Serve returns
// at once.
package proc
