package proc

import "golang.org/x/sys/unix"

// exited reports whether process pid, a child of this one, has exited,
// without reaping it: its waiter reaps it and reports how it ended. (While
// the waiter reaps it, it is neither: then Err soon says.)
func exited(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != nil || info.Signo == int32(unix.SIGCHLD)
}
