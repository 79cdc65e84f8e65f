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

// pipeUnread returns 0: it cannot tell what a pipe holds here.
func pipeUnread(f *os.File) int { return 0 }
