package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// goCmd runs the go command in dir, with env added to the environment, and
// returns its combined output.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := goCmdErr(dir, env, args...)
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

func goCmdErr(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The mpiregen command, built once per test binary for the tests that run
// it the way users do, through go generate.
var (
	toolOnce sync.Once
	toolDir  string
	toolOut  string
	toolErr  error
)

// tool returns a directory holding an mpiregen binary, to put on PATH.
func tool(t *testing.T) string {
	t.Helper()
	toolOnce.Do(func() {
		if toolDir, toolErr = os.MkdirTemp("", "mpiregen"); toolErr != nil {
			return
		}
		toolOut, toolErr = goCmdErr(repoRoot(t), nil, "build", "-o", filepath.Join(toolDir, "mpiregen"), "./cmd/mpiregen")
	})
	if toolErr != nil {
		t.Fatalf("building mpiregen: %v\n%s", toolErr, toolOut)
	}
	return toolDir
}

// removeTool removes what tool built, once every test is done.
func removeTool() {
	if toolDir != "" {
		os.RemoveAll(toolDir)
	}
}

// withTool is the environment of a go command that finds mpiregen on PATH.
func withTool(t *testing.T) []string {
	return []string{"PATH=" + tool(t) + string(os.PathListSeparator) + os.Getenv("PATH")}
}

// TestConstrainedTaskBuildsEverywhere builds the case whose task is built
// only on Linux for other platforms: its generated file follows it.
func TestConstrainedTaskBuildsEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles")
	}
	for _, goos := range []string{"darwin", "windows"} {
		goCmd(t, goldenDir, []string{"GOOS=" + goos}, "vet", "./constrained", "./equivalent_constraints", "./hook_constraints",
			"./platform_files", "./generic_args", "./portable_worker_id")
	}
}

// TestPlatformFilesGiveOneFile runs mpiregen, for other platforms, on the
// case whose task has a declaration for Linux, one for Windows and one for
// the others: each run sees another declaration, and writes the same file.
func TestPlatformFilesGiveOneFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	dir := filepath.Join(goldenDir, "platform_files")
	want, err := os.ReadFile(filepath.Join(dir, "mpire_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, platform := range [][]string{{"GOOS=darwin"}, {"GOOS=windows"}, {"GOOS=freebsd", "GOARCH=arm64"}, {"GOOS=js", "GOARCH=wasm"}} {
		t.Run(strings.Join(platform, ","), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(filepath.Join(tool(t), "mpiregen"), "-stdout")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), platform...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.Bytes())
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the generated file differs from the one generated on Linux:\n%s", lineDiff(string(want), string(got)))
			}
		})
	}
}

// TestOtherPlatformKeepsTheFile runs mpiregen for a platform where the
// package's only task is not built: it sees no task, and keeps the file
// generated for Linux.
func TestOtherPlatformKeepsTheFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Parallel()
	dir := newModule(t, map[string]string{
		"square/main.go":         "package main\n\nfunc main() {}\n",
		"square/square_linux.go": strings.Replace(withGenerate(squareSrc, "mpiregen"), "func main()", "func run()", 1),
	})
	square := filepath.Join(dir, "square")
	for _, goos := range []string{"linux", "darwin"} {
		cmd := exec.Command(filepath.Join(tool(t), "mpiregen"))
		cmd.Dir = square
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("GOOS=%s mpiregen: %v\n%s", goos, err, out)
		}
		src, err := os.ReadFile(filepath.Join(square, "mpire_gen.go"))
		if err != nil || !strings.Contains(string(src), "//go:build linux\n") {
			t.Fatalf("after GOOS=%s mpiregen, mpire_gen.go is not the Linux one: %v\n%s", goos, err, src)
		}
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
		writeFile(t, filepath.Join(dir, name), content)
	}
	goCmd(t, dir, nil, "mod", "tidy")
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
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
	t.Parallel()
	dir := newModule(t, map[string]string{
		"viarun/main.go":       withGenerate(squareSrc, "go run github.com/mpire-go/mpire/cmd/mpiregen"),
		"viainstalled/main.go": withGenerate(squareSrc, "mpiregen"),
	})
	goCmd(t, dir, withTool(t), "generate", "./...")
	for _, pkg := range []string{"viarun", "viainstalled"} {
		if out := goCmd(t, dir, nil, "run", "./"+pkg); out != "[1 4 9] <nil>\n" {
			t.Errorf("%s printed %q", pkg, out)
		}
	}
	// gofmt-clean, as the golden files are.
	if out := goCmd(t, dir, nil, "fmt", "./..."); out != "" {
		t.Errorf("go fmt changed %s", out)
	}
}

