package dashboard_test

import (
	"context"
	"io"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/dashboard"
)

// TestDashboardShowsRetriesAndFailedTasks: a call's retries, and with
// WithContinueOnError the tasks that failed for good, are on the
// dashboard, with the retries of each worker in its insights.
func TestDashboardShowsRetriesAndFailedTasks(t *testing.T) {
	d := serve(t, "")
	failedOnce := map[int]bool{}
	task := func(_ context.Context, x int) (int, error) {
		switch {
		case x%10 == 3:
			return 0, errUnlucky // always
		case x%10 == 5 && !failedOnce[x]:
			failedOnce[x] = true
			return 0, errUnlucky
		}
		return x, nil
	}
	_, err := mpire.Map(ctx, ints(30), task, mpire.WithJobs(1), mpire.WithInsights(), mpire.WithProgressBarWriter(io.Discard),
		mpire.WithRetries(1), mpire.WithRetryBackoff(0, 0), mpire.WithContinueOnError())
	if len(mpire.TaskErrors(err)) != 3 {
		t.Fatal(err)
	}
	c := findCall(dashboardCalls(t, d.URL()), func(c dashboard.CallReport) bool { return c.Total == 30 })
	if c == nil {
		t.Fatal("the call is not on the dashboard")
	}
	// Tasks 3, 13 and 23 failed twice, 5, 15 and 25 once: 6 retries.
	if c.Status != "failed" || c.Done != 30 || c.Retries != 6 || c.Failed != 3 || len(c.FailedTasks) != 3 {
		t.Fatalf("call: %+v", *c)
	}
	for i, f := range c.FailedTasks {
		if want := (dashboard.FailedTask{Index: 10*i + 3, Args: []string{"3", "13", "23"}[i], Attempts: 2, Error: "unlucky number"}); f != want {
			t.Errorf("failed task %d: %+v, want %+v", i, f, want)
		}
	}
	if c.Insights == nil || len(c.Insights.Workers) != 1 || c.Insights.Workers[0].Retries != 6 {
		t.Errorf("insights: %+v", c.Insights)
	}
}
