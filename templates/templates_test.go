package templates

import (
	"testing"

	"github.com/dave/jennifer/jen"
	"go.uber.org/goleak"

	"github.com/mpire-go/mpire/gen"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTypeCode(t *testing.T) {
	point := &gen.Type{Kind: gen.Named, Pkg: "example.com/geo", Name: "Point"}
	intT := &gen.Type{Kind: gen.Basic, Name: "int"}
	recvOnly := &gen.Type{Kind: gen.Chan, Dir: gen.RecvOnly, Elem: intT}
	for _, tc := range []struct {
		typ     *gen.Type
		want    string
		imports bool // the code imports package geo
	}{
		{intT, "int", false},
		{&gen.Type{Kind: gen.Pointer, Elem: point}, "*geo.Point", true},
		{&gen.Type{Kind: gen.Slice, Elem: point}, "[]geo.Point", true},
		{&gen.Type{Kind: gen.Array, Len: 3, Elem: intT}, "[3]int", false},
		{&gen.Type{Kind: gen.Map, Key: &gen.Type{Kind: gen.Basic, Name: "string"}, Elem: &gen.Type{Kind: gen.Slice, Elem: intT}}, "map[string][]int", false},
		{&gen.Type{Kind: gen.Chan, Dir: gen.SendOnly, Elem: intT}, "chan<- int", false},
		{recvOnly, "<-chan int", false},
		{&gen.Type{Kind: gen.Chan, Elem: recvOnly}, "chan (<-chan int)", false},
		{&gen.Type{Kind: gen.Struct, Fields: []gen.Field{{Name: "N", Type: intT, Tag: `json:"n"`}}}, "struct {\n\tN int `json:\"n\"`\n}", false},
		{&gen.Type{Kind: gen.Func, Variadic: true, Fields: []gen.Field{{Type: intT}, {Type: &gen.Type{Kind: gen.Slice, Elem: point}}},
			Results: []gen.Field{{Type: &gen.Type{Kind: gen.Basic, Name: "error"}}}}, "func(int, ...geo.Point) error", true},
		{&gen.Type{Kind: gen.Named, Pkg: "example.com/geo", Name: "Pair", Args: []*gen.Type{intT, point}}, "geo.Pair[int, geo.Point]", true},
	} {
		f := jen.NewFile("x")
		f.Var().Id("v").Add(typeCode(tc.typ))
		got := f.GoString()
		want := "package x\n\nvar v " + tc.want + "\n"
		if tc.imports {
			want = "package x\n\nimport geo \"example.com/geo\"\n\nvar v " + tc.want + "\n"
		}
		if got != want {
			t.Errorf("typeCode(%s):\n%s\nwant\n%s", tc.want, got, want)
		}
	}
}

func TestGroupImports(t *testing.T) {
	src := []byte("package x\n\nimport (\n\t\"context\"\n\tgeo2 \"example.com/geo\"\n\t\"iter\"\n)\n\nvar _ context.Context\nvar _ geo2.T\nvar _ iter.Seq[int]\n")
	got, err := groupImports(src, []gen.Import{{Path: "context", Std: true}, {Path: "example.com/geo"}, {Path: "iter", Std: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := "package x\n\nimport (\n\t\"context\"\n\t\"iter\"\n\n\tgeo2 \"example.com/geo\"\n)\n\nvar _ context.Context\nvar _ geo2.T\nvar _ iter.Seq[int]\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDocWrapsParagraphs(t *testing.T) {
	f := jen.NewFile("x")
	doc(f, "One idea that is long enough to wrap because it goes on and on past the eightieth column.", "Another, in which it is time to run go generate.")
	f.Var().Id("v").Int()
	want := "package x\n\n// One idea that is long enough to wrap because it goes on and on past the\n// eightieth column.\n//\n// Another, in which it is time to run go generate.\nvar v int\n"
	if got := f.GoString(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
