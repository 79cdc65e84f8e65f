package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"runtime/metrics"
	"slices"
	"testing"

	"github.com/tinylib/msgp/msgp"

	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// The generated decoders against hostile input: whatever the bytes, a
// decoder returns an error or values that encode and decode again, never
// panics, and allocates in proportion to the bytes it was given, whatever
// their length prefixes claim.

// perByte bounds what a decoder may allocate for each byte it is given,
// and slack what else may be counted while it runs (small allocations are
// counted a span at a time). The worst legitimate case is a length claiming
// as many elements as there are bytes left, each taking a byte and a map
// entry or a slice header in memory, at each level of nesting.
const (
	perByte = 64
	slack   = 1 << 20
)

// A task, as the fuzz targets see it: its portable codecs, type-erased.
type task struct {
	name string
	// decode decodes b as a chunk of arguments.
	decode func(b []byte) error
	// args decodes b as a chunk of arguments, encodes what it got, and
	// decodes that again: how many arguments each time, and the lengths
	// of the encodings.
	args func(b []byte) (n, again int, lens [2]int, err error)
	// results decodes b as the results of n tasks.
	results func(b []byte, n int) error
	// encode returns the encoding of a few arguments, valid ones.
	encode func() []byte
}

func newTask[St, A, R, E any](name string, pt *mpireimpl.Portable[St, A, R, E], valid ...A) task {
	return task{
		name: name,
		decode: func(b []byte) error {
			_, err := pt.ReadArgs(b, nil)
			return err
		},
		args: func(b []byte) (n, again int, lens [2]int, err error) {
			args, err := pt.ReadArgs(b, nil)
			if err != nil {
				return 0, 0, lens, err
			}
			enc := pt.AppendArgs(nil, args)
			args2, err := pt.ReadArgs(enc, nil)
			return len(args), len(args2), [2]int{len(enc), len(pt.AppendArgs(nil, args2))}, err
		},
		results: func(b []byte, n int) error { return pt.ReadResults(b, make([]R, n)) },
		encode:  func() []byte { return pt.AppendArgs(nil, valid) },
	}
}

var tasks = []task{
	newTask("Echo", &echoPortable, randomValues(2)...),
	newTask("Sum", &sumPortable, SumArgs{[]Celsius{1, Celsius(math.Inf(1))}, map[Label]int{"a": 1}, &Point{1, 2}}, SumArgs{}),
	newTask("Next", &nextPortable, Version{1}, Version{255}),
	newTask("Rank", &rankPortable, sample, Sample{}),
	newTask("Checksum", &checksumPortable, ChecksumArgs{[]Block{{1, 2, 3}, {255}}, &Block{7}}, ChecksumArgs{}),
}

// hostile returns the inputs the fuzz targets start from, for task i: its
// valid encoding, that encoding cut short, and lengths claiming what the
// bytes cannot hold.
func hostile(i int) [][]byte {
	valid := tasks[i].encode()
	out := [][]byte{valid, valid[:len(valid)/2], valid[:len(valid)-1], nil}
	out = append(out, claims(valid, math.MaxUint32)...)
	out = append(out, claims(valid, 1<<14)...)
	out = append(out, claims(valid, 0)...)
	if tasks[i].name == "Checksum" {
		out = append(out, blocksAttack(), pointerAttack())
	}
	return out
}

// blocksAttack is a chunk of 16 KiB claiming one task whose argument is 16 K
// blocks of 4 KiB: 64 MiB, if its length were believed. It claims fewer
// blocks than there are bytes left, which a check that each takes a byte
// would let through.
func blocksAttack() []byte {
	b := msgp.AppendArrayHeader(nil, 1)
	b = msgp.AppendArrayHeader(b, 2) // ChecksumArgs
	b = msgp.AppendArrayHeader(b, 16<<10-16)
	return append(b, make([]byte, 16<<10-len(b))...)
}

