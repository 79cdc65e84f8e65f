package proc

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// Config says which worker process to start.
type Config struct {
	Task   string    // the task it serves: the name given to Serve
	Worker int       // the worker slot, handed to every Handler call
	CPUs   []int     // pin the whole process to these CPUs (Linux only); nil: not pinned
	Stdout io.Writer // where its stdout goes; nil: this process's stdout
	Stderr io.Writer // where its stderr goes, besides the last lines kept for ExitError; nil: this process's stderr

	exe     string        // the binary to run, when not this one: tests start other builds
	hello   time.Duration // how long the child waits for this side's hello; 0: helloTimeout
	noHello bool          // send the child no hello: tests of its wait
}

// A Child is a worker process, started by Start. Its methods are safe for
// concurrent use; calls made concurrently are answered in the order they
// reach the child, one at a time, so a few calls in flight keep it busy.
type Child struct {
	cmd *exec.Cmd
	pid int

	wmu  sync.Mutex // one frame at a time on the command pipe
	cmdW *os.File
	bw   *bufio.Writer
	repR *os.File

	mu      sync.Mutex
	next    uint64            // id of the next request
	pending map[uint64]waiter // requests without a reply
	closed  bool              // Close or Kill was called: no new request
	exitErr *ExitError        // set when dead closes
	unread  int               // bytes of commands it never read, measured when it died

	killed atomic.Bool
	reapMu sync.Mutex
	reaped bool // the process was reaped: its pid, its group's id, may name another

	protoMu sync.Mutex
	proto   error // a broken protocol: why the reader killed the child

	ledger *os.File // the child's ledger, closed once it died; nil when it has none

	stderr   *tail
	hello    chan error    // the handshake's outcome
	readDone chan struct{} // the reply reader stopped
	exited   chan struct{} // the process has exited
	dead     chan struct{} // the process was waited for and every call answered
	closeW   sync.Once
}

type result struct {
	reply []byte
	err   error
}

// A waiter is a request without a reply.
type waiter struct {
	ch  chan result
	run bool // a run: the ledger may tell how far it went
}

// Start starts a worker process for cfg.Task: this binary again, which
// serves the task from the Serve call in its package initialisation (see
// the package documentation), and checks that it is the same build. ctx
// bounds the start: when it is done before the child has answered, the
// child is killed. Every error wraps ErrStart.
//
// Its protocol runs on descriptors 3 and 4 of the child, its stdout goes to
// cfg.Stdout and its stderr to cfg.Stderr, of which it also keeps the last
// lines for ExitError. On Linux the child is pinned to cfg.CPUs from its
// first instruction, gets SIGKILL if the thread that started it ends (a
// backup: a closed command pipe already ends it). It runs in its own
// process group, so that the terminal's Ctrl-C reaches the parent, which
// cancels its calls, and not the workers, which would die in the middle;
// and so that the programs its tasks start end with it (see Kill).
func Start(ctx context.Context, cfg Config) (*Child, error) {
	c, err := startChild(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w for task %q: %w", ErrStart, cfg.Task, err)
	}
	return c, nil
}

