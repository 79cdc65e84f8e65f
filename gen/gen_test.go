package gen

import (
	"errors"
	"go/ast"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFieldsSplitsOutsideQuotes(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"//mpire:task", nil},
		{"//mpire:task name=A", []string{"name=A"}},
		{"//mpire:task  state=M\tshared=*D ", []string{"state=M", "shared=*D"}},
		{`//mpire:task shared="func(int) int" name=F`, []string{`shared="func(int) int"`, "name=F"}},
		{`//mpire:task shared="a \" b"`, []string{`shared="a \" b"`}},
		{"//mpire:task shared=`struct{ A int \"k\" }` name=F", []string{"shared=`struct{ A int \"k\" }`", "name=F"}},
		{"//mpire:task shared = int", []string{"shared", "=", "int"}},
	} {
		var got []string
		for _, f := range fields(tc.text, len(taskDirective)) {
			got = append(got, f.text)
			if tc.text[f.offset:f.offset+len(f.text)] != f.text {
				t.Errorf("%q: offset %d does not point at %q", tc.text, f.offset, f.text)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("fields(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestSpacedKey(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string
		n    int
	}{
		{"//mpire:task shared = int", "shared = int", 3},
		{"//mpire:task shared =int name=A", "shared =int", 2},
		{"//mpire:task shared= int", "shared= int", 2},
		{"//mpire:task shared= name=A", "shared=", 1},
		{"//mpire:task portable name=A", "portable", 1},
		{"//mpire:task shared=int", "shared=int", 1},
	} {
		got, n := spacedKey(fields(tc.text, len(taskDirective)))
		if got != tc.want || n != tc.n {
			t.Errorf("spacedKey(%q) = %q, %d; want %q, %d", tc.text, got, n, tc.want, tc.n)
		}
	}
}

func TestParseDirective(t *testing.T) {
	r := &reporter{fset: token.NewFileSet()}
	d := parseDirective(r, &ast.Comment{Text: `//mpire:task state=Model shared="map[string]func() int"`})
	if len(r.diags) != 0 || d == nil {
		t.Fatalf("diagnostics %v", r.diags)
	}
	if d.keys["state"].value != "Model" || d.keys["shared"].value != "map[string]func() int" {
		t.Fatalf("keys %+v", d.keys)
	}
}

// TestLoadModelsATask checks the model gen gives the templates, on a
// package written for the test.
func TestLoadModelsATask(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := filepath.Abs("..")
	write("go.mod", "module example.com/m\n\ngo 1.26\n\nrequire github.com/mpire-go/mpire v0.0.0\n\nreplace github.com/mpire-go/mpire => "+root+"\n")
	sum, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	write("go.sum", string(sum))
	write("m.go", `package m

import (
	"context"

	mpire "github.com/mpire-go/mpire/runtime"
)

type Model struct{}

func load(ctx context.Context, m *Model) error { return nil }

func done(id mpire.WorkerID) (int, error) { return 0, nil }

// Score scores.
//
//mpire:task name=Scorer state=Model shared="func(int) int" init=load exit=done
func Score(ctx context.Context, id mpire.WorkerID, f func(int) int, m *Model, x, _ int, ys ...string) (float64, error) {
	return 0, nil
}

func use() { _ = NewScorerPool } // not generated yet: no error
`)
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	tidy.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	// A stale generated file that no longer compiles is ignored.
	write("mpire_gen.go", Header+"\n\npackage m\n\nthis does not compile\n")
	pkg, err := Load(Config{Dir: dir, Output: "mpire_gen.go"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Tasks) != 1 {
		t.Fatalf("%d tasks", len(pkg.Tasks))
	}
	task := pkg.Tasks[0]
	if task.Func != "Score" || task.Pool != "ScorerPool" || task.New != "NewScorerPool" || task.ArgsType != "ScorerArgs" {
		t.Fatalf("names %+v", task)
	}
	if !slices.Equal(task.Leading, []Kind{Ctx, WorkerID, Shared, State}) {
		t.Fatalf("leading %v", task.Leading)
	}
	var labels, names, fieldNames []string
	for _, a := range task.Args {
		labels = append(labels, a.Label)
		names = append(names, a.Name)
		fieldNames = append(fieldNames, a.Field)
	}
	if !slices.Equal(labels, []string{"x", "arg1", "ys"}) || !slices.Equal(names, []string{"x", "arg1", "ys"}) ||
		!slices.Equal(fieldNames, []string{"X", "Arg1", "Ys"}) || !task.Variadic {
		t.Fatalf("args %q, names %q, fields %q, variadic %v", labels, names, fieldNames, task.Variadic)
	}
	if task.Result.Kind != Basic || task.Result.Name != "float64" || !task.ResultErr || task.Shared.Kind != Func || len(task.Shared.Fields) != 1 ||
		task.State.Kind != Named || task.State.Pkg != "example.com/m" || task.State.Name != "Model" {
		t.Fatalf("types: result %+v, shared %+v, state %+v", task.Result, task.Shared, task.State)
	}
	if task.Scopes.Run.Recv != "p" || task.Scopes.Run.N != "n" {
		t.Fatalf("locals %+v", task.Scopes.Run)
	}
	if task.Init == nil || !slices.Equal(task.Init.Leading, []Kind{Ctx, State}) || !task.Init.ResultErr {
		t.Fatalf("init %+v", task.Init)
	}
	// Check finds the errors of a generated file, positioned in it, and
	// those of the package with it (here, a pool it does not declare).
	err = Check(Config{Dir: dir, Output: "mpire_gen.go"}, pkg, []byte("package m\n\nvar _ int = \"x\"\n"))
	var ds Diagnostics
	if !errors.As(err, &ds) || len(ds) != 2 || filepath.Base(ds[1].Pos.Filename) != "mpire_gen.go" || ds[1].Pos.Line != 3 ||
		ds[0].Msg != "undefined: NewScorerPool" {
		t.Fatalf("Check: %v", err)
	}
	if task.Exit == nil || task.Exit.Result.Name != "int" || !task.Exit.ResultErr || !slices.Equal(task.Exit.Leading, []Kind{WorkerID}) {
		t.Fatalf("exit %+v", task.Exit)
	}
}