// pointerAttack is a chunk of a few bytes whose last block is not nil: 4
// KiB, if it were allocated before its bytes are there.
func pointerAttack() []byte {
	b := msgp.AppendArrayHeader(nil, 1)
	b = msgp.AppendArrayHeader(b, 2)
	b = msgp.AppendNil(b)
	return msgp.AppendArrayHeader(b, 4096)
}

// claims returns copies of the encoding b, one for each header of an array,
// a map, a string or binary data in it, claiming n elements or bytes there
// instead (0: as many as there are bytes after the header), padded with
// zeros to 16 KiB: a zero is an integer, 0, in a byte.
func claims(b []byte, n uint32) [][]byte {
	var out [][]byte
	for _, h := range headers(b) {
		c := append([]byte(nil), b[:h.at]...)
		claim := n
		if claim == 0 {
			claim = uint32(16<<10 - len(c) - 5)
		}
		c = append(binary.BigEndian.AppendUint32(append(c, long[h.typ]), claim), b[h.end:]...)
		out = append(out, append(c, make([]byte, max(0, 16<<10-len(c)))...))
	}
	return out
}

// header is where the header of an array, a map, a string or binary data is
// in an encoding.
type header struct {
	at, end int // its first byte, and the byte after it
	typ     msgp.Type
}

// long is the first byte of a header of a 32-bit length, for each type.
var long = map[msgp.Type]byte{msgp.ArrayType: 0xdd, msgp.MapType: 0xdf, msgp.StrType: 0xdb, msgp.BinType: 0xc6}

// headers returns the headers of the arrays, maps, strings and binary data
// in b, MessagePack values.
func headers(b []byte) []header {
	var out []header
	var walk func(rest []byte) []byte
	walk = func(rest []byte) []byte {
		at, typ := len(b)-len(rest), msgp.NextType(rest)
		if typ != msgp.ArrayType && typ != msgp.MapType {
			if typ == msgp.StrType || typ == msgp.BinType {
				// A byte, and a length of 8, 16 or 32 bits but in a
				// string of up to 31 bytes.
				size := map[byte]int{0xd9: 2, 0xda: 3, 0xdb: 5, 0xc4: 2, 0xc5: 3, 0xc6: 5}[rest[0]]
				out = append(out, header{at: at, end: at + max(size, 1), typ: typ})
			}
			next, err := msgp.Skip(rest)
			if err != nil {
				return nil
			}
			return next
		}
		n, next, err := msgp.ReadArrayHeaderBytes(rest)
		if typ == msgp.MapType {
			n, next, err = msgp.ReadMapHeaderBytes(rest)
			n *= 2 // keys and values
		}
		if err != nil {
			return nil
		}
		out = append(out, header{at: at, end: len(b) - len(next), typ: typ})
		for range n {
			if next = walk(next); next == nil {
				return nil
			}
		}
		return next
	}
	walk(b)
	return out
}

// allocated returns how many bytes f allocated on the heap.
func allocated(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	f()
	metrics.Read(sample)
	return sample[0].Value.Uint64() - before
}

func FuzzReadArgs(f *testing.F) {
	for i := range tasks {
		for _, b := range hostile(i) {
			f.Add(uint8(i), b)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, b []byte) {
		task := tasks[int(i)%len(tasks)]
		var n, again int
		var lens [2]int
		var err error
		if got := allocated(func() { n, again, lens, err = task.args(b) }); got > perByte*uint64(len(b))*4+slack {
			// Four times: decoding, encoding, and both again.
			t.Fatalf("%s: decoding %d bytes and encoding them again allocated %d bytes", task.name, len(b), got)
		}
		if n > 0 && (err != nil || again != n || lens[0] != lens[1]) {
			t.Fatalf("%s: %d arguments decoded, encoded in %d bytes, decoded again: %d arguments, %v, encoded again in %d bytes",
				task.name, n, lens[0], again, err, lens[1])
		}
	})
}

