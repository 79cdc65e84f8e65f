package templates

import (
	"bytes"
	"math"
	"testing"

	"github.com/mpire-go/mpire/gen"
	"github.com/mpire-go/mpire/runtime/mpireimpl/msgpimpl"
)

func TestExpressions(t *testing.T) {
	for _, tc := range []struct {
		e, addr, sel, plain string
	}{
		{"(*v)", "v", "v.f", "*v"},
		{"(*v.p)", "v.p", "v.p.f", "*v.p"},
		{"(*(*v.p))", "(*v.p)", "(*v.p).f", "*(*v.p)"},
		{"(*v)[i]", "&(*v)[i]", "(*v)[i].f", "(*v)[i]"},
		{"v.a[i]", "&v.a[i]", "v.a[i].f", "v.a[i]"},
		{"k", "&k", "k.f", "k"},
	} {
		if got := addr(tc.e); got != tc.addr {
			t.Errorf("addr(%s) = %s, want %s", tc.e, got, tc.addr)
		}
		if got := sel(tc.e, "f"); got != tc.sel {
			t.Errorf("sel(%s) = %s, want %s", tc.e, got, tc.sel)
		}
		if got := plain(tc.e); got != tc.plain {
			t.Errorf("plain(%s) = %s, want %s", tc.e, got, tc.plain)
		}
	}
}

func TestSmallestEncodings(t *testing.T) {
	basic := func(name string) *gen.Type { return &gen.Type{Kind: gen.Basic, Name: name} }
	array := func(n int64, elem *gen.Type) *gen.Type { return &gen.Type{Kind: gen.Array, Len: n, Elem: elem} }
	fields := func(ts ...*gen.Type) *gen.Type {
		st := &gen.Type{Kind: gen.Struct}
		for i, ft := range ts {
			st.Fields = append(st.Fields, gen.Field{Name: string(rune('A' + i)), Type: ft})
		}
		return st
	}
	for _, tc := range []struct {
		name string
		t    *gen.Type
		want int
	}{
		{"int", basic("int"), 1},
		{"string", basic("string"), 1},
		{"error", basic("error"), 1},
		{"float64, which may come as a float32", basic("float64"), 5},
		{"complex128", basic("complex128"), 18},
		{"[]float64, which may be nil", &gen.Type{Kind: gen.Slice, Elem: basic("float64")}, 1},
		{"*complex128", &gen.Type{Kind: gen.Pointer, Elem: basic("complex128")}, 1},
		{"[15]float64", array(15, basic("float64")), 1 + 15*5},
		{"[4096]byte", array(4096, basic("byte")), 3 + 4096},
		{"[70000]bool", array(70000, basic("bool")), 5 + 70000},
		{"[2][16]complex64", array(2, array(16, basic("complex64"))), 1 + 2*(3+16*10)},
		{"struct{}", fields(), 1},
		{"a struct of an int, a float64 and a blank field", &gen.Type{Kind: gen.Struct, Fields: []gen.Field{
			{Name: "A", Type: basic("int")}, {Name: "_", Type: basic("int")}, {Name: "B", Type: basic("float64")}}}, 1 + 1 + 5},
		{"too big for any message", array(1<<40, array(1<<40, basic("complex128"))), math.MaxInt32},
	} {
		if got := newSizer(&gen.Package{}).of(tc.t); got != tc.want {
			t.Errorf("%s: %d bytes, want %d", tc.name, got, tc.want)
		}
	}
	m := &gen.Type{Kind: gen.Map, Key: basic("string"), Elem: basic("complex64")}
	if got := newSizer(&gen.Package{}).entry(m); got != 11 {
		t.Errorf("an entry of map[string]complex64: %d bytes, want 11", got)
	}
}

// TestPrimitiveSizesAreTheDecoders checks the smallest encoding of each
// basic type against msgpimpl's decoders: no input shorter than it decodes,
// whatever its bytes, and one that long does.
func TestPrimitiveSizesAreTheDecoders(t *testing.T) {
	readers := map[string]func([]byte) error{}
	add := func(fn string, read func([]byte) error) { readers[fn] = read }
	add("Bool", func(b []byte) error { _, _, err := msgpimpl.ReadBool(b); return err })
	add("String", func(b []byte) error { _, _, err := msgpimpl.ReadString(b); return err })
	add("Int", func(b []byte) error { _, _, err := msgpimpl.ReadInt(b); return err })
	add("Int8", func(b []byte) error { _, _, err := msgpimpl.ReadInt8(b); return err })
	add("Int16", func(b []byte) error { _, _, err := msgpimpl.ReadInt16(b); return err })
	add("Int32", func(b []byte) error { _, _, err := msgpimpl.ReadInt32(b); return err })
	add("Int64", func(b []byte) error { _, _, err := msgpimpl.ReadInt64(b); return err })
	add("Uint", func(b []byte) error { _, _, err := msgpimpl.ReadUint(b); return err })
	add("Uint8", func(b []byte) error { _, _, err := msgpimpl.ReadUint8(b); return err })
	add("Uint16", func(b []byte) error { _, _, err := msgpimpl.ReadUint16(b); return err })
	add("Uint32", func(b []byte) error { _, _, err := msgpimpl.ReadUint32(b); return err })
	add("Uint64", func(b []byte) error { _, _, err := msgpimpl.ReadUint64(b); return err })
	add("Float32", func(b []byte) error { _, _, err := msgpimpl.ReadFloat32(b); return err })
	add("Float64", func(b []byte) error { _, _, err := msgpimpl.ReadFloat64(b); return err })
	add("Complex64", func(b []byte) error { _, _, err := msgpimpl.ReadComplex64(b); return err })
	add("Complex128", func(b []byte) error { _, _, err := msgpimpl.ReadComplex128(b); return err })
	for name, p := range primitives {
		read := readers[p.fn]
		if read == nil {
			t.Fatalf("no reader for %s", p.fn)
		}
		// Every first and second byte, the others all zeros or all ones.
		decodes := func(size int) bool {
			for _, fill := range []byte{0, 0xff} {
				for lead := range 256 {
					for second := range 256 {
						b := bytes.Repeat([]byte{fill}, size)
						if size > 0 {
							b[0] = byte(lead)
						}
						if size > 1 {
							b[1] = byte(second)
						}
						if read(b) == nil {
							return true
						}
					}
				}
			}
			return false
		}
		if decodes(p.size - 1) {
			t.Errorf("%s: %d bytes decode as a %s, fewer than its smallest encoding", name, p.size-1, p.fn)
		}
		if !decodes(p.size) {
			t.Errorf("%s: no %d bytes decode as a %s, its smallest encoding", name, p.size, p.fn)
		}
	}
}