func startChild(ctx context.Context, cfg Config) (*Child, error) {
	if errUnsupported != nil {
		return nil, errUnsupported
	}
	exe := cfg.exe
	if exe == "" {
		if _, ok := served.Load(cfg.Task); !ok {
			return nil, fmt.Errorf("no Serve(%q, ...) ran in this binary's initialisation, so a worker process could not serve it", cfg.Task)
		}
		var err error
		if exe, err = executable(); err != nil {
			return nil, fmt.Errorf("finding this binary: %w", err)
		}
	}
	fp, err := selfFingerprint()
	if err != nil {
		return nil, fmt.Errorf("fingerprinting this binary: %w", err)
	}

	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, err
	}
	k := ticket{nonce: rand.Text(), hello: cmp.Or(cfg.hello, helloTimeout)}
	k.commands, err = pipeID(cmdR)
	if err == nil {
		k.replies, err = pipeID(repW)
	}
	// Without a ledger, the child works as well; its crash loses more.
	ledger := newLedgerFile()
	if err == nil && ledger != nil {
		var fi os.FileInfo
		if fi, err = ledger.Stat(); err == nil {
			k.ledger, err = fileID(fi)
		}
	}
	if err != nil {
		for _, f := range []*os.File{cmdR, cmdW, repR, repW, ledger} {
			f.Close()
		}
		return nil, err
	}
	stdout, stderr := cfg.Stdout, cfg.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	c := &Child{
		cmdW: cmdW, bw: bufio.NewWriterSize(cmdW, 64<<10), repR: repR, ledger: ledger,
		pending: map[uint64]waiter{}, stderr: &tail{w: stderr},
		hello: make(chan error, 1), readDone: make(chan struct{}), exited: make(chan struct{}), dead: make(chan struct{}),
	}
	cmd := exec.Command(exe)
	if len(os.Args) > 0 {
		cmd.Args = []string{os.Args[0]} // none of ours: main never runs
	}
	cmd.Env, k.gorace = environ()
	cmd.Env = append(cmd.Env, envTask+"="+cfg.Task, envTicket+"="+k.String())
	cmd.ExtraFiles = []*os.File{cmdR, repW} // descriptors 3 and 4
	if ledger != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, ledger) // and 5
	}
	cmd.Stdout = stdout
	cmd.Stderr = c.stderr
	// A program the task started may hold the child's stderr open after it
	// died: stop waiting for it after a while.
	cmd.WaitDelay = time.Second
	c.cmd = cmd
	release, err := spawn(cmd, cfg.CPUs)
	cmdR.Close() // the child's ends: it holds them now
	repW.Close()
	if err != nil {
		cmdW.Close()
		repR.Close()
		ledger.Close()
		return nil, err
	}
	c.pid = cmd.Process.Pid
	go c.wait(release)
	go c.read(fp, cfg.Task)

	if !cfg.noHello {
		var hello []byte
		hello = appendBytes(hello, []byte(k.nonce))
		hello = binary.AppendVarint(hello, int64(cfg.Worker))
		c.wmu.Lock()
		c.bw.WriteString(magic)
		writeFrame(c.bw, kindHello, 0, hello, nil)
		c.bw.Flush() // a child that died early is reported below
		c.wmu.Unlock()
	}

	select {
	case err = <-c.hello:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		if err == errExitedEarly { // its death says more: wait for it
			select {
			case <-c.dead:
			case <-ctx.Done():
			}
		}
		c.Kill()
		return nil, fmt.Errorf("%w: %w", err, c.exitErr)
	}
	return c, nil
}

// Pid returns the child's process id.
func (c *Child) Pid() int { return c.pid }