// TestEditAboveTheTaskKeepsTheFile edits the user's file above the task
// function: the generated file, which holds no line number, stays as it was,
// and the program still builds and runs.
func TestEditAboveTheTaskKeepsTheFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Parallel()
	src := withGenerate(squareSrc, "mpiregen")
	dir := newModule(t, map[string]string{"square/main.go": src})
	square := filepath.Join(dir, "square")
	before, stderr, code := mpiregen(t, square, "-stdout")
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, stderr)
	}
	writeFile(t, filepath.Join(square, "mpire_gen.go"), string(before))
	writeFile(t, filepath.Join(square, "main.go"), strings.Replace(src, "// Square squares x.", "// Three lines above the task.\nconst three = 3\n\n// Square squares x.", 1))
	after, stderr, code := mpiregen(t, square, "-stdout")
	if code != 0 || !bytes.Equal(before, after) {
		t.Errorf("exit status %d; after an edit above the task, the generated file changed:\n%s%s", code, lineDiff(string(before), string(after)), stderr)
	}
	if out := goCmd(t, dir, nil, "run", "./square"); out != "[1 4 9] <nil>\n" {
		t.Errorf("square printed %q", out)
	}
}

// TestRemovingTheLastDirective removes the only directive of a package and
// runs go generate again: it succeeds and the package builds. Outside go
// generate, mpiregen then removes its file.
func TestRemovingTheLastDirective(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	t.Parallel()
	dir := newModule(t, map[string]string{"square/main.go": withGenerate(squareSrc, "mpiregen")})
	env := withTool(t)
	goCmd(t, dir, env, "generate", "./...")
	gone := withGenerate("package main\n\nGENERATE\n\nfunc main() {}\n", "mpiregen")
	writeFile(t, filepath.Join(dir, "square", "main.go"), gone)
	goCmd(t, dir, env, "generate", "./...")
	goCmd(t, dir, nil, "build", "-o", t.TempDir()+"/", "./...")
	goCmd(t, dir, env, "generate", "./...") // again, on the emptied file
	goCmd(t, dir, nil, "vet", "./...")

	cmd := exec.Command(filepath.Join(tool(t), "mpiregen"))
	cmd.Dir = filepath.Join(dir, "square")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mpiregen: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "square", "mpire_gen.go")); !os.IsNotExist(err) {
		t.Fatal("mpiregen run by hand did not remove the generated file of a package without tasks")
	}
	goCmd(t, dir, nil, "build", "-o", t.TempDir()+"/", "./...")
}

