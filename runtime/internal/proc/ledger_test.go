package proc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"slices"
	"testing"

	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// ledgers tells whether worker processes have ledgers on this system.
const ledgers = runtime.GOOS == "linux"

// heapLedger returns a ledger in this process's memory, of size bytes, that
// grows up to max bytes.
func heapLedger(size, max int) *Ledger {
	l := &Ledger{mem: make([]byte, size)}
	l.remap = func(n int) ([]byte, error) {
		if n > max {
			return nil, errors.New("full")
		}
		return append(l.mem, make([]byte, n-len(l.mem))...), nil
	}
	return l
}

// TestLedgerRecords records results of every size, made in place and not,
// across growths, and reads them back as the parent does.
func TestLedgerRecords(t *testing.T) {
	l := heapLedger(ledgerStart+10, 1<<20)
	var want [][]byte
	for i := range 40 {
		want = append(want, bytes.Repeat([]byte{byte(i)}, i*i)) // up to 1521 bytes: a length of two bytes
	}
	for run := range 3 {
		l.begin(uint64(run))
		l.SetEncoder(func(b []byte, i int) []byte {
			if i%3 == 0 {
				return append(b, want[i]...)
			}
			return want[i] // made elsewhere
		})
		for i := range want {
			l.Track(i + 1)
			rec, err := readRecord(l.mem)
			if err != nil || rec.id != uint64(run) || rec.done != i+1 || rec.done != l.done || !bytes.Equal(rec.results, l.entries()) {
				t.Fatalf("run %d, result %d: %+v, %v", run, i, rec, err)
			}
		}
		b := l.entries()
		for i, w := range want {
			e, rest, err := wire.NextEntry(b)
			if err != nil || !bytes.Equal(e, w) {
				t.Fatalf("run %d: entry %d = %q, %v; want %q", run, i, e, err, w)
			}
			b = rest
		}
		if len(b) != 0 {
			t.Fatalf("run %d: %d bytes after the entries", run, len(b))
		}
	}
}

// TestLedgerOff: a ledger records nothing before its encoder is set, nor
// after a result it cannot hold; the next run records again.
func TestLedgerOff(t *testing.T) {
	l := heapLedger(ledgerStart+100, ledgerStart+100)
	l.begin(7)
	l.Track(5)
	if l.done != 0 {
		t.Fatalf("%d results recorded without an encoder", l.done)
	}
	encs := [][]byte{[]byte("small"), make([]byte, 200), []byte("small")}
	l.SetEncoder(func(b []byte, i int) []byte { return append(b, encs[i]...) })
	l.Track(3)
	if l.done != 1 {
		t.Fatalf("%d results recorded, want the 1 before the one too large", l.done)
	}
	rec, err := readRecord(l.mem)
	if err != nil || rec.id != 7 || rec.done != 1 {
		t.Fatalf("record %+v, %v", rec, err)
	}
	l.begin(8)
	l.SetEncoder(func(b []byte, i int) []byte { return append(b, "small"...) })
	if l.Track(1); l.done != 1 {
		t.Fatalf("the next run records nothing")
	}
}

// TestLedgerWriteOrder: a death between any two stores of a result's
// recording leaves a record of whole results: the one being recorded, or
// not.
func TestLedgerWriteOrder(t *testing.T) {
	l := heapLedger(1<<10, 1<<10)
	l.begin(1)
	encs := []string{"first", "second"}
	l.SetEncoder(func(b []byte, i int) []byte { return append(b, encs[i]...) })
	l.Track(1)
	before := slices.Clone(l.mem)
	l.Track(2)
	after := slices.Clone(l.mem)
	// Replay the stores from before to after one byte at a time, in the
	// order the ledger makes them: the entry, then the bytes used, then
	// the count.
	order := []int{}
	for i := ledgerStart; i < len(after); i++ {
		if before[i] != after[i] {
			order = append(order, i)
		}
	}
	for i := atUsed; i < atUsed+8; i++ {
		order = append(order, i)
	}
	for i := atDone; i < atDone+8; i++ {
		order = append(order, i)
	}
	first := wire.AppendEntry(nil, []byte("first"))
	mem := slices.Clone(before)
	for k, i := range order {
		mem[i] = after[i]
		rec, err := readRecord(mem)
		if err != nil {
			t.Fatalf("after %d stores: %v", k+1, err)
		}
		switch rec.done {
		case 1:
			if !bytes.Equal(rec.results, first) {
				t.Fatalf("after %d stores: %q", k+1, rec.results)
			}
		case 2:
			if !bytes.Equal(rec.results, wire.AppendEntry(first, []byte("second"))) {
				t.Fatalf("after %d stores: %q", k+1, rec.results)
			}
		default:
			t.Fatalf("after %d stores: %d results", k+1, rec.done)
		}
	}
}

// TestForgedLedgers: what a child may leave in its ledger that the parent
// must not trust.
func TestForgedLedgers(t *testing.T) {
	header := func(id, done, used uint64, entries ...byte) []byte {
		b := make([]byte, ledgerStart)
		binary.LittleEndian.PutUint64(b[atID:], id)
		binary.LittleEndian.PutUint64(b[atDone:], done)
		binary.LittleEndian.PutUint64(b[atUsed:], used)
		return append(b, entries...)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"short", make([]byte, ledgerStart-1)},
		{"no run", header(0, 0, 0)},
		{"more bytes than it holds", header(1, 1, 3, 1, 'x')},
		{"2^64-1 bytes", header(1, 1, 1<<64-1, 1, 'x')},
		{"more results than bytes", header(1, 3, 2, 1, 'x')},
		{"2^64-1 results", header(1, 1<<64-1, 2, 1, 'x')},
		{"an entry past the bytes used", header(1, 1, 2, 2, 'x', 'y')},
		{"an entry of 2^64-1 bytes", header(1, 1, 11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'x')},
		{"a malformed length", header(1, 1, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rec, err := readRecord(tc.b); err == nil {
				t.Errorf("readRecord = %+v", rec)
			}
		})
	}
}

func FuzzReadRecord(f *testing.F) {
	l := heapLedger(ledgerStart+64, ledgerStart+64)
	l.begin(3)
	encs := []string{"abc", ""}
	l.SetEncoder(func(b []byte, i int) []byte { return append(b, encs[i]...) })
	l.Track(2)
	f.Add(slices.Clone(l.mem))
	f.Add(make([]byte, ledgerStart))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := readRecord(b)
		if err != nil {
			return
		}
		// Whole entries, within b, as many as it says.
		if rec.done < 0 || len(rec.results) > len(b) {
			t.Fatalf("accepted %+v", rec)
		}
		rest := rec.results
		for range rec.done {
			if _, rest, err = wire.NextEntry(rest); err != nil {
				t.Fatalf("entries of %+v: %v", rec, err)
			}
		}
		if len(rest) != 0 {
			t.Fatalf("%d bytes after the entries of %+v", len(rest), rec)
		}
	})
}
