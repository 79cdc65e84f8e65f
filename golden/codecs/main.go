// The generated codecs on random values of every type a portable task can
// send: each value round-trips through the codecs in this process, and
// through worker processes.
package main

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"log"
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/tinylib/msgp/msgp"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Basics holds one field of every basic type.
type Basics struct {
	B    bool
	I    int
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U    uint
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	P    uintptr
	F32  float32
	F64  float64
	C64  complex64
	C128 complex128
	S    string
	By   byte
	R    rune
}

// Named types of basic, slice and map types.
type (
	Celsius float64
	Label   string
	IDs     []int64
	Index   map[Label]IDs
	Blob    []byte
	Matrix  [2][3]float32
	Ptr     *Basics
)

// Names is an alias of a slice type; Temps one of a named type.
type (
	Names = []string
	Temps = []Celsius
)

// Pair is a generic type, sent instantiated.
type Pair[K comparable, V any] struct {
	Key   K
	Value V
}

// Point implements msgp.Marshaler and msgp.Unmarshaler: its own encoding
// is used, as a unit: a pair of ints.
type Point struct{ x, y int }

// MarshalMsg implements msgp.Marshaler.
func (p *Point) MarshalMsg(b []byte) ([]byte, error) {
	return msgp.AppendInt(msgp.AppendInt(b, p.x), p.y), nil
}

// UnmarshalMsg implements msgp.Unmarshaler.
func (p *Point) UnmarshalMsg(b []byte) (_ []byte, err error) {
	if p.x, b, err = msgp.ReadIntBytes(b); err != nil {
		return b, err
	}
	p.y, b, err = msgp.ReadIntBytes(b)
	return b, err
}

// Inner is embedded in Everything.
type Inner struct {
	Depth int
	note  string
}

// Everything holds every shape of portable type, unexported fields too.
type Everything struct {
	Inner
	basics   Basics
	Ptr      *Basics
	PtrPtr   **int
	NamedPtr Ptr
	Temp     Celsius
	Label    Label
	IDs      IDs
	Index    Index
	Blob     Blob
	Bytes    []byte
	Matrix   Matrix
	Names    Names
	Temps    Temps
	Nested   map[string][]map[int]*Inner
	Anon     struct {
		A []struct{ X, Y int8 }
		b map[bool]string
	}
	Array   [3]Label
	Err     error
	When    time.Time
	Took    time.Duration
	Pair    Pair[Label, []Celsius]
	Point   Point
	Points  []Point
	_       int // never read nor written
	Skipped struct{}
}

// Echo returns what it was given, from a worker process.
//
//mpire:task portable
func Echo(e Everything) Everything { return e }

// Sum sends several arguments of named and unnamed types.
//
//mpire:task portable
func Sum(xs []Celsius, by map[Label]int, p *Point) (Celsius, error) {
	var s Celsius
	for _, x := range xs {
		s += x
	}
	if p == nil {
		return 0, errors.New("no point")
	}
	return s*Celsius(len(by)) + Celsius(p.x+p.y), nil
}

// Version encodes itself with MarshalBinary, which fails for a negative
// version: the call fails with the error, the process goes on.
type Version struct{ n int }

