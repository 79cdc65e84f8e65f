//go:build linux || darwin

package proc

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// The test handler serves testTask in the test binary started again: Serve
// runs from this init, before TestMain, as generated code will.
const testTask = "proc-test"

func init() { Serve(testTask, &testHandler{}) }

// Task arguments below zero are commands; any other x gives 2x.
const (
	opExit3     = -1  // os.Exit(3)
	opSigkill   = -2  // SIGKILL itself
	opOverflow  = -3  // overflow its stack: a Go fatal error
	opPanic     = -4  // panic, caught by Serve
	opLoop      = -5  // say "looping" on stderr, then loop forever, deaf to its context
	opGarbage   = -6  // print garbage to stdout and stderr, then give 0
	opWait      = -7  // say "waiting" on stderr, then wait for its context
	opError     = -8  // fail with an error
	opShared    = -9  // give the length of the shared object
	opGoexit    = -10 // runtime.Goexit
	opGrandkids = -11 // start a program in a process group of its own, say "grandchild PID", then os.Exit(4)
	opSabotage  = -12 // write garbage on the protocol's reply descriptor
	opDaemon    = -13 // start a program in a process group of its own holding its stderr, say "grandchild PID"

	opSubprocess     = -14 // start nohup sleep 60 in the worker's process group, say "subprocess PID", wait for it, deaf to its context
	opSubprocessExit = -15 // start nohup sleep 60 in the worker's process group, say "subprocess PID", then os.Exit(5)
	opForgeCancel    = -16 // write the header of a cancel frame of 1000 bytes on the reply descriptor, then give 2x
	opForgeHello     = -17 // write the header of a hello frame of 2 GiB on the reply descriptor, then give 2x
	opEnv            = -18 // say "GORACE=value" or "GORACE unset" on stderr: what the programs it starts inherit
	opScribble       = -19 // write random bytes over its ledger, its header but the run's id included, then os.Exit(6)
	opForgeLedger    = -20 // record the results of 1000 tasks in its ledger, then os.Exit(7)
)

// forged holds the frame headers that the opForge operations write: a
// length, then a kind that the parent never reads after the handshake.
var forged = map[int64][]byte{
	opForgeCancel: {0xe8, 0x03, 0, 0, kindCancel},
	opForgeHello:  {0, 0, 0, 0x80, kindHello},
}

type testHandler struct {
	shared []byte
	tasks  int
}

// Handle answers the parent as the runtime's handler does, in wire replies,
// from Init, Run and Exit below.
func (h *testHandler) Handle(ctx context.Context, worker int, phase wire.Phase, body []byte, l *Ledger) []byte {
	var rep wire.Reply
	var err error
	start := time.Now()
	switch phase {
	case wire.PhaseInit:
		err = h.Init(ctx, worker, body)
	case wire.PhaseRun:
		rep.Payload, rep.N, err = h.Run(ctx, worker, body, l)
	case wire.PhaseExit:
		rep.Payload, err = h.Exit(ctx, worker)
	}
	rep.Took = max(time.Since(start), 1)
	if err != nil {
		e := &wire.Error{Phase: phase, Index: -1, Msg: err.Error()}
		if phase == wire.PhaseRun {
			e.Index = rep.N
		}
		switch {
		case errors.Is(err, context.Canceled):
			e.Kind = wire.Canceled
		case errors.Is(err, context.DeadlineExceeded):
			e.Kind = wire.DeadlineExceeded
		}
		rep.Err = e
	}
	return wire.AppendReply(nil, &rep)
}

// ask makes a request of c and decodes its reply: the error is the
// transport's, or the Handler's *wire.Error.
func ask(c *Child, ctx context.Context, phase wire.Phase, body []byte) (wire.Reply, error) {
	raw, err := c.Request(ctx, phase, body)
	if err != nil {
		return wire.Reply{}, err
	}
	tasks := 0
	if phase == wire.PhaseRun {
		tasks = len(body) / 8 // the test handler's tasks: one int64 each
	}

	rep, err := wire.ParseReply(raw, phase, tasks)
	if err != nil {
		return rep, err
	}
	if rep.Err != nil {
		return rep, rep.Err
	}
	return rep, nil
}

func (h *testHandler) Init(ctx context.Context, worker int, shared []byte) error {
	switch string(shared) {
	case "fail":
		return errors.New("init refused")
	case "panic":
		panic(errors.New("init panicked"))
	}
	h.shared = shared
	return nil
}

