//go:build !linux

package proc

import (
	"errors"
	"os"
)

// newLedgerFile returns nil: a ledger is a memfd, which only Linux has.
// Elsewhere, a worker process that dies during a run loses the results of
// the run, and its death is charged to the run's first task.
func newLedgerFile() *os.File { return nil }

var errNoLedgers = errors.New("ledgers are supported on Linux only")

// checkLedger and openLedger are never called: no ticket names a ledger
// here.
func checkLedger(id string) error { return errNoLedgers }

func openLedger() (*Ledger, error) { return nil, errNoLedgers }