// MarshalBinary implements encoding.BinaryMarshaler.
func (v Version) MarshalBinary() ([]byte, error) {
	if v.n < 0 {
		return nil, fmt.Errorf("version %d cannot be encoded", v.n)
	}
	return []byte{byte(v.n)}, nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (v *Version) UnmarshalBinary(b []byte) error {
	if len(b) != 1 {
		return errors.New("a version is one byte")
	}
	v.n = int(b[0])
	return nil
}

// Next returns the next version.
//
//mpire:task portable
func Next(v Version) Version { return Version{v.n + 1} }

// Sample is the three-field struct of the codec benchmark.
type Sample struct {
	ID    int64
	Name  string
	Score float64
}

// Rank sends a Sample.
//
//mpire:task portable
func Rank(s Sample) float64 { return s.Score * float64(s.ID) }

// Block is a piece of data of a fixed size, whose encoding takes 4 KiB at
// least: a length that claims more blocks than a message can hold is
// refused before anything is allocated for them.
type Block [4096]byte

// Checksum sends slices of big elements, and a pointer to one: allocated
// only once the bytes of a whole block are there.
//
//mpire:task portable
func Checksum(blocks []Block, last *Block) uint32 {
	h := crc32.NewIEEE()
	for i := range blocks {
		h.Write(blocks[i][:])
	}
	if last != nil {
		h.Write(last[:])
	}
	return h.Sum32()
}

func main() {
	values := randomValues(300)

	// In this process, through the codecs themselves.
	if err := roundTrip(values); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(values), "random values of every type round-trip through the codecs, and fail cleanly when cut short or corrupt")

	// Through worker processes, and back.
	echo := NewEchoPool(mpire.WithProcesses(), mpire.WithJobs(2))
	defer echo.Close()
	got, err := echo.Map(context.Background(), values, mpire.WithChunkSize(7))
	if err != nil {
		log.Fatal(err)
	}
	if !reflect.DeepEqual(got, values) {
		log.Fatal("values came back from worker processes changed")
	}
	fmt.Println(len(values), "random values round-trip through worker processes")

	sum := NewSumPool(mpire.WithProcesses(), mpire.WithJobs(1))
	defer sum.Close()
	fmt.Println(sum.Apply(context.Background(), []Celsius{1.5, 2.5}, map[Label]int{"a": 1, "b": 2}, &Point{1, 2}))
	fmt.Println(sum.Apply(context.Background(), nil, nil, nil))

	next := NewNextPool(mpire.WithProcesses(), mpire.WithJobs(1))
	defer next.Close()
	fmt.Println(next.Apply(context.Background(), Version{1}))
	_, err = next.Apply(context.Background(), Version{-1})
	fmt.Println(err)
	fmt.Println(next.Apply(context.Background(), Version{2}))

	checksum := NewChecksumPool(mpire.WithProcesses(), mpire.WithJobs(1))
	defer checksum.Close()
	fmt.Println(checksum.Apply(context.Background(), []Block{{1, 2, 3}, {255}}, &Block{7}))
}

// randomValues returns n random values, the same each time.
func randomValues(n int) []Everything {
	r := rand.New(rand.NewPCG(1, 2))
	values := make([]Everything, n)
	for i := range values {
		values[i] = random(r)
	}
	return values
}

// roundTrip encodes and decodes every value, whole, cut short and corrupt.
func roundTrip(values []Everything) error {
	for i := range values {
		b := appendEverything(nil, &values[i])
		var got Everything
		rest, err := readEverything(b, &got)
		if err != nil || len(rest) != 0 || !reflect.DeepEqual(got, values[i]) {
			return fmt.Errorf("value %d does not round-trip: %v, %d bytes left\n%+v\n%+v", i, err, len(rest), values[i], got)
		}
		// A message cut short is an error, never a panic.
		for cut := range len(b) {
			if _, err := readEverything(b[:cut], &got); err == nil {
				return fmt.Errorf("value %d cut at %d of %d bytes decoded without an error", i, cut, len(b))
			}
		}
		// A corrupt one decodes to something or to an error, never to a
		// panic or a huge allocation.
		r := rand.New(rand.NewPCG(uint64(i), 3))
		for range 50 {
			bad := append([]byte(nil), b...)
			bad[r.IntN(len(bad))] = byte(r.Uint32())
			readEverything(bad, &got)
		}
	}
	return nil
}