// Request sends a request of phase with body (a wire request) to the
// child's Handler and returns the body of its reply (a wire.Reply), which
// the caller checks. The error is an *ExitError when the child died or was
// killed before replying, or ErrClosed after Close or Kill. When ctx is
// done first, Request asks the child to cancel the request and goes on
// waiting for its reply: a task that ignores its context holds the request
// until the child is killed.
func (c *Child) Request(ctx context.Context, phase wire.Phase, body []byte) ([]byte, error) {
	if uint64(len(body)) > maxFrame-16 {
		return nil, fmt.Errorf("mpire: a request of %d bytes is larger than a worker process takes (%d)", len(body), uint64(maxFrame-16))
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	ch := make(chan result, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if c.exitErr != nil {
		c.mu.Unlock()
		return nil, c.exitErr
	}
	id := c.next
	c.next++
	c.pending[id] = waiter{ch: ch, run: phase == wire.PhaseRun}
	c.mu.Unlock()

	// A child that cannot hear its requests is as good as dead: kill it,
	// and its death answers ch.
	sendErr := c.send(kindOf(phase), id, body)
	if sendErr != nil {
		c.broken(fmt.Errorf("its command pipe broke: %w", sendErr))
	}
	var r result
	cancelled := false
	select {
	case r = <-ch:
	case <-ctx.Done():
		cancelled = true
		c.send(kindCancel, id, nil)
		r = <-ch
	}
	if ee, ok := r.err.(*ExitError); ok {
		c.mu.Lock()
		unread := c.unread
		c.mu.Unlock()
		// A send that failed never reached it; bytes left in the pipe
		// when it died, with no cancel after the request, are the
		// request's own, which it never read whole.
		if sendErr != nil || (unread > 0 && !cancelled) {
			r.err = fmt.Errorf("%w: %w", ErrNotDelivered, ee)
		}
	}
	return r.reply, r.err
}

func (c *Child) send(kind byte, id uint64, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := writeFrame(c.bw, kind, id, nil, payload); err != nil {
		return err
	}
	return c.bw.Flush()
}

// broken kills the child, which can no longer speak the protocol, unless it
// has exited by itself, which says more.
func (c *Child) broken(err error) {
	select {
	case <-c.exited:
	case <-time.After(time.Second):
		c.abort(err)
	}
}

// abort kills the child because the protocol cannot go on.
func (c *Child) abort(err error) {
	c.protoMu.Lock()
	if c.proto == nil {
		c.proto = err
	}
	c.protoMu.Unlock()
	c.killed.Store(true)
	c.killGroup()
}

// killGroup sends SIGKILL to the child's process group: the child and the
// programs its tasks started there, stopped ones included. Only until the
// child is reaped: its pid, which is the group's id, may then name another.
func (c *Child) killGroup() {
	c.reapMu.Lock()
	defer c.reapMu.Unlock()
	if !c.reaped {
		killGroup(c.pid)
	}
}

func (c *Child) setReaped() {
	c.reapMu.Lock()
	c.reaped = true
	c.reapMu.Unlock()
}

// read reads the child's hello, then its replies, until its reply pipe
// closes (it died) or breaks.
func (c *Child) read(fp, task string) {
	defer close(c.readDone)
	r := bufio.NewReaderSize(c.repR, 64<<10)
	err := readHello(r, fp, task)
	c.hello <- err
	if err != nil {
		return // Start kills it
	}
	for {
		_, id, body, err := readFrame(r, &replyFrames)
		if err == io.EOF || err == io.ErrUnexpectedEOF || errors.Is(err, os.ErrClosed) {
			// It died, possibly while it wrote, and its death explains; or
			// it closed its replies while it lives on, and can answer no
			// call: it is killed.
			c.broken(errors.New("its replies ended while it ran"))
			return
		}
		var ch chan result
		if err == nil { // a call is answered once: by its reply, or by the child's death
			c.mu.Lock()
			if w, ok := c.pending[id]; ok {
				ch = w.ch
				delete(c.pending, id)
			} else {
				err = fmt.Errorf("a reply to request %d, which is not waiting for one", id)
			}
			c.mu.Unlock()
		}
		if err != nil {
			c.abort(fmt.Errorf("its replies broke the protocol: %w", err))
			return
		}
		ch <- result{reply: body}
	}
}

var errExitedEarly = errors.New("it exited before it served the task")

func readHello(r *bufio.Reader, fp, task string) error {
	if err := readMagic(r); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return errExitedEarly
		}
		return err
	}
	_, _, body, err := readFrame(r, &helloFrames)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errExitedEarly
	}
	if err != nil {
		return err
	}
	theirs, rest, ok1 := readBytes(body)
	theirTask, _, ok2 := readBytes(rest)
	switch {
	case !ok1 || !ok2:
		return errors.New("its hello is malformed")
	case string(theirs) != fp:
		return fmt.Errorf("%w: its fingerprint is %s, this process's %s; was the binary replaced on disk?", ErrMismatch, theirs, fp)
	case string(theirTask) != task:
		return fmt.Errorf("it serves task %q", theirTask)
	}
	return nil
}

