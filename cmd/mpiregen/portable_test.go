package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

const portableSrc = `package main

import (
	"context"
	"fmt"
	"os"

	mpire "github.com/mpire-go/mpire/runtime"
)

GENERATE

// Square squares x, in a worker process.
//
//mpire:task portable
func Square(x int) (int, error) {
	if x < 0 {
		os.Exit(3)
	}
	return x * x, nil
}

func main() {
	pool := NewSquarePool(mpire.WithJobs(2), mpire.WithProcesses())
	defer pool.Close()
	fmt.Println(pool.Map(context.Background(), []int{1, 2, 3}))
}
`

// portableTestSrc runs the pool from a test binary with no TestMain.
const portableTestSrc = `package main

import (
	"context"
	"errors"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
)

func TestSquareInProcesses(t *testing.T) {
	pool := NewSquarePool(mpire.WithJobs(2), mpire.WithProcesses())
	defer pool.Close()
	got, err := pool.Map(context.Background(), []int{4, 5})
	if err != nil || got[0] != 16 || got[1] != 25 {
		t.Fatalf("Map = %v, %v", got, err)
	}
	if _, err := pool.Apply(context.Background(), -1); !errors.Is(err, mpire.ErrWorkerDied) {
		t.Fatalf("a task that exits its process: %v", err)
	}
}
`

// TestPortableNewcomerFlow is the path of a first portable task, in a
// fresh module whose go.mod names no MessagePack library: go mod tidy, go
// generate and go run, as a user runs them, with nothing else; then the
// program and its tests run their tasks in worker processes, with nothing
// added to main or TestMain, and go.mod is still tidy.
func TestPortableNewcomerFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("worker processes run on Linux and macOS")
	}
	t.Parallel()
	dir := newModule(t, map[string]string{ // runs go mod tidy
		"square/main.go":      withGenerate(portableSrc, "mpiregen"),
		"square/main_test.go": portableTestSrc,
	})
	goMod := func() string {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tidy := goMod()
	if strings.Contains(tidy, "msgp") {
		t.Fatalf("go.mod names msgp before generation:\n%s", tidy)
	}
	// As a user runs them, without -mod=mod: go.mod and go.sum as go mod
	// tidy left them.
	asUser := "GOFLAGS="
	goCmd(t, dir, append(withTool(t), asUser), "generate", "./...")
	square := filepath.Join(dir, "square")
	if out := goCmd(t, square, []string{asUser}, "run", "."); out != "[1 4 9] <nil>\n" {
		t.Errorf("the program printed %q", out)
	}
	goCmd(t, dir, []string{asUser}, "test", "./square")
	goCmd(t, dir, []string{asUser}, "vet", "./...")
	gen, err := parser.ParseFile(token.NewFileSet(), filepath.Join(square, "mpire_gen.go"), nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range gen.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); strings.Contains(path, ".") && !strings.HasPrefix(path, "github.com/mpire-go/mpire/") {
			t.Errorf("the generated file imports %s, outside the runtime's module", path)
		}
	}
	goCmd(t, dir, []string{asUser}, "mod", "tidy")
	if after := goMod(); after != tidy {
		t.Errorf("go mod tidy after generation changed go.mod:\n%s\nto\n%s", tidy, after)
	}
}