// random returns a random Everything, with nil and empty slices, maps and
// pointers among them.
func random(r *rand.Rand) Everything {
	var e Everything
	e.Depth, e.note = r.Int(), str(r)
	e.basics = basics(r)
	if r.IntN(2) == 0 {
		b := basics(r)
		e.Ptr = &b
	}
	if r.IntN(3) > 0 {
		x := r.Int()
		px := &x
		if r.IntN(2) == 0 {
			px = nil
		}
		e.PtrPtr = &px
	}
	if r.IntN(2) == 0 {
		b := basics(r)
		e.NamedPtr = &b
	}
	e.Temp, e.Label = Celsius(r.NormFloat64()), Label(str(r))
	e.IDs = slice(r, func() int64 { return r.Int64() })
	e.Index = mapOf(r, func() (Label, IDs) { return Label(str(r)), slice(r, func() int64 { return -r.Int64() }) })
	e.Blob = slice(r, func() byte { return byte(r.Uint32()) })
	e.Bytes = slice(r, func() byte { return byte(r.Uint32()) })
	for i := range e.Matrix {
		for j := range e.Matrix[i] {
			e.Matrix[i][j] = r.Float32()
		}
	}
	e.Names = slice(r, func() string { return str(r) })
	e.Temps = slice(r, func() Celsius { return Celsius(r.Float64()) })
	e.Nested = mapOf(r, func() (string, []map[int]*Inner) {
		return str(r), slice(r, func() map[int]*Inner {
			return mapOf(r, func() (int, *Inner) {
				if r.IntN(2) == 0 {
					return r.Int(), nil
				}
				return r.Int(), &Inner{Depth: r.Int(), note: str(r)}
			})
		})
	})
	e.Anon.A = slice(r, func() struct{ X, Y int8 } { return struct{ X, Y int8 }{int8(r.Int()), int8(r.Int())} })
	e.Anon.b = mapOf(r, func() (bool, string) { return r.IntN(2) == 0, str(r) })
	for i := range e.Array {
		e.Array[i] = Label(str(r))
	}
	if r.IntN(2) == 0 {
		e.Err = errors.New(str(r))
	}
	e.When = time.Unix(r.Int64N(1<<40)-1<<39, r.Int64N(1e9)).UTC()
	e.Took = time.Duration(r.Int64())
	e.Pair = Pair[Label, []Celsius]{Label(str(r)), slice(r, func() Celsius { return Celsius(r.NormFloat64()) })}
	e.Point = Point{r.Int(), -r.Int()}
	e.Points = slice(r, func() Point { return Point{r.IntN(100), r.IntN(100)} })
	return e
}

func basics(r *rand.Rand) Basics {
	return Basics{
		B: r.IntN(2) == 0, I: int(r.Uint64()), I8: int8(r.Uint64()), I16: int16(r.Uint64()), I32: int32(r.Uint64()),
		I64: int64(r.Uint64()), U: uint(r.Uint64()), U8: uint8(r.Uint64()), U16: uint16(r.Uint64()),
		U32: r.Uint32(), U64: r.Uint64(), P: uintptr(r.Uint64()), F32: float32(r.NormFloat64()),
		F64: r.ExpFloat64(), C64: complex(r.Float32(), -r.Float32()), C128: complex(r.NormFloat64(), r.Float64()),
		S: str(r), By: byte(r.Uint32()), R: rune(r.Int32()),
	}
}

// str returns a random string of any bytes, valid UTF-8 or not.
func str(r *rand.Rand) string {
	b := make([]byte, r.IntN(40))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// slice returns nil, an empty slice, or a few random elements.
func slice[T any](r *rand.Rand, elem func() T) []T {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []T{}
	}
	s := make([]T, 1+r.IntN(5))
	for i := range s {
		s[i] = elem()
	}
	return s
}

// mapOf returns nil, an empty map, or a few random entries.
func mapOf[K comparable, V any](r *rand.Rand, entry func() (K, V)) map[K]V {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return map[K]V{}
	}
	m := map[K]V{}
	for range 1 + r.IntN(5) {
		k, v := entry()
		m[k] = v
	}
	return m
}
