//go:build !linux && !darwin

package proc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

var errUnsupported = fmt.Errorf("mpire: worker processes are not supported on %s (Linux and macOS only)", runtime.GOOS)

const primeFingerprint = false

func executable() (string, error) { return "", errUnsupported }

func prepareFD(fd int) error { return errUnsupported }

func spawn(cmd *exec.Cmd, cpus []int) (release func(), err error) { return nil, errUnsupported }

func killedBySignal(st *os.ProcessState) bool { return false }

func checkPipe(fd int, id string, write bool) error { return errUnsupported }

func pipeID(f *os.File) (string, error) { return "", errUnsupported }

func fileID(fi os.FileInfo) (string, error) { return "", errUnsupported }

func fileIdentity(path string) (string, error) { return "", errUnsupported }

func killGroup(pgid int) {}

func waitExited(pid int) bool { return false }

// exited is false: Alive relies on the waiter alone here.
func exited(int) bool { return false }

// pipeUnread returns 0: it cannot tell what a pipe holds here.
func pipeUnread(f *os.File) int { return 0 }