// wait waits for the process to end, then for its last replies to be read,
// and answers every call still waiting with the *ExitError.
//
// What the child's tasks started in its process group ends with it, however
// it ended: killed before it is reaped, while its pid still names the group.
func (c *Child) wait(release func()) {
	if waitExited(c.pid) {
		c.killGroup()
		c.setReaped()
	}
	werr := c.cmd.Wait()
	c.setReaped()
	c.wmu.Lock() // no command half written
	unread := pipeUnread(c.cmdW)
	c.wmu.Unlock()
	c.mu.Lock()
	c.unread = unread
	c.mu.Unlock()
	close(c.exited)
	release()
	// Replies written before the child died are still in the pipe: let the
	// reader deliver them, unless something else holds the pipe open.
	select {
	case <-c.readDone:
	case <-time.After(time.Second):
		c.repR.Close()
		<-c.readDone
	}
	c.repR.Close()
	c.closeW.Do(func() { c.cmdW.Close() })

	// Killed only when our SIGKILL is what ended it: a child that crashed
	// just as it was being killed reports its own death.
	ee := &ExitError{Pid: c.pid, State: c.cmd.ProcessState}
	ee.Killed = c.killed.Load() && killedBySignal(ee.State)
	c.protoMu.Lock()
	ee.Err = c.proto
	c.protoMu.Unlock()
	// An *exec.ExitError says no more than State; ErrWaitDelay only says
	// that something the child started still holds its stderr.
	var xe *exec.ExitError
	if werr != nil && !errors.As(werr, &xe) && !errors.Is(werr, exec.ErrWaitDelay) && ee.Err == nil {
		ee.Err = werr
	}
	ee.Fatal, ee.Stderr = c.stderr.last()

	// A run during which it died by itself may have a record in its
	// ledger; one it was killed for, or that broke the protocol, has none
	// that this side would trust.
	rec, recErr := record{}, errNoRecord
	if c.ledger != nil {
		if !ee.Killed && ee.Err == nil && c.running() {
			rec, recErr = readLedger(c.ledger)
		}
		c.ledger.Close()
	}

	c.mu.Lock()
	c.exitErr = ee
	for id, w := range c.pending {
		var err error = ee
		if w.run && recErr == nil && rec.id == id {
			err = &Interrupted{Exit: ee, Done: rec.done, Results: rec.results}
		}
		w.ch <- result{err: err}
		delete(c.pending, id)
	}
	c.mu.Unlock()
	close(c.dead)
}

// running reports whether a run waits for its reply.
func (c *Child) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.pending {
		if w.run {
			return true
		}
	}
	return false
}

// Alive reports whether the child may still serve requests: false once it
// was closed, killed, or has exited, even while idle and not yet reaped.
func (c *Child) Alive() bool {
	c.mu.Lock()
	gone := c.closed || c.exitErr != nil
	c.mu.Unlock()
	return !gone && !exited(c.pid)
}

// Dead is closed when the child has ended and every call has been answered;
// Err then says how it ended.
func (c *Child) Dead() <-chan struct{} { return c.dead }

// Err returns nil while the child runs, then the *ExitError that says how
// it ended.
func (c *Child) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exitErr == nil {
		return nil
	}
	return c.exitErr
}

// Kill kills the child with SIGKILL, and with it every program its tasks
// started in its process group, stopped ones included; it returns once the
// child is reaped and every call has been answered. A program that a task
// put in a process group or session of its own is not killed.
func (c *Child) Kill() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.killed.Store(true)
	c.killGroup()
	<-c.dead
}

// Close closes the child's command pipe, which ends it, waits up to grace
// for it to exit, then kills it as Kill does; it always returns, a stopped
// child too. It returns nil when the child exited cleanly, else its
// *ExitError. Calls in flight are answered with the *ExitError: call Exit
// first for a clean stop. On Linux, the programs its tasks started in its
// process group are killed once it has exited.
func (c *Child) Close(grace time.Duration) error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.closeW.Do(func() { c.cmdW.Close() })
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.dead:
	case <-t.C:
		c.Kill()
	}
	if ee := c.exitErr; ee.Killed || ee.State == nil || !ee.State.Success() {
		return ee
	}
	return nil
}
