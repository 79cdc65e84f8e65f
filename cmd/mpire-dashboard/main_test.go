package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/dashboard"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestAFailedCallOutlivesItsProgram runs mpire-dashboard as a process of its
// own, reports a failing call to it from this process, and finds the failure
// on its page; then Ctrl-C stops it cleanly.
func TestAFailedCallOutlivesItsProgram(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mpire-dashboard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(first, "mpire dashboard on "))
	go io.Copy(io.Discard, stdout)

	if err := dashboard.Connect(url); err != nil {
		t.Fatal(err)
	}
	pool := mpireimpl.NewPool(mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "Fragile",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (int, error) {
			return 0, errors.New("it broke")
		},
	})
	if _, err := pool.Map(context.Background(), []int{1, 2, 3}, mpire.WithProgressBarWriter(io.Discard)); err == nil {
		t.Fatal("the call did not fail")
	}
	dashboard.Connect("") // reports travel off the caller's path: flush them

	resp, err := http.Get(url + "/api/calls")
	if err != nil {
		t.Fatal(err)
	}
	var calls []dashboard.CallReport
	err = json.NewDecoder(resp.Body).Decode(&calls)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].Func != "Fragile" || calls[0].Status != "failed" || !strings.Contains(calls[0].Error, "it broke") {
		t.Fatalf("the other process's dashboard shows %+v", calls)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mpire-dashboard after Ctrl-C: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mpire-dashboard did not stop on Ctrl-C")
	}
}
