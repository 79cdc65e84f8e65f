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
// kernel does when the parent dies in any way, SIGKILL included.
//
// Linux and macOS only; elsewhere Start returns an error and Serve returns
// at once.
package proc
