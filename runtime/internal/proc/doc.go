// Package proc runs worker slots as child processes of this same binary.
//
// Go cannot fork a running program, so a worker process is this binary
// started again. What it runs is package initialisation, not main: every
// package's variables and init functions, in the usual order, up to the
// init that calls Serve for the task it was started for; Serve then serves
// requests until its parent closes the connection and exits, so main (and,
// in a test binary, TestMain and the tests) never runs. State that main sets
// up, flags it parses, files it opens, are therefore not there in a worker:
// a task must get what it needs from its shared object (shared=, which
// crosses once per child) or build it in its worker's init (init=).
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
