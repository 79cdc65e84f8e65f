package proc

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// newLedgerFile makes the file of a child's ledger: a memfd, in memory,
// ledgerInitial bytes long. nil when the system will not make one: the
// child then runs without a ledger.
func newLedgerFile() *os.File {
	fd, err := unix.MemfdCreate("mpire-ledger", unix.MFD_CLOEXEC)
	if err != nil {
		return nil
	}
	if err := unix.Ftruncate(fd, ledgerInitial); err != nil {
		unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), "mpire-ledger")
}

// checkLedger checks that descriptor fdLedger is the file that fileID
// named id, a regular file no larger than a ledger grows. It neither
// blocks nor changes anything, whatever the descriptor is.
func checkLedger(id string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fdLedger, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || fmt.Sprintf("%d:%d", st.Dev, st.Ino) != id {
		return errWrongLedger
	}
	if st.Size < ledgerStart || st.Size > ledgerMax {
		return fmt.Errorf("a ledger of %d bytes", st.Size)
	}
	return nil
}

// openLedger maps the ledger of descriptor fdLedger, which checkLedger
// checked, into this process's memory.
func openLedger() (*Ledger, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fdLedger, &st); err != nil {
		return nil, err
	}
	if _, err := unix.FcntlInt(fdLedger, unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return nil, err
	}
	mem, err := mapLedger(int(st.Size))
	if err != nil {
		return nil, err
	}
	l := &Ledger{mem: mem}
	l.remap = func(n int) ([]byte, error) {
		if err := unix.Ftruncate(fdLedger, int64(n)); err != nil {
			return nil, err
		}
		mem, err := mapLedger(n)
		if err != nil {
			return nil, err
		}
		unix.Munmap(l.mem)
		return mem, nil
	}
	return l, nil
}

func mapLedger(n int) ([]byte, error) {
	return unix.Mmap(fdLedger, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}
