package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeUseItInYourModule follows the README's "Use it in your module"
// with a local clone, as written and in its order: go mod init, its go mod
// edit and go mod tidy in the empty module, its program, then its commands.
// Unlike the other tests of a fresh module, it runs the go command with
// -mod=readonly, as a user's shell does, so that a go.sum lacking what the
// runtime imports fails here as it fails for a newcomer.
func TestReadmeUseItInYourModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Use it in your module\n")
	if !ok {
		t.Fatal("README: no section \"Use it in your module\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := regexp.MustCompile("(?s)```(sh|go)\n(.*?)```").FindAllStringSubmatch(section, -1)
	var clone, program, run string
	for i, b := range blocks {
		switch {
		case b[1] == "sh" && strings.Contains(b[2], "-replace="):
			clone = b[2]
		case b[1] == "go" && strings.Contains(b[2], "package main"):
			program = b[2]
			if i+1 < len(blocks) && blocks[i+1][1] == "sh" {
				run = blocks[i+1][2]
			}
		}
	}
	if clone == "" || program == "" || run == "" {
		t.Fatalf("README: the local clone's commands, the program or the commands after it are missing:\n%s", section)
	}

	dir := filepath.Join(t.TempDir(), "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The README's clone is ../mpire, beside the module.
	if err := os.Symlink(repoRoot(t), filepath.Join(dir, "..", "mpire")); err != nil {
		t.Fatal(err)
	}
	sh := func(line string) string {
		t.Helper()
		line, _, _ = strings.Cut(line, "#")
		args := strings.Fields(line)
		if len(args) == 0 {
			return ""
		}
		if args[0] != "go" {
			t.Fatalf("README: not a go command: %q", line)
		}
		cmd := exec.Command("go", args[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", line, err, out, stderr.String())
		}
		return string(out)
	}
	sh("go mod init example.com/app")
	for line := range strings.Lines(clone) {
		sh(line)
	}
	writeFile(t, filepath.Join(dir, "main.go"), program)
	var out string
	for line := range strings.Lines(run) {
		out = sh(line)
	}
	if want := "[0 1 4 9 16 25 36 49 64 81]\n"; out != want {
		t.Errorf("the program printed %q, want %q", out, want)
	}
}
