package gen

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

// TestWhere checks where a function declared in several files builds: where
// one of them does, simplified, and nowhere constrained when together they
// cover every platform.
func TestWhere(t *testing.T) {
	for _, tc := range []struct {
		builds []string // "" for a file without constraint
		want   string
	}{
		{[]string{"linux"}, "linux"},
		{[]string{"linux", "!linux"}, ""},
		{[]string{"linux", "windows", "!linux && !windows"}, ""},
		{[]string{"darwin", "linux"}, "darwin || linux"},
		{[]string{"linux", "linux && amd64"}, "linux"},
		{[]string{"linux && amd64", "linux"}, "linux"},
		{[]string{"linux", ""}, ""},
		{[]string{"unix", "windows"}, "unix || windows"},
	} {
		var list []declaration
		for _, b := range tc.builds {
			var d declaration
			if b != "" {
				e, err := constraint.Parse("//go:build " + b)
				if err != nil {
					t.Fatal(err)
				}
				d.build = e
			}
			list = append(list, d)
		}
		if got := constraintString(where(list)); got != tc.want {
			t.Errorf("where(%q) = %q, want %q", tc.builds, got, tc.want)
		}
	}
}

// TestReadDeclarations reads the declarations of a function in two files,
// one of which this build leaves out, in the order of the files' names.
func TestReadDeclarations(t *testing.T) {
	dir := t.TempDir()
	linux := writeGo(t, dir, "work_linux.go", "package m\n\n//mpire:task  name=W\nfunc Work(x int) int { return x }\n\nfunc onLinux() {}\n\ntype Pair[K comparable, V any] struct{ k K; v V }\n")
	other := writeGo(t, dir, "work_other.go", "//go:build !linux\n\npackage m\n\n//mpire:task name=W\nfunc Work(x int) int { return -x }\n\nfunc helper() {}\n\ntype Pair = int\n")
	tool := writeGo(t, dir, "tool.go", "//go:build ignore\n\npackage main\n\n//mpire:task\nfunc Work(y string) int { return 0 }\n")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, other, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := readDeclarations(fset, nil, nil, "m", "")
	if len(ds) != 0 {
		t.Fatalf("no files: %v", ds)
	}
	// This build sees work_other.go; work_linux.go and a program of
	// another package are left out.
	ds, typs := readDeclarations(fset, []*ast.File{f}, []string{linux, tool}, "m", "")
	work := ds.tasks("Work")
	if len(work) != 2 || !work[0].ignored || work[1].ignored || work[0].directive != "//mpire:task name=W" || work[0].sig != "func(x int) int" {
		t.Fatalf("Work: %+v", work)
	}
	if ds.elsewhere("Work") || ds.elsewhere("helper") || ds.elsewhere("missing") {
		t.Error("elsewhere: a function this build has")
	}
	if got := typs["Pair"]; len(got) != 2 || got[0].sig != "[K comparable, V any] struct{k K; v V}" || got[1].sig != "= int" {
		t.Errorf("types: %+v", got)
	}
	if !ds.elsewhere("onLinux") {
		t.Error("elsewhere: not a function only of the files left out")
	}
	if got := constraintString(where(work)); got != "" {
		t.Errorf("Work builds where %q, want everywhere", got)
	}
}

// writeGo writes a file in dir and returns its path.
func writeGo(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
