package msgpimpl

import (
	"bytes"
	"errors"
	"math"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The integers at the edges of every encoding.
var (
	ints  = []int64{0, 1, 31, 32, 127, 128, 255, 256, 32767, 32768, 65535, 65536, math.MaxInt32, math.MaxInt32 + 1, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, -1, -31, -32, -33, -127, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
	uints = []uint64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64}
)

// sized returns strings or byte slices of the lengths at the edges of
// their encodings.
func sized() [][]byte {
	var out [][]byte
	for _, n := range []int{0, 1, 31, 32, 255, 256, 65535, 65536} {
		out = append(out, bytes.Repeat([]byte{'x'}, n))
	}
	return out
}

// TestAppendLikeMsgp checks that every value is written as msgp writes it.
func TestAppendLikeMsgp(t *testing.T) {
	check := func(what string, got, want []byte) {
		t.Helper()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: % x, msgp writes % x", what, got, want)
		}
	}
	prefix := []byte{0xff} // something before, kept
	for _, x := range ints {
		check("int64", AppendInt64(prefix, x), msgp.AppendInt64(prefix, x))
		check("int", AppendInt(prefix, int(x)), msgp.AppendInt(prefix, int(x)))
		check("int32", AppendInt32(prefix, int32(x)), msgp.AppendInt32(prefix, int32(x)))
		check("int16", AppendInt16(prefix, int16(x)), msgp.AppendInt16(prefix, int16(x)))
		check("int8", AppendInt8(prefix, int8(x)), msgp.AppendInt8(prefix, int8(x)))
		check("float32", AppendFloat32(prefix, float32(x)), msgp.AppendFloat32(prefix, float32(x)))
		check("float64", AppendFloat64(prefix, float64(x)/3), msgp.AppendFloat64(prefix, float64(x)/3))
		check("complex64", AppendComplex64(prefix, complex(float32(x), -1)), msgp.AppendComplex64(prefix, complex(float32(x), -1)))
		check("complex128", AppendComplex128(prefix, complex(1, float64(x))), msgp.AppendComplex128(prefix, complex(1, float64(x))))
	}
	for _, x := range uints {
		check("uint64", AppendUint64(prefix, x), msgp.AppendUint64(prefix, x))
		check("uint", AppendUint(prefix, uint(x)), msgp.AppendUint(prefix, uint(x)))
		check("uint32", AppendUint32(prefix, uint32(x)), msgp.AppendUint32(prefix, uint32(x)))
		check("uint16", AppendUint16(prefix, uint16(x)), msgp.AppendUint16(prefix, uint16(x)))
		check("uint8", AppendUint8(prefix, uint8(x)), msgp.AppendUint8(prefix, uint8(x)))
		if x <= math.MaxUint32 {
			check("array header", AppendArrayHeader(prefix, int(x)), msgp.AppendArrayHeader(prefix, uint32(x)))
			check("map header", AppendMapHeader(prefix, int(x)), msgp.AppendMapHeader(prefix, uint32(x)))
		}
	}
	for _, s := range sized() {
		check("string", AppendString(prefix, string(s)), msgp.AppendString(prefix, string(s)))
		check("bytes", AppendBytes(prefix, s), msgp.AppendBytes(prefix, s))
	}
	check("true", AppendBool(prefix, true), msgp.AppendBool(prefix, true))
	check("false", AppendBool(prefix, false), msgp.AppendBool(prefix, false))
	check("nil", AppendNil(prefix), msgp.AppendNil(prefix))
}

// reader pairs a read function of this package with msgp's.
type reader struct {
	name       string
	ours, msgp func([]byte) (any, []byte, error)
}

func read[T any](name string, ours, theirs func([]byte) (T, []byte, error)) reader {
	wrap := func(f func([]byte) (T, []byte, error)) func([]byte) (any, []byte, error) {
		return func(b []byte) (any, []byte, error) { x, rest, err := f(b); return x, rest, err }
	}
	return reader{name, wrap(ours), wrap(theirs)}
}

