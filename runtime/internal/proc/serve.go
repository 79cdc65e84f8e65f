package proc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/catch"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// Descriptors of the protocol in the child (cmd.ExtraFiles 0, 1 and 2).
const (
	fdCommands = 3
	fdReplies  = 4
	fdLedger   = 5 // when the ticket names a ledger
)

// A Handler serves one task's requests in a worker process, in the bytes
// of package wire. Serve calls it for one request at a time, in the order of
// the requests, with a ctx cancelled when the parent cancels that request,
// and sends the reply it returns. A panic that escapes it crosses as a
// wire.Error with its stack, and the process goes on; runtime.Goexit ends
// the process, as a worker that died.
type Handler interface {
	// Handle answers a request of phase, whose body is as the parent sent
	// it, and returns the body of the reply: a wire.Reply. For a run, l is
	// the process's ledger, begun for the run: Handle gives it the run's
	// encoder, then calls its Track as each task starts, and once the last
	// has completed. l is nil when the process has none, and for other
	// phases.
	Handle(ctx context.Context, worker int, phase wire.Phase, body []byte, l *Ledger) []byte
}

// served records the tasks given to Serve in this process, so that Start
// refuses a task that no Serve in this binary would claim in the child
// (which would then run main instead).
var served sync.Map

// Serve serves task with h when this process was started by Start for task;
// it then never returns: the process exits when its parent closes the
// connection or dies. Otherwise it returns at once. task must name one
// Handler in the whole binary: Serve panics when it is given twice.
//
// Call it from a package's initialisation (an init function or a package
// variable's initialiser), never from main: a worker process runs package
// initialisation only, and must reach Serve before main, or, in a test
// binary, before the tests. A task's ctx is cancelled when the parent
// cancels its request.
//
// A process is a worker only when the parent that started it made it one:
// the environment variable that names the task is not enough, since a
// program may inherit it. When its descriptors 3 and 4 are not the pipes
// that Start made for it and named in its environment, or are not open,
// Serve says so on stderr and returns: the program runs as itself, without
// the worker's variables, its descriptors untouched. A worker whose parent
// does not send its hello within ten seconds exits with a message.
func Serve(task string, h Handler) {
	if _, dup := served.LoadOrStore(task, true); dup {
		panic(fmt.Sprintf("proc: Serve(%q) called twice: a worker process could not tell which Handler serves it", task))
	}
	if primeFingerprint {
		selfFingerprint()
	}
	if t, ok := os.LookupEnv(envTask); !ok || t != task {
		return
	}
	k, err := claim()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mpire: %s=%s is set, but this process is not a worker process started by its parent (%v): it runs as itself; was a worker's environment passed on to it?\n", envTask, task, err)
		return
	}
	if err := serve(task, h, k); err != nil {
		fmt.Fprintf(os.Stderr, "mpire: worker process for task %q: %v\n", task, err)
		os.Exit(2)
	}
	os.Exit(0)
}

// serve runs the child's side of the protocol until the parent hangs up.
func serve(task string, h Handler, k ticket) error {
	// Programs a task starts must not inherit the protocol's descriptors: a
	// grandchild holding the reply pipe would hide this process's death.
	// Non-blocking, they go through the runtime's poller: a goroutine that
	// waits for a command then parks instead of holding a thread in a
	// blocking read, which would delay the goroutines it wakes.
	for _, fd := range []int{fdCommands, fdReplies} {
		if err := prepareFD(fd); err != nil {
			return fmt.Errorf("descriptor %d: %w", fd, err)
		}
	}
	commands := os.NewFile(fdCommands, "mpire-commands")
	in := bufio.NewReaderSize(commands, 64<<10)
	out := bufio.NewWriterSize(os.NewFile(fdReplies, "mpire-replies"), 64<<10)

	fp, err := selfFingerprint()
	if err != nil {
		return fmt.Errorf("fingerprinting this binary: %w", err)
	}
	var hello []byte
	hello = appendBytes(hello, []byte(fp))
	hello = appendBytes(hello, []byte(task))
	out.WriteString(magic)
	writeFrame(out, kindHello, 0, hello, nil)
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing hello: %w", err)
	}
	worker, err := awaitHello(commands, in, k)
	if err != nil {
		return err
	}
	var ledger *Ledger
	if k.ledger != "" {
		// Without it, the process serves as well; its crash loses more.
		if ledger, err = openLedger(); err != nil {
			fmt.Fprintf(os.Stderr, "mpire: worker process for task %q runs without a ledger: %v\n", task, err)
			ledger = nil
		}
	}

	s := &server{h: h, worker: worker, out: out, ledger: ledger, cancels: map[uint64]context.CancelFunc{}, wake: make(chan struct{}, 1)}
	// Package initialisation runs locked to the main thread, and waking a
	// locked goroutine means handing a P to its thread: serving from here
	// would pay that on every request. So both loops run on goroutines of
	// their own, and this one waits for the process to exit.
	go s.read(in)
	go s.work()
	select {}
}

