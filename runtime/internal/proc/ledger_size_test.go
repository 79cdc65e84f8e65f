package proc

import (
	"encoding/binary"
	"os"
	"testing"
)

// TestALedgerLargerThanOneGrowsIsRefused: a child may make its ledger's file
// as long as it likes (it grows it itself, with ftruncate), and claim entries
// over all of it. No ledger grows past ledgerMax: the parent refuses such a
// file without reading it, instead of making room for all the child claims,
// which for a file of a terabyte, sparse and free to make, ends the parent.
func TestALedgerLargerThanOneGrowsIsRefused(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "ledger")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := int64(ledgerMax + 4096) // sparse: it costs no disk
	if err := f.Truncate(size); err != nil {
		t.Skipf("no sparse file of %d bytes here: %v", size, err)
	}
	var h [ledgerStart]byte
	binary.LittleEndian.PutUint64(h[atID:], 1)
	binary.LittleEndian.PutUint64(h[atDone:], 0)
	binary.LittleEndian.PutUint64(h[atUsed:], uint64(size-ledgerStart))
	if _, err := f.WriteAt(h[:], 0); err != nil {
		t.Fatal(err)
	}
	if rec, err := readLedger(f); err == nil {
		t.Fatalf("readLedger of a %d-byte file = %d results, %d bytes; want it refused", size, rec.done, len(rec.results))
	}
}
