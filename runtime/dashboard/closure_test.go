package dashboard_test

import (
	"context"
	"io"
	"strings"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/dashboard"
)

func TestDashboardShowsAClosureCall(t *testing.T) {
	d := serve(t, "")
	if _, err := mpire.Map(ctx, ints(500), func(_ context.Context, x int) (int, error) { return x, nil },
		mpire.WithJobs(2), mpire.WithInsights(), mpire.WithProgressBarWriter(io.Discard)); err != nil {
		t.Fatal(err)
	}
	c := findCall(dashboardCalls(t, d.URL()), func(c dashboard.CallReport) bool { return c.Total == 500 })
	if c == nil {
		t.Fatal("the closure's call is not on the dashboard")
	}
	// The closure is named and placed as runtime knows it; the call points
	// at this file, not at package mpire.
	if !strings.HasPrefix(c.Func, "dashboard_test.TestDashboardShowsAClosureCall.func") ||
		!strings.Contains(c.FuncPos, "closure_test.go:") || !strings.Contains(c.CallPos, "closure_test.go:") {
		t.Errorf("closure call shown as %q declared at %q, called at %q", c.Func, c.FuncPos, c.CallPos)
	}
	if c.Status != "completed" || c.Done != 500 {
		t.Errorf("closure call: %+v", *c)
	}
	if c.Insights == nil || c.Insights.CompletedTasks != 500 || len(c.Insights.Workers) != 2 {
		t.Errorf("insights of the closure call: %+v", c.Insights)
	}
}
