package gen

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

func TestParsePortableKey(t *testing.T) {
	r := &reporter{fset: token.NewFileSet()}
	d := parseDirective(r, &ast.Comment{Text: "//mpire:task state=M portable"})
	if _, ok := d.keys["portable"]; !ok || len(r.diags) != 0 || d.refused {
		t.Fatalf("portable: keys %v, diagnostics %v", d.keys, r.diags)
	}
	d = parseDirective(r, &ast.Comment{Text: "//mpire:task portable=yes"})
	if !d.refused || len(r.diags) != 1 || !strings.Contains(r.diags[0].Msg, "portable in //mpire:task takes no value") {
		t.Fatalf("portable=yes: %v", r.diags)
	}
}

// codecsOf type-checks src, a package p, and returns a codec set for it.
func codecsOf(t *testing.T, src string) (*codecSet, *types.Package) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	tpkg, err := conf.Check("example.com/p", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{r: &reporter{fset: fset}, pkg: &packages.Package{Types: tpkg}, conv: &converter{}}
	c.codecs = newCodecSet(c)
	return c.codecs, tpkg
}

func TestCodecsOfNamedTypes(t *testing.T) {
	s, pkg := codecsOf(t, `package p

import "time"

// Event embeds time.Time: its promoted MarshalBinary would encode the time
// alone, so Event is encoded field by field.
type Event struct {
	time.Time
	Name string
}

type Events = []Event
type Stamp = time.Time

type A struct{ B *B }
type B struct{ A []A }

type Hidden struct{ f func() }
`)
	typeOf := func(name string) types.Type { return pkg.Scope().Lookup(name).Type() }
	for _, name := range []string{"Event", "Events", "Stamp"} {
		if err := s.check(typeOf(name), nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	via := map[string]Via{}
	for _, cd := range s.list {
		via[cd.Type.Pkg+"."+cd.Type.Name] = cd.Via
	}
	if via["example.com/p.Event"] != ViaShape || via["time.Time"] != ViaBinary || via["example.com/p.Events"] != ViaShape || len(s.list) != 3 {
		t.Fatalf("codecs %v", via)
	}
	// The alias of time.Time shares its codec.
	stamp, _ := s.c.conv.typ(typeOf("Stamp"))
	tm, _ := s.c.conv.typ(typeOf("Event").Underlying().(*types.Struct).Field(0).Type())
	if s.byKey[typeKey(stamp)] != s.byKey[typeKey(tm)] {
		t.Fatal("an alias of time.Time has a codec of its own")
	}
	for name, want := range map[string]string{
		"A":      "field B of A is recursive",
		"Hidden": "field f of Hidden: func types cannot cross a process boundary",
	} {
		if err := s.check(typeOf(name), nil); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
}

func TestNesting(t *testing.T) {
	intT := &Type{Kind: Basic, Name: "int"}
	named := &Type{Kind: Named, Name: "N"}
	for _, tc := range []struct {
		t    *Type
		want int
	}{
		{intT, 0},
		{&Type{Kind: Slice, Elem: intT}, 1},
		{&Type{Kind: Map, Key: intT, Elem: &Type{Kind: Pointer, Elem: &Type{Kind: Slice, Elem: intT}}}, 3},
		{&Type{Kind: Struct, Fields: []Field{{Name: "A", Type: &Type{Kind: Array, Len: 2, Elem: intT}}, {Name: "B", Type: named}}}, 2},
		{&Type{Kind: Slice, Elem: named}, 1}, // a named type has a codec of its own
	} {
		if got := nesting(tc.t); got != tc.want {
			t.Errorf("nesting(%s) = %d, want %d", typeKey(tc.t), got, tc.want)
		}
	}
}