var readers = []reader{
	read("bool", ReadBool, msgp.ReadBoolBytes),
	read("int", ReadInt, msgp.ReadIntBytes),
	read("int8", ReadInt8, msgp.ReadInt8Bytes),
	read("int16", ReadInt16, msgp.ReadInt16Bytes),
	read("int32", ReadInt32, msgp.ReadInt32Bytes),
	read("int64", ReadInt64, msgp.ReadInt64Bytes),
	read("uint", ReadUint, msgp.ReadUintBytes),
	read("uint8", ReadUint8, msgp.ReadUint8Bytes),
	read("uint16", ReadUint16, msgp.ReadUint16Bytes),
	read("uint32", ReadUint32, msgp.ReadUint32Bytes),
	read("uint64", ReadUint64, msgp.ReadUint64Bytes),
	read("float32", ReadFloat32, msgp.ReadFloat32Bytes),
	read("float64", ReadFloat64, msgp.ReadFloat64Bytes),
	read("complex64", ReadComplex64, msgp.ReadComplex64Bytes),
	read("complex128", ReadComplex128, msgp.ReadComplex128Bytes),
	read("string", ReadString, msgp.ReadStringBytes),
	read("bytes", ReadBytes, func(b []byte) ([]byte, []byte, error) { return msgp.ReadBytesBytes(b, []byte{}) }),
	read("array", func(b []byte) (int, []byte, error) { return ReadArrayLen(b, 0) }, func(b []byte) (int, []byte, error) {
		n, rest, err := msgp.ReadArrayHeaderBytes(b)
		if err == nil && int(n) > len(rest) {
			err = errors.New("more elements than bytes") // what ReadArrayLen refuses
		}
		return int(n), rest, err
	}),
	read("map", func(b []byte) (int, []byte, error) { return ReadMapLen(b, 0) }, func(b []byte) (int, []byte, error) {
		n, rest, err := msgp.ReadMapHeaderBytes(b)
		if err == nil && int(n) > len(rest) {
			err = errors.New("more entries than bytes")
		}
		return int(n), rest, err
	}),
}

// sameRead checks that every read function reads b as msgp's does: the
// same value and the same bytes after it, or an error for both.
func sameRead(t *testing.T, b []byte) {
	t.Helper()
	for _, r := range readers {
		x, rest, err := r.ours(b)
		want, wantRest, wantErr := r.msgp(b)
		switch {
		case (err == nil) != (wantErr == nil):
			t.Errorf("%s of % x: error %v, msgp's %v", r.name, b, err, wantErr)
		case err == nil && (!reflect.DeepEqual(x, want) && !isNaN(x) || len(rest) != len(wantRest)):
			t.Errorf("%s of % x: %v with %d bytes left, msgp reads %v with %d", r.name, b, x, len(rest), want, len(wantRest))
		}
	}
}

func isNaN(x any) bool {
	switch x := x.(type) {
	case float32:
		return x != x
	case float64:
		return x != x
	case complex64:
		return real(x) != real(x) || imag(x) != imag(x)
	case complex128:
		return real(x) != real(x) || imag(x) != imag(x)
	}
	return false
}

// encodings returns msgp's encodings of values of every type, in every
// encoding msgp reads: the seeds of FuzzReadLikeMsgp.
func encodings() [][]byte {
	var out [][]byte
	for _, x := range ints {
		out = append(out, msgp.AppendInt64(nil, x), msgp.AppendFloat32(nil, float32(x)), msgp.AppendFloat64(nil, float64(x)))
	}
	for _, x := range uints {
		out = append(out, msgp.AppendUint64(nil, x), msgp.AppendComplex128(nil, complex(float64(x), 1)))
		if x <= math.MaxUint32 {
			out = append(out, msgp.AppendArrayHeader(nil, uint32(x)), msgp.AppendMapHeader(nil, uint32(x)))
		}
	}
	for _, s := range sized() {
		out = append(out, msgp.AppendString(nil, string(s)), msgp.AppendBytes(nil, s))
	}
	return append(out, msgp.AppendBool(nil, true), msgp.AppendBool(nil, false), msgp.AppendNil(nil),
		msgp.AppendComplex64(nil, 1+2i), []byte{0xd7, 9, 1, 2, 3, 4, 5, 6, 7, 8}, []byte{0x91, 1}, []byte{0x81, 1, 2}, nil)
}

func TestReadLikeMsgp(t *testing.T) {
	for _, b := range encodings() {
		sameRead(t, b)
		for cut := range len(b) {
			sameRead(t, b[:cut])
		}
		sameRead(t, append(b, 1, 2, 3)) // with something after it
	}
}

// FuzzReadLikeMsgp reads any bytes with every read function, and msgp's:
// the same values, the same bytes left, errors on the same inputs (apart
// from lengths that the bytes left cannot hold, which only ours refuse).
func FuzzReadLikeMsgp(f *testing.F) {
	for _, b := range encodings() {
		f.Add(b)
	}
	f.Fuzz(sameRead)
}