// awaitHello reads the parent's hello, for up to the ticket's time, and
// checks that it carries the ticket's nonce. It returns the worker slot.
func awaitHello(commands *os.File, in *bufio.Reader, k ticket) (worker int, err error) {
	if err := commands.SetReadDeadline(time.Now().Add(k.hello)); err != nil {
		return 0, fmt.Errorf("bounding the wait for its parent's hello: %w", err)
	}
	defer commands.SetReadDeadline(time.Time{})
	var body []byte
	if err = readMagic(in); err == nil {
		_, _, body, err = readFrame(in, &helloFrames)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, fmt.Errorf("its parent sent no hello within %v", k.hello)
	}
	if err != nil {
		return 0, fmt.Errorf("its parent's hello: %w", err)
	}
	nonce, rest, ok := readBytes(body)
	w, n := binary.Varint(rest)
	switch {
	case !ok || n <= 0:
		return 0, errors.New("its parent sent a malformed hello")
	case string(nonce) != k.nonce:
		return 0, fmt.Errorf("its parent's hello does not carry the nonce of the %s variable", envTicket)
	}
	return int(w), nil
}

// A server is the child's state: requests read and not yet answered.
type server struct {
	h      Handler
	worker int
	out    *bufio.Writer
	ledger *Ledger // nil when the process has none

	mu      sync.Mutex
	queue   []*request
	cancels map[uint64]context.CancelFunc // of the requests queued or running
	wake    chan struct{}                 // signalled when queue grows
}

type request struct {
	kind byte
	id   uint64
	body []byte
	ctx  context.Context
}

// read reads commands on its own goroutine, so that a cancel reaches a
// running task and a closed pipe ends the process even while a task runs.
func (s *server) read(in *bufio.Reader) {
	for {
		kind, id, body, err := readFrame(in, &commandFrames)
		if err == io.EOF {
			// The parent closed the pipe or died: nobody wants our work.
			os.Exit(0)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "mpire: worker process: reading a command: %v\n", err)
			os.Exit(2)
		}
		switch kind {
		case kindInit, kindRun, kindExit:
			ctx, cancel := context.WithCancel(context.Background())
			s.mu.Lock()
			s.cancels[id] = cancel
			s.queue = append(s.queue, &request{kind: kind, id: id, body: body, ctx: ctx})
			s.mu.Unlock()
			select { // after Unlock: the worker it wakes takes the lock at once
			case s.wake <- struct{}{}:
			default:
			}
		case kindCancel:
			s.mu.Lock()
			cancel := s.cancels[id]
			s.mu.Unlock()
			if cancel != nil {
				cancel()
			}
		default:
			fmt.Fprintf(os.Stderr, "mpire: worker process: unknown command %d from its parent\n", kind)
			os.Exit(2)
		}
	}
}

// work answers the requests one by one, in order. It never returns.
func (s *server) work() {
	for {
		req := s.next()
		err := writeFrame(s.out, kindReply, req.id, nil, s.handle(req))
		if err == nil {
			err = s.out.Flush()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "mpire: worker process: writing a reply: %v\n", err)
			os.Exit(2)
		}
		s.mu.Lock()
		s.cancels[req.id]()
		delete(s.cancels, req.id)
		s.mu.Unlock()
	}
}

func (s *server) next() *request {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			req := s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return req
		}
		s.mu.Unlock()
		<-s.wake
	}
}

// handle runs one request and returns its reply. A request cancelled while
// queued does not start. A panic that escapes the Handler becomes the
// reply's error; a runtime.Goexit ends the process, as a worker that died.
func (s *server) handle(req *request) []byte {
	phase := phaseOf(req.kind)
	if err := req.ctx.Err(); err != nil {
		index := -1
		if phase == wire.PhaseRun {
			index = 0
		}
		return wire.AppendReply(nil, &wire.Reply{Err: &wire.Error{Phase: phase, Kind: wire.Canceled, Index: index, Msg: err.Error()}})
	}
	var l *Ledger
	if phase == wire.PhaseRun && s.ledger != nil {
		l = s.ledger
		l.begin(req.id)
	}
	var rep []byte
	o := catch.Do(func() { rep = s.h.Handle(req.ctx, s.worker, phase, req.body, l) }, func(catch.Outcome) {
		fmt.Fprintln(os.Stderr, "mpire: worker process: the task called runtime.Goexit")
		os.Exit(2)
	})
	if o.Panicked {
		rep = wire.AppendReply(nil, &wire.Reply{Err: &wire.Error{Phase: phase, Kind: wire.Panicked, Index: -1, Msg: fmt.Sprint(o.Value), Stack: o.Stack}})
	}
	return rep
}
