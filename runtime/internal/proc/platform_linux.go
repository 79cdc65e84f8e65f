package proc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

var errUnsupported error

// primeFingerprint: /proc/self/exe always opens the file this process was
// started from, even replaced or deleted, so the fingerprint can wait until
// it is needed.
const primeFingerprint = false

// executable is the file this process runs: starting /proc/self/exe starts
// the same build even when the file on disk was replaced since.
func executable() (string, error) { return "/proc/self/exe", nil }

// prepareFD makes an inherited descriptor close-on-exec and non-blocking.
func prepareFD(fd int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return err
	}
	return unix.SetNonblock(fd, true)
}

// spawner is the OS thread that starts every child, and stays while one
// runs. Pdeathsig kills a child when the thread that started it ends, not
// the process (golang/go#27505): started from an ordinary goroutine, a child
// would die whenever that thread ended, as it does under any goroutine that
// returns while locked to it. The spawner's goroutine is locked to its
// thread and only ends when no child is left, so its children's Pdeathsig
// fires only when this process dies. Its thread's CPU affinity is also what
// a child inherits, from its first instruction: setting it there pins all
// of the child's threads, which sched_setaffinity on the child's pid (its
// main thread only) once it runs would not.
var spawner struct {
	sync.Mutex
	live int         // children started and not yet waited for
	jobs chan func() // nil when the spawner's goroutine is not running
}

func spawn(cmd *exec.Cmd, cpus []int) (release func(), err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	spawner.Lock()
	if spawner.jobs == nil {
		spawner.jobs = make(chan func())
		go runSpawner(spawner.jobs)
	}
	spawner.live++ // keeps the spawner running while we use it
	jobs := spawner.jobs
	spawner.Unlock()
	release = func() {
		spawner.Lock()
		defer spawner.Unlock()
		if spawner.live--; spawner.live == 0 {
			close(spawner.jobs)
			spawner.jobs = nil
		}
	}
	done := make(chan error)
	jobs <- func() { done <- startPinned(cmd, cpus) }
	if err = <-done; err != nil {
		release()
		return nil, err
	}
	return release, nil
}

func runSpawner(jobs chan func()) {
	// Never unlocked: the thread ends with this goroutine, once no child
	// started from it is left.
	runtime.LockOSThread()
	for job := range jobs {
		job()
	}
}

// startPinned starts cmd from the calling thread with its affinity set to
// cpus, then puts the thread's affinity back.
func startPinned(cmd *exec.Cmd, cpus []int) error {
	if cpus == nil {
		return cmd.Start()
	}
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return fmt.Errorf("reading CPU affinity: %w", err)
	}
	for _, id := range cpus {
		if id < 0 || id >= len(set)*64 {
			return fmt.Errorf("cannot pin to CPU %d: no such CPU", id)
		}
		set.Set(id)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pinning to CPUs %v: %w", cpus, err)
	}
	defer unix.SchedSetaffinity(0, &old)
	return cmd.Start()
}

// waitExited waits for the process pid, a child of this one, to exit, and
// leaves it a zombie, not reaped: its pid is not reused until it is. It
// returns false when it could not wait.
func waitExited(pid int) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err == nil
		}
	}
}

// exited reports whether process pid, a child of this one, has exited,
// without waiting and without reaping it.
func exited(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != nil || info.Signo == int32(unix.SIGCHLD)
}

// pipeUnread returns how many bytes written on f, a pipe, no one has read
// yet; 0 when it cannot tell.
func pipeUnread(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ); err == nil {
			n = v
		}
	})
	return n
}
