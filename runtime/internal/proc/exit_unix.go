//go:build linux || darwin

package proc

import (
	"os"
	"syscall"
)

// killedBySignal tells whether a process ended by SIGKILL.
func killedBySignal(st *os.ProcessState) bool {
	if st == nil {
		return false
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
