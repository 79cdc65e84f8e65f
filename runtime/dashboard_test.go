package mpire_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
)

// dashboardCalls reads a dashboard's JSON endpoint.
func dashboardCalls(t *testing.T, url string) []mpire.CallReport {
	t.Helper()
	resp, err := http.Get(url + "/api/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []mpire.CallReport
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatal(err)
	}
	return calls
}

func findCall(calls []mpire.CallReport, pred func(mpire.CallReport) bool) *mpire.CallReport {
	for i := range calls {
		if pred(calls[i]) {
			return &calls[i]
		}
	}
	return nil
}

func TestDashboardShowsCallsWithAProgressBar(t *testing.T) {
	d, err := mpire.StartDashboard("")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !strings.HasPrefix(d.URL(), "http://127.0.0.1:80") && !strings.HasPrefix(d.URL(), "http://[::1]:80") {
		t.Errorf("URL %s is not on localhost:8080-8099", d.URL())
	}
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 1013 {
			return 0, errUnlucky
		}
		return x, nil
	}}, mpire.WithJobs(2), mpire.WithInsights())
	quiet := mpire.WithProgressBarWriter(io.Discard)
	if _, err := p.Map(ctx, ints(1000), quiet); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Map(ctx, ints(2000), quiet); !errors.Is(err, errUnlucky) {
		t.Fatal(err)
	}
	if _, err := p.Map(ctx, ints(10)); err != nil { // no progress bar: not shown
		t.Fatal(err)
	}

	calls := dashboardCalls(t, d.URL())
	done := findCall(calls, func(c mpire.CallReport) bool { return c.Total == 1000 })
	failed := findCall(calls, func(c mpire.CallReport) bool { return c.Total == 2000 })
	if done == nil || failed == nil || findCall(calls, func(c mpire.CallReport) bool { return c.Total == 10 }) != nil {
		t.Fatalf("calls on the dashboard: %+v", calls)
	}
	if done.Status != "completed" || done.Done != 1000 || done.Finished == nil || done.Func != "square" {
		t.Errorf("completed call: %+v", *done)
	}
	if !strings.Contains(done.CallPos, "dashboard_test.go:") {
		t.Errorf("call position %q does not point at the caller", done.CallPos)
	}
	if done.Insights == nil || done.Insights.CompletedTasks != 1000 || len(done.Insights.Phases) != 5 || len(done.Insights.Workers) != 2 {
		t.Errorf("insights on the dashboard: %+v", done.Insights)
	}
	if failed.Status != "failed" || !strings.Contains(failed.Error, "index 1013") || failed.Done >= 2000 {
		t.Errorf("failed call: %+v", *failed)
	}

	// The page itself is served from the binary.
	resp, err := http.Get(d.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "mpire dashboard") || !strings.Contains(string(page), "api/calls") {
		t.Fatalf("page:\n%.300s", page)
	}
}

func TestDashboardAcceptsReportsFromOtherProcesses(t *testing.T) {
	d, err := mpire.StartDashboard("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rep := `{"id":"999999-1","func":"Remote","total":5,"done":5,"status":"failed","error":"it broke","started":"2026-01-02T03:04:05Z"}`
	resp, err := http.Post(d.URL()+"/api/report", "application/json", strings.NewReader(rep))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %s", resp.Status)
	}
	if c := findCall(dashboardCalls(t, d.URL()), func(c mpire.CallReport) bool { return c.ID == "999999-1" }); c == nil || c.Error != "it broke" {
		t.Fatalf("remote call not shown: %+v", c)
	}
	resp, err = http.Post(d.URL()+"/api/report", "application/json", strings.NewReader("{nonsense"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a malformed report got %s", resp.Status)
	}
}

func TestConnectDashboardReportsThisProcessesCalls(t *testing.T) {
	var mu sync.Mutex
	var reports []mpire.CallReport
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/calls":
			fmt.Fprint(w, "[]")
		case "/api/report":
			var rep mpire.CallReport
			json.NewDecoder(r.Body).Decode(&rep)
			mu.Lock()
			reports = append(reports, rep)
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	if err := mpire.ConnectDashboard(srv.URL); err != nil {
		t.Fatal(err)
	}
	defer mpire.ConnectDashboard("")
	p, _ := newPool(t, spec{})
	if _, err := p.Map(ctx, ints(100), mpire.WithProgressBarWriter(io.Discard)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) == 0 {
		t.Fatal("no report reached the connected dashboard")
	}
	last := reports[len(reports)-1]
	if last.Status != "completed" || last.Done != 100 || !strings.HasPrefix(last.ID, fmt.Sprint(os.Getpid())+"-") {
		t.Fatalf("last report %+v", last)
	}
}

func TestConnectDashboardRefusesWhatIsNotADashboard(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if err := mpire.ConnectDashboard(srv.URL); err == nil {
		t.Fatal("connected to a server that is no dashboard")
	}
	if err := mpire.ConnectDashboard("http://127.0.0.1:1"); err == nil {
		t.Fatal("connected to nothing")
	}
}