// TestLengthsTheBytesCanHold claims more elements than the bytes left can
// hold: refused, before a caller allocates for them.
func TestLengthsTheBytesCanHold(t *testing.T) {
	block := 4099 // a [4096]byte: a 3-byte header and a byte each at least
	for _, tc := range []struct {
		name      string
		n         uint32 // the length claimed
		left, min int
		refused   bool
	}{
		{"16 K blocks of 4 KiB in 16 KiB", 16 << 10, 16 << 10, block, true},
		{"3 blocks in 16 KiB", 3, 16 << 10, block, false},
		{"4 blocks in 16 KiB", 4, 16 << 10, block, true},
		{"the most a 32-bit length claims", math.MaxUint32, 3, 1, true},
		{"as many bytes as elements", 300, 300, 1, false},
		{"one byte short", 300, 299, 1, true},
		{"a minimum of 0 counts as 1", 3, 2, 0, true},
		{"the largest minimum", 1, 1, math.MaxInt32, true},
		{"a length in the header's byte", 15, 30, 2, false},
		{"a length in the header's byte, too long", 15, 29, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, kind := range []struct {
				header func([]byte, uint32) []byte
				read   func([]byte, int) (int, []byte, error)
			}{{msgp.AppendArrayHeader, ReadArrayLen}, {msgp.AppendMapHeader, ReadMapLen}} {
				b := append(kind.header(nil, tc.n), make([]byte, tc.left)...)
				n, rest, err := kind.read(b, tc.min)
				switch {
				case tc.refused && (!errors.Is(err, ErrShortBytes) || n != 0 || !strings.Contains(err.Error(), "does not fit in the")):
					t.Errorf("% x: %d, %v; want a length error", b[:3], n, err)
				case !tc.refused && (err != nil || n != int(tc.n) || len(rest) != tc.left):
					t.Errorf("% x: %d, %v, %d bytes left; want %d, %d", b[:3], n, err, len(rest), tc.n, tc.left)
				}
			}
		})
	}
}

func TestReadArrayHeader(t *testing.T) {
	for _, n := range []int{0, 3, 15, 16, 70000} {
		b := append(AppendArrayHeader(nil, n), 7)
		if rest, err := ReadArrayHeader(b, n); err != nil || !bytes.Equal(rest, []byte{7}) {
			t.Errorf("%d: %v, % x left", n, err, rest)
		}
		if _, err := ReadArrayHeader(b, n+1); err == nil || !strings.Contains(err.Error(), "wanted an array of") {
			t.Errorf("%d read as %d: %v", n, n+1, err)
		}
	}
	if _, err := ReadArrayHeader(AppendString(nil, "x"), 1); err == nil {
		t.Error("a string read as an array header")
	}
}

// TestInlined checks that the compiler inlines the functions that generated
// code calls for every value, so that they cost no more than msgp's.
func TestInlined(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, name := range []string{"IsNil", "IsString", "AppendNil", "AppendBool", "AppendArrayHeader", "AppendMapHeader",
		"AppendInt64", "AppendUint64", "AppendUint", "AppendUint8", "AppendUint16", "AppendUint32",
		"AppendFloat32", "AppendFloat64", "AppendComplex64", "AppendComplex128", "AppendString", "AppendBytes",
		"ReadInt", "ReadInt8", "ReadInt16", "ReadInt32", "ReadUint", "ReadUint8", "ReadUint16", "ReadUint32"} {
		if !strings.Contains(string(out), "can inline "+name+"\n") {
			t.Errorf("%s is not inlined", name)
		}
	}
}

// TestBytesAreCopied checks that ReadBytes returns a copy, never nil, as
// a decoded []byte field keeps it while the message's buffer is reused.
func TestBytesAreCopied(t *testing.T) {
	b := AppendBytes(nil, []byte("abc"))
	got, _, err := ReadBytes(b)
	b[2] = 'x'
	if err != nil || string(got) != "abc" {
		t.Errorf("ReadBytes = %q, %v; want a copy of abc", got, err)
	}
	if got, _, err := ReadBytes(AppendBytes(nil, nil)); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ReadBytes of no bytes = %#v, %v; want empty, not nil", got, err)
	}
}

func TestIsString(t *testing.T) {
	for _, s := range sized() {
		if !IsString(AppendString(nil, string(s))) || IsString(AppendBytes(nil, s)) {
			t.Errorf("IsString is wrong for a string or binary data of %d bytes", len(s))
		}
	}
	if IsString(nil) || IsNil(nil) || !IsNil(AppendNil(nil)) {
		t.Error("IsString or IsNil is wrong for no bytes or a nil")
	}
}
