package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/mpire-go/mpire/gen"
)

var update = flag.Bool("update", false, "rewrite the golden files under golden/ from what mpiregen does now")

// goldenDir holds one case per directory: a package that mpiregen must
// generate for (with its expected mpire_gen.go and output.txt), or, under
// testdata, one it must refuse (with its expected diagnostics.txt).
const goldenDir = "../../golden"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		removeTool()
		os.Exit(code)
	}))
}

// track reads every file below dirs, so that go test's cache of these
// tests' results depends on them: the commands the tests run read them, and
// go test only sees what the test process itself opens.
func track(t *testing.T, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				_, err = os.ReadFile(path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// cases lists the case directories below dir.
func cases(t *testing.T, dir string) []string {
	t.Helper()
	track(t, dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "testdata" {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		t.Fatalf("no cases in %s", dir)
	}
	return out
}

// compareGolden compares got with the golden file, or rewrites it with -update.
func compareGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mpiregen -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what mpiregen does now (go test ./cmd/mpiregen -update rewrites it):\n%s", file, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// mpiregen runs the mpiregen command, built once, in dir with args.
// The tests run it as a command rather than calling run: built without the
// race detector, it loads and checks packages several times faster.
func mpiregen(t *testing.T, dir string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(tool(t), "mpiregen"), args...)
	cmd.Dir = dir
	var outBuf, errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return outBuf.Bytes(), errBuf.Bytes(), code
}

func TestGeneratedCodeMatchesGolden(t *testing.T) {
	for _, dir := range cases(t, goldenDir) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			src, stderr, code := mpiregen(t, dir, "-stdout")
			if code != 0 {
				t.Fatalf("exit status %d:\n%s", code, stderr)
			}
			if !gen.IsGenerated(src) {
				t.Fatalf("generated file starts with %q", src[:min(len(src), 50)])
			}
			compareGolden(t, filepath.Join(dir, "mpire_gen.go"), src)
		})
	}
}

func TestBadPackagesGetPositionedDiagnostics(t *testing.T) {
	for _, dir := range cases(t, filepath.Join(goldenDir, "testdata")) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			output := filepath.Join(dir, "mpire_gen.go")
			before, _ := os.ReadFile(output) // a hand-written one, in some cases
			_, stderr, code := mpiregen(t, dir)
			if code != 1 {
				t.Fatalf("exit status %d, want 1; stderr:\n%s", code, stderr)
			}
			if after, _ := os.ReadFile(output); !bytes.Equal(before, after) {
				t.Fatal("mpiregen wrote a file for a package with problems")
			}
			if bytes.Contains(stderr, []byte("mpire_gen.go:")) && before == nil {
				t.Error("a diagnostic points into the generated file")
			}
			compareGolden(t, filepath.Join(dir, "diagnostics.txt"), stderr)
		})
	}
}
