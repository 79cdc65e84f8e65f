package mpire_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoDashboardNorNATSInTheRuntime checks that a program using mpire links
// the dashboard's code, NATS and OpenTelemetry only if it imports them
// (runtime/dashboard, runtime/cluster, runtime/otelmpire). It does link
// net/http: github.com/schollz/progressbar/v3, which draws the progress bar,
// imports it.
func TestNoDashboardNorNATSInTheRuntime(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps",
		"github.com/mpire-go/mpire/runtime", "github.com/mpire-go/mpire/runtime/mpireimpl").Output()
	if err != nil {
		t.Skip("go list:", err)
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		for _, pkg := range []string{"github.com/mpire-go/mpire/runtime/dashboard", "github.com/mpire-go/mpire/runtime/cluster", "github.com/nats-io/", "github.com/mpire-go/mpire/runtime/otelmpire", "go.opentelemetry.io/"} {
			if strings.HasPrefix(dep, pkg) {
				t.Errorf("the runtime depends on %s", dep)
			}
		}
	}
}
