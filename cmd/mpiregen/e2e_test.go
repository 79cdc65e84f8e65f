package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goCmd runs the go command in dir and returns its combined output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// TestGoldenProgramsRun compiles every golden case with its generated file
// and runs it: a golden file that compiles but misbehaves fails here.
func TestGoldenProgramsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	bin := t.TempDir()
	goCmd(t, goldenDir, "build", "-o", bin, "./...")
	for _, dir := range cases(t, goldenDir) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(filepath.Join(bin, name)).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, out)
			}
			compareGolden(t, filepath.Join(dir, "output.txt"), out)
		})
	}
}

// repoRoot is the root of this repository.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// newModule writes a fresh module that uses this repository, the way a
// user's module does after go get.
func newModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/newcomer\n\ngo 1.26\n\n" +
		"require github.com/mpire-go/mpire v0.0.0\n\n" +
		"replace github.com/mpire-go/mpire => " + repoRoot(t) + "\n\n" +
		"tool github.com/mpire-go/mpire/cmd/mpiregen\n"
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd(t, dir, "mod", "tidy")
	return dir
}

const squareSrc = `package main

import (
	"context"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

GENERATE

// Square squares x.
//
//mpire:task
func Square(x int) int { return x * x }

func main() {
	pool := NewSquarePool(mpire.WithJobs(2))
	fmt.Println(pool.Map(context.Background(), []int{1, 2, 3}))
}
`

// withGenerate puts a go:generate line running command in src; the line is
// assembled here so that go generate does not take it for one of this file.
func withGenerate(src, command string) string {
	return strings.Replace(src, "GENERATE", "//"+"go:generate "+command, 1)
}

// TestNewcomerFlow is the README's path: go generate with go run, or with
// an installed mpiregen, then go run.
func TestNewcomerFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir := newModule(t, map[string]string{
		"viarun/main.go":       withGenerate(squareSrc, "go run github.com/mpire-go/mpire/cmd/mpiregen"),
		"viainstalled/main.go": withGenerate(squareSrc, "mpiregen"),
	})
	// Install mpiregen on a PATH of its own, as go install would.
	bin := t.TempDir()
	goCmd(t, repoRoot(t), "build", "-o", filepath.Join(bin, "mpiregen"), "./cmd/mpiregen")
	cmd := exec.Command("go", "generate", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}
	for _, pkg := range []string{"viarun", "viainstalled"} {
		if out := goCmd(t, dir, "run", "./"+pkg); out != "[1 4 9] <nil>\n" {
			t.Errorf("%s printed %q", pkg, out)
		}
	}
	// gofmt-clean, as the golden files are.
	if out := goCmd(t, dir, "fmt", "./..."); out != "" {
		t.Errorf("go fmt changed %s", out)
	}

	// Without a directive any more, the generated file goes away.
	src := filepath.Join(dir, "viarun", "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{filepath.Join(dir, "viarun")}, dir, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, &stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "viarun", "mpire_gen.go")); !os.IsNotExist(err) {
		t.Fatal("the stale generated file was not removed")
	}

	// A file of that name that mpiregen did not write is never removed.
	mine := filepath.Join(dir, "viarun", "mpire_gen.go")
	if err := os.WriteFile(mine, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{filepath.Join(dir, "viarun")}, dir, &stderr); code != 1 || !strings.Contains(stderr.String(), "not removing it") {
		t.Fatalf("exit %d, stderr %s", code, &stderr)
	}
}

func TestFlags(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-h"}, ".", &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: mpiregen") || !strings.Contains(stderr.String(), "-tags") {
		t.Fatalf("-h: exit %d\n%s", code, &stderr)
	}
	stderr.Reset()
	if code := run([]string{"-o", "../x.go"}, ".", &stderr); code != 2 {
		t.Fatalf("-o outside the package: exit %d", code)
	}
	if code := run([]string{"a", "b"}, ".", &stderr); code != 2 {
		t.Fatalf("two directories: exit %d", code)
	}
}