func FuzzReadResults(f *testing.F) {
	for i := range tasks {
		for _, b := range hostile(i) {
			f.Add(uint8(i), uint8(2), b)
		}
	}
	f.Fuzz(func(t *testing.T, i, n uint8, b []byte) {
		task := tasks[int(i)%len(tasks)]
		// The caller allocates the results it expects; the decoder nothing
		// in proportion to what a length claims.
		if got := allocated(func() { _ = task.results(b, int(n)) }); got > perByte*uint64(len(b))+slack+uint64(n)*(4<<10) {
			t.Fatalf("%s: decoding %d results from %d bytes allocated %d bytes", task.name, n, len(b), got)
		}
	})
}

// TestHostileInputsAllocateInProportion decodes inputs of 16 KiB whose
// length prefixes claim more than 16 KiB can hold, in every array and map
// of every task's arguments: each is refused or decoded with allocations
// in proportion to its 16 KiB.
func TestHostileInputsAllocateInProportion(t *testing.T) {
	for i, task := range tasks {
		t.Run(task.name, func(t *testing.T) {
			var worst, count float64
			for _, b := range hostile(i) {
				if len(b) < 16<<10 {
					continue // the valid ones, and those cut short
				}
				size, allocs := perRun(func() { _ = task.decode(b) })
				if size > perByte*float64(len(b)) {
					t.Errorf("%d bytes starting % x allocated %.0f bytes in %.0f allocations", len(b), b[:8], size, allocs)
				}
				worst, count = max(worst, size/float64(len(b))), count+1
			}
			t.Logf("%.0f hostile inputs of 16 KiB: at most %.1f bytes allocated per byte given", count, worst)
		})
	}
	b := blocksAttack()
	size, allocs := perRun(func() { checksumPortable.ReadArgs(b, nil) })
	if _, err := checksumPortable.ReadArgs(b, nil); err == nil || size > 1<<10 {
		t.Errorf("16 KiB claiming 16 K blocks of 4 KiB: %v, %.0f bytes allocated in %.0f allocations", err, size, allocs)
	}
	t.Logf("16 KiB claiming 16 K blocks of 4 KiB: %.0f bytes in %.0f allocations", size, allocs)
	b = pointerAttack()
	size, allocs = perRun(func() { checksumPortable.ReadArgs(b, nil) })
	if _, err := checksumPortable.ReadArgs(b, nil); err == nil || size > 1<<10 {
		t.Errorf("%d bytes with a block that is not there: %v, %.0f bytes allocated in %.0f allocations", len(b), err, size, allocs)
	}
	t.Logf("%d bytes with a block that is not there: %.0f bytes in %.0f allocations", len(b), size, allocs)
}

// perRun returns the bytes and the allocations of a run of f, on average,
// as testing.AllocsPerRun counts them.
func perRun(f func()) (size, allocs float64) {
	const runs = 20
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / runs, float64(after.Mallocs-before.Mallocs) / runs
}

// TestHeaders checks the walk that the hostile inputs are made with.
func TestHeaders(t *testing.T) {
	b := msgp.AppendArrayHeader(nil, 2)
	b = msgp.AppendMapHeader(b, 1)
	b = msgp.AppendString(b, "k")
	b = msgp.AppendArrayHeader(b, 0)
	b = msgp.AppendInt(b, 300)
	want := []header{{0, 1, msgp.ArrayType}, {1, 2, msgp.MapType}, {2, 3, msgp.StrType}, {4, 5, msgp.ArrayType}}
	if got := headers(b); !slices.Equal(got, want) {
		t.Fatalf("headers of % x: %v, want %v", b, got, want)
	}
	if c := claims(b, 1<<14); len(c) != 4 || len(c[0]) != 16<<10 || !bytes.HasPrefix(c[1], []byte{0x92, 0xdf, 0, 0, 0x40, 0}) {
		t.Fatalf("claims: %d inputs, the second % x", len(c), c[1][:8])
	}
}
