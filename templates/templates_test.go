package templates

import (
	"go/types"
	"testing"

	"github.com/dave/jennifer/jen"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTypeCode(t *testing.T) {
	pkg := types.NewPackage("example.com/geo", "geo")
	point := types.NewNamed(types.NewTypeName(0, pkg, "Point", nil), types.NewStruct(nil, nil), nil)
	intT := types.Typ[types.Int]
	recvOnly := types.NewChan(types.RecvOnly, intT)
	for _, tc := range []struct {
		typ     types.Type
		want    string
		imports bool // the code imports package geo
	}{
		{intT, "int", false},
		{types.NewPointer(point), "*geo.Point", true},
		{types.NewSlice(point), "[]geo.Point", true},
		{types.NewArray(intT, 3), "[3]int", false},
		{types.NewMap(types.Typ[types.String], types.NewSlice(intT)), "map[string][]int", false},
		{types.NewChan(types.SendOnly, intT), "chan<- int", false},
		{recvOnly, "<-chan int", false},
		{types.NewChan(types.SendRecv, recvOnly), "chan (<-chan int)", false},
		{types.NewStruct([]*types.Var{types.NewField(0, nil, "N", intT, false)}, []string{`json:"n"`}), "struct {\n\tN int `json:\"n\"`\n}", false},
		{types.Universe.Lookup("error").Type(), "error", false},
	} {
		f := jen.NewFile("x")
		f.Var().Id("v").Add(typeCode(tc.typ))
		got := f.GoString()
		want := "package x\n\nvar v " + tc.want + "\n"
		if tc.imports {
			want = "package x\n\nimport geo \"example.com/geo\"\n\nvar v " + tc.want + "\n"
		}
		if got != want {
			t.Errorf("typeCode(%v):\n%s\nwant\n%s", tc.typ, got, want)
		}
	}
}