// TestStaleCodePointsToGoGenerate changes a task's signature without
// running go generate: the first compiler error is on the guard line of
// the generated file, whose comment says to run go generate.
func TestStaleCodePointsToGoGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	t.Parallel()
	dir := newModule(t, map[string]string{"square/main.go": withGenerate(squareSrc, "mpiregen")})
	goCmd(t, dir, withTool(t), "generate", "./...")
	src := filepath.Join(dir, "square", "main.go")
	old, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, strings.Replace(string(old), "func Square(x int) int { return x * x }", "func Square(x int64) int64 { return x * x }", 1))
	out, err := goCmdErr(dir, nil, "build", "-o", t.TempDir()+"/", "./...")
	if err == nil {
		t.Fatalf("go build succeeded on stale generated code:\n%s", out)
	}
	var first string
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "#") {
			first = line
			break
		}
	}
	file, rest, _ := strings.Cut(first, ":")
	lineNo, _, _ := strings.Cut(rest, ":")
	n, err := strconv.Atoi(lineNo)
	if filepath.Base(file) != "mpire_gen.go" || err != nil {
		t.Fatalf("the first error is not in the generated file:\n%s", out)
	}
	gen, err := os.ReadFile(filepath.Join(dir, "square", "mpire_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	// The line, and the comment just above it.
	var lines []string
	for s := bufio.NewScanner(bytes.NewReader(gen)); s.Scan(); {
		lines = append(lines, s.Text())
	}
	if !strings.Contains(lines[n-1], "= Square") || !strings.Contains(lines[n-2], "go generate") {
		t.Fatalf("the first error is at line %d of mpire_gen.go, which is not a guard saying to run go generate:\n%s\n%s\n%s",
			n, out, lines[n-2], lines[n-1])
	}
}

// TestDiagnosticsNameThePackage runs go generate over two packages that
// have the same mistake at the same line: their diagnostics tell them
// apart, relative to the module's root.
func TestDiagnosticsNameThePackage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go generate")
	}
	t.Parallel()
	bad := withGenerate("package main\n\nGENERATE\n\n//mpire:task stat=Model\nfunc F(x int) int { return x }\n\nfunc main() {}\n", "mpiregen")
	dir := newModule(t, map[string]string{"one/main.go": bad, "two/main.go": bad})
	out, err := goCmdErr(dir, withTool(t), "generate", "./...")
	if err == nil {
		t.Fatalf("go generate succeeded:\n%s", out)
	}
	for _, want := range []string{
		filepath.Join("one", "main.go") + `:5:14: task F: unknown key "stat" in //mpire:task: did you mean state?`,
		filepath.Join("two", "main.go") + `:5:14: task F: unknown key "stat" in //mpire:task: did you mean state?`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("go generate printed\n%s\nwithout\n%s", out, want)
		}
	}
}

func TestFlags(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-h"}, ".", io.Discard, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: mpiregen") || !strings.Contains(stderr.String(), "-tags") {
		t.Fatalf("-h: exit %d\n%s", code, &stderr)
	}
	stderr.Reset()
	if code := run([]string{"-o", "../x.go"}, ".", io.Discard, &stderr); code != 2 {
		t.Fatalf("-o outside the package: exit %d", code)
	}
	if code := run([]string{"a", "b"}, ".", io.Discard, &stderr); code != 2 {
		t.Fatalf("two directories: exit %d", code)
	}
}

// TestNothingToGenerate runs mpiregen where there is nothing to generate
// for: a package of test files only succeeds in silence, a directory
// without Go files says so, once, without a position.
func TestNothingToGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Parallel()
	dir := newModule(t, map[string]string{
		"tests/x_test.go": "package tests\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
		"empty/README":    "no Go here\n",
	})
	stdout, stderr, code := mpiregen(t, filepath.Join(dir, "tests"))
	if code != 0 || len(stdout)+len(stderr) > 0 {
		t.Errorf("test files only: exit status %d, want 0 and no output; got:\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "tests", "mpire_gen.go")); err == nil {
		t.Error("test files only: mpiregen wrote a file")
	}
	_, stderr, code = mpiregen(t, filepath.Join(dir, "empty"))
	if want := "mpiregen: no Go files in " + filepath.Join(dir, "empty") + "\n"; code != 1 || string(stderr) != want {
		t.Errorf("no Go files: exit status %d and\n%s\nwant 1 and\n%s", code, stderr, want)
	}
}

// TestOtherPlatformWithoutTheHook runs mpiregen, for a platform where the
// init function is not built, on the case whose task is built everywhere:
// the task is not built there either, and the Linux file stays.
func TestOtherPlatformWithoutTheHook(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Parallel()
	dir := filepath.Join(goldenDir, "hook_constraints")
	before, err := os.ReadFile(filepath.Join(dir, "mpire_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(tool(t), "mpiregen"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=darwin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=darwin mpiregen: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "mpire_gen.go")); !bytes.Equal(before, after) {
		t.Errorf("GOOS=darwin mpiregen changed mpire_gen.go:\n%s", after)
	}
}
