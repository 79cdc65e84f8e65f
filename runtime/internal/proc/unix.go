//go:build linux || darwin

package proc

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// pipeID names the pipe of which f is an end, for a ticket.
func pipeID(f *os.File) (string, error) {
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if fi.Mode()&os.ModeNamedPipe == 0 {
		return "", errors.New("not a pipe")
	}
	return fileID(fi)
}

// fileID names an open file by its device and inode, which no other open
// file shares.
func fileID(fi os.FileInfo) (string, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", errors.New("no device and inode")
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino), nil
}

// checkPipe checks that descriptor fd is an end of the pipe that pipeID
// named id, the write end when write is set, else the read end. It neither
// blocks nor changes anything, whatever fd is, open or not.
func checkPipe(fd int, id string, write bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO || fmt.Sprintf("%d:%d", st.Dev, st.Ino) != id {
		return errWrongPipe
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	want := unix.O_RDONLY
	if write {
		want = unix.O_WRONLY
	}
	if flags&unix.O_ACCMODE != want {
		return errWrongPipe
	}
	return nil
}

// fileIdentity names a file by where it is on disk and by its size and
// modification time: two processes that run the same unchanged file get
// the same one.
func fileIdentity(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", fmt.Errorf("no device and inode for %s", path)
	}
	return fmt.Sprintf("file:%d:%d:%d:%d", st.Dev, st.Ino, fi.Size(), fi.ModTime().UnixNano()), nil
}

// killGroup sends SIGKILL to a process group: it ends stopped processes too.
func killGroup(pgid int) {
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// killedBySignal tells whether a process ended by SIGKILL.
func killedBySignal(st *os.ProcessState) bool {
	if st == nil {
		return false
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
