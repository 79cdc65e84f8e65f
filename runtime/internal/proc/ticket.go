package proc

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// envTask is the environment variable that names the task of a process
// started by Start, and envTicket the one that holds its ticket. Serve
// removes both, so that programs the task starts in turn do not take
// themselves for workers.
const (
	envTask   = "MPIRE_PROC_TASK"
	envTicket = "MPIRE_PROC_WORKER"
)

// helloTimeout is how long a worker process waits for its parent's hello.
// The parent sends it as soon as the process has started, so it is there
// long before a healthy child reads it; a child that waits longer has a
// parent that is not speaking to it.
const helloTimeout = 10 * time.Second

// A ticket is what Start tells its child, in its environment, to show that
// the child is the worker process it started: the environment variable
// alone proves nothing, since a program may inherit a worker's environment.
//
// The child checks, before it uses them in any way, that descriptors 3 and
// 4 are the ends of the two pipes that the ticket names (fstat and fcntl
// F_GETFL, which neither block nor change anything), and descriptor 5 its
// ledger when the ticket names one (fstat), then that its parent's hello
// carries the ticket's nonce. Pipes and ledgers are named by device and
// inode, which no other open file shares.
type ticket struct {
	nonce    string        // random; the parent's hello carries it
	commands string        // the pipe whose read end is descriptor 3 (pipeID)
	replies  string        // the pipe whose write end is descriptor 4
	hello    time.Duration // how long the child waits for its parent's hello
	ledger   string        // the file of descriptor 5, its ledger (fileID); "": none
	gorace   string        // GORACE for the programs the child's tasks start: "" as is, "-" unset, "=V" V
}

// String encodes the ticket for the environment: comma-separated fields, a
// version first and GORACE last, which takes the rest of the string, commas
// included.
func (k ticket) String() string {
	return fmt.Sprintf("2,%s,%s,%s,%d,%s,%s", k.nonce, k.commands, k.replies, k.hello, k.ledger, k.gorace)
}

// parseTicket decodes what String encodes.
func parseTicket(s string) (ticket, error) {
	f := strings.SplitN(s, ",", 7)
	if len(f) != 7 || f[0] != "2" {
		return ticket{}, fmt.Errorf("%s=%q is not a ticket of this version", envTicket, s)
	}
	hello, err := strconv.ParseInt(f[4], 10, 64)
	if err != nil || hello <= 0 {
		return ticket{}, fmt.Errorf("%s=%q has no valid hello timeout", envTicket, s)
	}
	return ticket{nonce: f[1], commands: f[2], replies: f[3], hello: time.Duration(hello), ledger: f[5], gorace: f[6]}, nil
}

// claim takes this process's ticket out of its environment, puts GORACE
// back as the user had it, and checks that descriptors 3 and 4 are the
// pipes that the ticket names: then this process is the worker process that
// its parent started, and may use them.
func claim() (ticket, error) {
	s, ok := os.LookupEnv(envTicket)
	os.Unsetenv(envTask)
	os.Unsetenv(envTicket)
	if !ok {
		return ticket{}, fmt.Errorf("%s is not set", envTicket)
	}
	k, err := parseTicket(s)
	if err != nil {
		return ticket{}, err
	}
	switch {
	case k.gorace == "-":
		os.Unsetenv("GORACE")
	case strings.HasPrefix(k.gorace, "="):
		os.Setenv("GORACE", k.gorace[1:])
	}
	if err := checkPipe(fdCommands, k.commands, false); err != nil {
		return ticket{}, fmt.Errorf("descriptor %d: %w", fdCommands, err)
	}
	if err := checkPipe(fdReplies, k.replies, true); err != nil {
		return ticket{}, fmt.Errorf("descriptor %d: %w", fdReplies, err)
	}
	if k.ledger != "" {
		if err := checkLedger(k.ledger); err != nil {
			return ticket{}, fmt.Errorf("descriptor %d: %w", fdLedger, err)
		}
	}
	return k, nil
}

// errWrongPipe is what checkPipe says of a descriptor that is not the
// pipe's end it should be.
var errWrongPipe = errors.New("not the pipe its parent made for it")

// errWrongLedger is what checkLedger says of a descriptor that is not the
// ledger its parent made for it.
var errWrongLedger = errors.New("not the ledger its parent made for it")

// environ returns this process's environment for a child: without the
// worker's variables (a worker that starts workers gives them their own)
// and, under the race detector, with a GORACE that does not make the child
// sleep a second when it exits (the detector's default, which would make
// every stop of a worker outlast its grace), unless the user chose that
// sleep. gorace says how the child puts GORACE back for the programs its
// tasks start.
func environ() (env []string, gorace string) {
	env = environWithout(envTask, envTicket)
	if !raceEnabled {
		return env, ""
	}
	v, set := os.LookupEnv("GORACE")
	// The detector's options are separated by spaces, commas or colons.
	for _, opt := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(" ,:\t\n\r", r) }) {
		if strings.HasPrefix(opt, "atexit_sleep_ms=") {
			return env, ""
		}
	}
	gorace = "-"
	if set {
		gorace = "=" + v
	}
	env = append(environWithout(envTask, envTicket, "GORACE"), "GORACE="+strings.TrimSpace(v+" atexit_sleep_ms=0"))
	return env, gorace
}

// environWithout returns this process's environment without keys.
func environWithout(keys ...string) []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(keys, name) {
			out = append(out, kv)
		}
	}
	return out
}
