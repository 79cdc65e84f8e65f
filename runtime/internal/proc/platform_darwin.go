package proc

import (
	"errors"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

var errUnsupported error

// primeFingerprint: a path is all macOS gives for this process's binary, and
// the file there may be replaced while it runs; fingerprinting it during
// initialisation (in Serve) reads what this process runs.
const primeFingerprint = true

// executable is the path this process was started from.
func executable() (string, error) { return os.Executable() }

// prepareFD makes an inherited descriptor close-on-exec and non-blocking.
func prepareFD(fd int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return err
	}
	return unix.SetNonblock(fd, true)
}

// spawn starts cmd in its own process group (see Start). macOS has neither
// Pdeathsig nor CPU affinity.
func spawn(cmd *exec.Cmd, cpus []int) (release func(), err error) {
	if cpus != nil {
		return nil, errors.New("pinning to CPUs is supported on Linux only")
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return func() {}, cmd.Start()
}

// waitExited would wait for the process pid to exit and leave it a zombie;
// macOS has no waitid with WNOWAIT in golang.org/x/sys, so it returns false
// at once: what a task started in the worker's process group is then killed
// with the worker by Kill, Close and a broken protocol, not when the worker
// ends by itself.
func waitExited(pid int) bool { return false }

// exited is false: Alive relies on the waiter alone here.
func exited(int) bool { return false }

// pipeUnread returns 0: it cannot tell what a pipe holds here.
func pipeUnread(f *os.File) int { return 0 }
