package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	neturl "net/url"
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
// own, on this machine only and on its every address (with a token),
// reports a failing call to it from this process, and finds the failure on
// its page; then Ctrl-C stops it cleanly.
func TestAFailedCallOutlivesItsProgram(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mpire-dashboard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		addr  string
		token bool
	}{{"127.0.0.1:0", false}, {"0.0.0.0:0", true}} {
		t.Run(tc.addr, func(t *testing.T) {
			url := runDashboard(t, bin, tc.addr)
			if strings.Contains(url, "?token=") != tc.token {
				t.Fatalf("-addr %s printed %s", tc.addr, url)
			}
			reportAFailure(t, url)
		})
	}
}

// runDashboard starts mpire-dashboard on addr and returns the URL it
// prints; Ctrl-C must stop it when the test ends.
func runDashboard(t *testing.T, bin, addr string) string {
	t.Helper()
	cmd := exec.Command(bin, "-addr", addr)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer cmd.Process.Kill()
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
	})
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	return strings.TrimSpace(strings.TrimPrefix(first, "mpire dashboard on "))
}

// reportAFailure connects to the dashboard at printed, makes a call that
// fails, and finds it on the dashboard.
func reportAFailure(t *testing.T, printed string) {
	t.Helper()
	if err := dashboard.Connect(printed); err != nil {
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

	u, err := neturl.Parse(printed)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/api/calls" // with the token, if the dashboard printed one
	resp, err := http.Get(u.String())
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
}
