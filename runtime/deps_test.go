package mpire_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoNetHTTPWithoutTheDashboard checks that a program using mpire links
// net/http only if it imports the dashboard.
func TestNoNetHTTPWithoutTheDashboard(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps",
		"github.com/mpire-go/mpire/runtime", "github.com/mpire-go/mpire/runtime/mpireimpl").Output()
	if err != nil {
		t.Skip("go list:", err)
	}
	deps := strings.Fields(string(out))
	for _, pkg := range []string{"net/http", "net"} {
		if slices.Contains(deps, pkg) {
			t.Errorf("the runtime depends on %s", pkg)
		}
	}
}
