package proc

import (
	"encoding/binary"
	"errors"
	"os"

	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// The ledger: a file shared by a worker process and its parent (a memfd,
// descriptor 5 of the child, mapped in the child's memory), where the child
// records the run it is on as it goes, with plain stores to memory, no
// system call: which request it runs, how many of its tasks have completed,
// and their results. When the child dies in the middle of a run, its
// parent reads the file and knows which task was running, and has the
// results of the tasks before it.
//
//	u64 id+1 of the run request recorded (0: none) | u64 results recorded | u64 bytes of entries | zeros up to byte 64
//	entries: each result's encoding as a wire entry (wire.NextEntry)
//
// All little-endian. The child records a result by writing its entry, then
// the count of bytes, then the count of results: a death between two
// stores leaves a ledger whose counts cover only whole entries. The stores
// of one goroutine reach the file in the order of the program: Go's
// compiler does not reorder stores, and a process that dies stops at one
// instruction, every store before it made, none after; and the parent
// reads the file only once the child has died and was reaped, never while
// it writes. Atomic stores would say as much to the reader of the code, but
// on amd64 each is a locked instruction, which costs more than all the rest
// of recording a tiny task's result.
//
// The parent trusts none of it: the counts are checked against the bytes
// the file holds (and against the request's tasks, by the caller), and
// every entry against what is left; anything wrong, and the ledger says
// nothing.
const (
	atID        = 0  // u64: the id of the run request recorded, plus 1; 0: none
	atDone      = 8  // u64: results recorded
	atUsed      = 16 // u64: bytes of entries
	ledgerStart = 64 // the first entry

	ledgerInitial = 1 << 20 // the file's size when it is made: pages are allocated as they are written
	ledgerMax     = 1 << 30 // the largest it grows to
)

// A Ledger is where a worker process records the run it is on: as each
// task of the run starts, the results of the tasks before it (Track), and
// when the process dies, its parent reads there the task it was on and
// the results of those before (Interrupted). Until then the ledger is only
// written: the results reach the parent in the reply.
//
// A Ledger is used by one goroutine at a time: the one that runs the task
// starting.
type Ledger struct {
	mem    []byte                      // the file, mapped; mem[:len(mem)] is within it
	remap  func(n int) ([]byte, error) // makes the file n bytes long and maps it again
	encode func(b []byte, i int) []byte
	used   int  // bytes of entries
	done   int  // results recorded
	off    bool // nothing more of the run is recorded: no encoder yet, or a result it could not hold
}

// begin starts recording the run of request id: from then on, a death of
// the process is a death during that run.
func (l *Ledger) begin(id uint64) {
	l.used, l.done, l.off, l.encode = 0, 0, true, nil
	binary.LittleEndian.PutUint64(l.mem[atDone:], 0)
	binary.LittleEndian.PutUint64(l.mem[atUsed:], 0)
	binary.LittleEndian.PutUint64(l.mem[atID:], id+1) // last: the counts are this run's
}

// SetEncoder gives the ledger the encoder of the run's results, before the
// run's first task: encode appends to b the encoding of the result of task
// i of the run, alone.
func (l *Ledger) SetEncoder(encode func(b []byte, i int) []byte) { l.encode, l.off = encode, false }

// Track records the results of the tasks of the run before task i, which
// is about to start: the one of task i-1, as a rule. It is the run's
// engine.Tracker. A result that the ledger cannot hold ends the recording
// of the run: a crash is then charged to the task of that result.
func (l *Ledger) Track(i int) {
	for l.done < i && !l.off {
		l.add(l.encode(l.room(), l.done))
	}
}

// room returns where the encoding of the next result goes: the encoder
// appends to it. Appending costs no copy while the ledger has room; past
// that, append moves to memory of its own, which add copies.
func (l *Ledger) room() []byte {
	at := ledgerStart + l.used + 1 // after the entry's length, when it fits one byte
	if at > len(l.mem) {
		return nil
	}
	return l.mem[at:at:len(l.mem)]
}

// add records enc, the encoding of the next task's result, appended to
// what room returned, or turns the ledger off when it cannot hold it.
func (l *Ledger) add(enc []byte) {
	at := ledgerStart + l.used
	if n := len(enc); n > 0 && n < 0x80 && at+1+n <= len(l.mem) && &enc[0] == &l.mem[at+1] {
		// Made in place, its length fits the byte before it: all but
		// the largest results.
		l.mem[at] = byte(n)
		l.publish(at + 1 + n)
		return
	}
	l.addMoved(enc)
}

// addMoved is add, in every case.
func (l *Ledger) addMoved(enc []byte) {
	at := ledgerStart + l.used
	n := len(enc)
	k := uvarintLen(uint64(n))
	end := at + k + n
	inPlace := n > 0 && at+1 < len(l.mem) && &enc[0] == &l.mem[at+1]
	if end > len(l.mem) && !l.grow(end) {
		l.off = true
		return
	}
	// After grow, enc may point to memory no longer mapped: an encoding
	// made in place is read from the new mapping.
	if inPlace {
		if k > 1 {
			copy(l.mem[at+k:end], l.mem[at+1:at+1+n])
		}
	} else {
		copy(l.mem[at+k:end], enc)
	}
	binary.PutUvarint(l.mem[at:], uint64(n))
	l.publish(end)
}

// publish counts the entry that ends at end, whose bytes are written.
func (l *Ledger) publish(end int) {
	l.used = end - ledgerStart
	l.done++
	binary.LittleEndian.PutUint64(l.mem[atUsed:], uint64(l.used))
	binary.LittleEndian.PutUint64(l.mem[atDone:], uint64(l.done)) // last: it covers whole entries
}

// entries returns the entries recorded: the results of the first done
// tasks.
func (l *Ledger) entries() []byte { return l.mem[ledgerStart : ledgerStart+l.used] }

// grow makes the ledger at least n bytes long, doubling it.
func (l *Ledger) grow(n int) bool {
	size := max(2*len(l.mem), n)
	if n > ledgerMax || l.remap == nil {
		return false
	}
	size = min(size, ledgerMax)
	mem, err := l.remap(size)
	if err != nil {
		return false
	}
	l.mem = mem
	return true
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// A record is what a ledger says of a run of a worker process that died.
type record struct {
	id      uint64 // the request
	done    int    // the tasks that completed, from the first
	results []byte // their results: done entries, and nothing else
}

// errNoRecord says that a ledger holds no record that can be trusted.
var errNoRecord = errors.New("the ledger holds no valid record")

// readRecord decodes the record of a ledger, read whole (its header, then
// its entries) by the parent after its child died. Whatever the bytes, it
// returns a record whose entries are within b and whole, or errNoRecord.
func readRecord(b []byte) (record, error) {
	if len(b) < ledgerStart {
		return record{}, errNoRecord
	}
	id := binary.LittleEndian.Uint64(b[atID:])
	done := binary.LittleEndian.Uint64(b[atDone:])
	used := binary.LittleEndian.Uint64(b[atUsed:])
	entries := b[ledgerStart:]
	// Every entry takes a byte at least.
	if id == 0 || used > uint64(len(entries)) || done > used {
		return record{}, errNoRecord
	}
	rest := entries[:used]
	for range done {
		var err error
		if _, rest, err = wire.NextEntry(rest); err != nil {
			return record{}, errNoRecord
		}
	}
	whole := int(used) - len(rest) // a death between two stores may leave a partial entry after them
	return record{id: id - 1, done: int(done), results: entries[:whole:whole]}, nil
}

// readLedger reads the record of the ledger f, of a child that died. It
// reads no more than the file holds, whatever the ledger claims, and no
// file longer than a ledger grows.
func readLedger(f *os.File) (record, error) {
	fi, err := f.Stat()
	if err != nil {
		return record{}, err
	}
	var h [ledgerStart]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return record{}, err
	}
	used := binary.LittleEndian.Uint64(h[atUsed:])
	// The child sizes the file itself: no ledger grows past ledgerMax, and
	// a longer file, which costs the child nothing when sparse, would make
	// the parent read as much.
	if fi.Size() < ledgerStart || fi.Size() > ledgerMax || used > uint64(fi.Size()-ledgerStart) {
		return record{}, errNoRecord
	}
	b := make([]byte, ledgerStart+int(used))
	if _, err := f.ReadAt(b, 0); err != nil {
		return record{}, err
	}
	return readRecord(b)
}
