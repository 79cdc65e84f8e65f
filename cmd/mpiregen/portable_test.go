package main

import (
	"runtime"
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

// TestPortableNewcomerFlow is the path of a first portable task: go
// generate says to add msgp, then the program and its tests run their
// tasks in worker processes, with nothing added to main or TestMain.
func TestPortableNewcomerFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("worker processes run on Linux and macOS")
	}
	t.Parallel()
	dir := newModule(t, map[string]string{
		"square/main.go":      withGenerate(portableSrc, "mpiregen"),
		"square/main_test.go": portableTestSrc,
	})
	// As a user runs it, without -mod=mod: msgp is not in go.mod yet.
	out, err := goCmdErr(dir, append(withTool(t), "GOFLAGS="), "generate", "./...")
	if err == nil || !strings.Contains(out, "run go get github.com/tinylib/msgp@v1.6.5") {
		t.Fatalf("go generate without msgp in go.mod: %v\n%s", err, out)
	}
	goCmd(t, dir, nil, "get", "github.com/tinylib/msgp@v1.6.5")
	goCmd(t, dir, withTool(t), "generate", "./...")
	if out := goCmd(t, dir, nil, "run", "./square"); out != "[1 4 9] <nil>\n" {
		t.Errorf("the program printed %q", out)
	}
	goCmd(t, dir, nil, "test", "./square")
	goCmd(t, dir, nil, "vet", "./...")
}
