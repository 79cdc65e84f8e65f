package gen

import (
	"go/build/constraint"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

func TestFreshNames(t *testing.T) {
	n := namer{"p": true, "p2": true, "arg1": true}
	for _, tc := range []struct{ want, got string }{
		{"p", "p3"},
		{"ctx", "ctx"},
		{"ctx", "ctx2"},
		{"arg1", "arg1_2"},
	} {
		if got := n.fresh(tc.want); got != tc.got {
			t.Errorf("fresh(%q) = %q, want %q", tc.want, got, tc.got)
		}
	}
}

// TestNameLocals checks that the names of each generated function avoid
// what that function refers to, and only that, and that arguments keep
// their names wherever they can.
func TestNameLocals(t *testing.T) {
	intT := &Type{Kind: Basic, Name: "int"}
	model := &Package{Path: "example.com/m", Imports: []Import{
		{Path: "context", Name: "context"}, {Path: "iter", Name: "iter"}, {Path: RuntimePath, Name: "mpire"},
		{Path: ImplPath, Name: "mpireimpl"}, {Path: "example.com/p", Name: "p"},
	}}
	task := &Task{
		Func: "n", Pool: "nPool", New: "newNPool", ArgsType: "nArgs",
		Result: &Type{Kind: Named, Pkg: "example.com/m", Name: "out"},
		Args: []Arg{{Label: "ctx", Type: intT}, {Label: "_", Type: intT}, {Label: "arg1", Type: intT},
			{Label: "nArgs", Type: intT}, {Label: "w", Type: &Type{Kind: Named, Pkg: "example.com/p", Name: "T"}}},
		Exit: &Hook{Func: "w", Result: intT},
	}
	nameLocals(model, task)
	var labels, names, fields []string
	for _, a := range task.Args {
		labels, names, fields = append(labels, a.Label), append(names, a.Name), append(fields, a.Field)
	}
	if want := []string{"ctx", "arg1_2", "arg1", "nArgs", "w"}; !slices.Equal(labels, want) {
		t.Errorf("labels %q, want %q", labels, want)
	}
	if want := []string{"ctx", "arg1_2", "arg1", "nArgs2", "w"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if want := []string{"Ctx", "Arg1_2", "Arg1", "NArgs", "W"}; !slices.Equal(fields, want) {
		t.Errorf("fields %q, want %q", fields, want)
	}
	s := task.Scopes
	for _, tc := range []struct {
		scope string
		got   Locals
		want  Locals
	}{
		// n is the task, out the result's type: run calls the one and
		// names the other.
		{"run", s.Run, Locals{Recv: "p", Worker: "w", Args: "args", Out: "out2", N: "n2", Err: "err", Ctx: "ctx", ID: "id", State: "state", A: "a"}},
		// p is an import that only Apply refers to, through the type of
		// an argument, and ctx an argument.
		{"Apply", s.Apply, Locals{Recv: "p2", Ctx: "ctx2", Opts: "opts"}},
		{"Map", s.Map, Locals{Recv: "p", Ctx: "ctx", Args: "args", Opts: "opts"}},
		// w is the exit function.
		{"exit", s.Exit, Locals{Recv: "p", Worker: "w2"}},
		{"Close", s.Pool, Locals{Recv: "p"}},
		{"New", s.New, Locals{Recv: "p", Shared: "shared", Opts: "opts", Fn: "fn"}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: locals %+v, want %+v", tc.scope, tc.got, tc.want)
		}
	}
}

func TestExportedFieldNames(t *testing.T) {
	for name, want := range map[string]string{"x": "X", "π": "Π", "数": "X数", "_x": "X_x", "Y": "Y"} {
		if got := exported(name); got != want {
			t.Errorf("exported(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestNameImports(t *testing.T) {
	model := &Package{Path: "example.com/m", Tasks: []*Task{{
		Result: &Type{Kind: Named, Pkg: "example.com/a/geo", PkgName: "geo", Name: "Point"},
		Sig: &Type{Kind: Func, Fields: []Field{{Type: &Type{Kind: Named, Pkg: "example.com/b/geo", PkgName: "geo", Name: "Tile"}}},
			Results: []Field{{Type: &Type{Kind: Named, Pkg: "example.com/m", PkgName: "m", Name: "Own"}}}},
	}}}
	n := namer{"context": true, "mpire": true}
	nameImports(n, model)
	got := map[string]string{}
	for _, imp := range model.Imports {
		got[imp.Path] = imp.Name
	}
	want := map[string]string{
		"context": "context2", "iter": "iter", RuntimePath: "mpire2", ImplPath: "mpireimpl",
		"example.com/a/geo": "geo", "example.com/b/geo": "geo2",
	}
	if len(got) != len(want) {
		t.Fatalf("imports %v, want %v", got, want)
	}
	for p, name := range want {
		if got[p] != name {
			t.Errorf("%s imported as %q, want %q", p, got[p], name)
		}
	}
	if !slices.IsSortedFunc(model.Imports, func(a, b Import) int { return strings.Compare(a.Path, b.Path) }) {
		t.Errorf("model %+v", model)
	}
}

func TestBuildConstraints(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"a.go", "package a\n", ""},
		{"a_linux.go", "package a\n", "linux"},
		{"a_windows_arm64.go", "package a\n", "windows && arm64"},
		{"a_amd64.go", "//go:build cgo\n\npackage a\n", "cgo && amd64"},
		{"a_linux.go", "//go:build linux\n\npackage a\n", "linux"},
		{"linux.go", "package a\n", ""},
		{"a_linux_test.go", "package a\n", "linux"},
		{"a.go", "// A comment.\n\n//go:build !windows\n\npackage a\n", "!windows"},
		{"a.go", "package a\n\n//go:build linux\n", ""}, // after the package clause: not a constraint
	} {
		f, err := parser.ParseFile(token.NewFileSet(), tc.name, tc.src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if got := constraintString(fileConstraint(f, tc.name)); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.name, tc.src, got, tc.want)
		}
	}
}

func TestImplies(t *testing.T) {
	parse := func(s string) constraint.Expr {
		if s == "" {
			return nil
		}
		e, err := constraint.Parse("//go:build " + s)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	for _, tc := range []struct {
		x, y string
		want bool
	}{
		{"darwin || linux", "linux || darwin", true},
		{"amd64 && linux", "linux && amd64", true},
		{"linux", "linux || darwin", true},
		{"linux || darwin", "linux", false},
		{"", "linux", false},
		{"linux", "", true},
		{"", "", true},
		{"!(a && b)", "!a || !b", true},
		{"a && !a", "b", true},
	} {
		if got := implies(parse(tc.x), parse(tc.y)); got != tc.want {
			t.Errorf("implies(%q, %q) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		word string
		want string
	}{
		{"stat", "state"},
		{"sahred", "shared"},
		{"Name", "name"},
		{"color", ""},
		{"x", ""},
	} {
		if got := closest(tc.word, directiveKeys); got != tc.want {
			t.Errorf("closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