// Run runs the tasks of args and returns their results, 8 bytes each;
// with a ledger, it records each result there too, as the runtime does.
func (h *testHandler) Run(ctx context.Context, worker int, args []byte, l *Ledger) ([]byte, int, error) {
	xs := decodeInts(args)
	out := make([]byte, 0, 8*len(xs))
	if l != nil {
		l.SetEncoder(func(b []byte, i int) []byte { return append(b, out[8*i:8*i+8]...) })
	}
	for i, x := range xs {
		if l != nil {
			l.Track(i)
		}
		r := 2 * x
		switch x {
		case opExit3:
			os.Exit(3)
		case opSigkill:
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case opOverflow:
			debug.SetMaxStack(1 << 20) // a fast overflow
			r = recurse(1)
		case opPanic:
			panic("boom")
		case opLoop:
			fmt.Fprintln(os.Stderr, "looping")
			for {
			}
		case opGarbage:
			os.Stdout.WriteString(magic + "\x00\x01\xffgarbage on stdout\n")
			os.Stderr.WriteString("garbage on stderr \x00\xff\n")
			r = 0
		case opWait:
			fmt.Fprintln(os.Stderr, "waiting")
			<-ctx.Done()
			return out, i, ctx.Err()
		case opError:
			return out, i, fmt.Errorf("bad input %d", x)
		case opShared:
			r = int64(len(h.shared))
		case opGoexit:
			runtime.Goexit()
		case opSabotage:
			os.NewFile(fdReplies, "replies").WriteString("garbage on the protocol's descriptor\n")
		case opGrandkids, opDaemon:
			cmd := exec.Command("sleep", "60")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // out of reach of a kill of the worker's group
			if x == opDaemon {
				cmd.Stderr = os.Stderr
			}
			if err := cmd.Start(); err != nil {
				return out, i, err
			}
			fmt.Fprintf(os.Stderr, "grandchild %d\n", cmd.Process.Pid)
			if x == opGrandkids {
				os.Exit(4)
			}
		case opSubprocess, opSubprocessExit:
			// Deaf to the SIGHUP that the kernel sends to a process group
			// left with stopped members when the worker dies.
			cmd := exec.Command("nohup", "sleep", "60")
			if err := cmd.Start(); err != nil {
				return out, i, err
			}
			fmt.Fprintf(os.Stderr, "subprocess %d\n", cmd.Process.Pid)
			if x == opSubprocessExit {
				os.Exit(5)
			}
			cmd.Wait()
		case opForgeCancel, opForgeHello:
			os.NewFile(fdReplies, "replies").Write(forged[x])
		case opEnv:
			if v, ok := os.LookupEnv("GORACE"); ok {
				fmt.Fprintf(os.Stderr, "GORACE=%s\n", v)
			} else {
				fmt.Fprintln(os.Stderr, "GORACE unset")
			}
		case opScribble:
			id := binary.LittleEndian.Uint64(l.mem[atID:])
			rand.Read(l.mem)
			binary.LittleEndian.PutUint64(l.mem[atID:], id)
			os.Exit(6)
		case opForgeLedger:
			l.SetEncoder(func(b []byte, i int) []byte { return binary.LittleEndian.AppendUint64(b, 1) })
			l.Track(1000)
			os.Exit(7)
		}
		out = binary.LittleEndian.AppendUint64(out, uint64(r))
		h.tasks++
	}
	if l != nil {
		l.Track(len(xs))
	}
	return out, len(xs), nil
}

func (h *testHandler) Exit(ctx context.Context, worker int) ([]byte, error) {
	if string(h.shared) == "exit panics" {
		panic("exit panicked")
	}
	return fmt.Appendf(nil, "worker %d ran %d tasks", worker, h.tasks), nil
}

//go:noinline
func recurse(n int64) int64 {
	var pad [64]byte
	pad[n%64] = byte(n)
	return recurse(n+1) + int64(pad[0])
}

func encodeInts(xs ...int64) []byte {
	b := make([]byte, 0, 8*len(xs))
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}

// decodeEntries decodes results recorded in a ledger.
func decodeEntries(b []byte) ([]int64, error) {
	var xs []int64
	for len(b) > 0 {
		e, rest, err := wire.NextEntry(b)
		if err != nil {
			return xs, err
		}
		if len(e) != 8 {
			return xs, fmt.Errorf("an entry of %d bytes", len(e))
		}
		xs, b = append(xs, int64(binary.LittleEndian.Uint64(e))), rest
	}
	return xs, nil
}

func decodeInts(b []byte) []int64 {
	xs := make([]int64, len(b)/8)
	for i := range xs {
		xs[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return xs
}
