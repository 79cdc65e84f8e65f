package dashboard_test

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

	"go.uber.org/goleak"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/dashboard"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	ctx        = context.Background()
	errUnlucky = errors.New("unlucky number")
)

// newPool builds what mpiregen generates for a task that fails on 1013.
func newPool(opts ...mpire.Option) *mpireimpl.Pool[struct{}, int, int, struct{}] {
	return mpireimpl.NewPool(mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "square",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if args[n] == 1013 {
					return n, errUnlucky
				}
				out[n] = args[n]
			}
			return n, nil
		},
	}, opts...)
}

func ints(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

// dashboardCalls reads a dashboard's JSON endpoint.
func dashboardCalls(t *testing.T, url string) []dashboard.CallReport {
	t.Helper()
	resp, err := http.Get(url + "/api/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []dashboard.CallReport
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatal(err)
	}
	return calls
}

func findCall(calls []dashboard.CallReport, pred func(dashboard.CallReport) bool) *dashboard.CallReport {
	for i := range calls {
		if pred(calls[i]) {
			return &calls[i]
		}
	}
	return nil
}

func TestDashboardShowsCallsWithAProgressBar(t *testing.T) {
	d, err := dashboard.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !strings.HasPrefix(d.URL(), "http://127.0.0.1:80") && !strings.HasPrefix(d.URL(), "http://[::1]:80") {
		t.Errorf("URL %s is not on localhost:8080-8099", d.URL())
	}
	p := newPool(mpire.WithJobs(2), mpire.WithInsights())
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
	done := findCall(calls, func(c dashboard.CallReport) bool { return c.Total == 1000 })
	failed := findCall(calls, func(c dashboard.CallReport) bool { return c.Total == 2000 })
	if done == nil || failed == nil || findCall(calls, func(c dashboard.CallReport) bool { return c.Total == 10 }) != nil {
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
	d, err := dashboard.Start("127.0.0.1:0")
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
	if c := findCall(dashboardCalls(t, d.URL()), func(c dashboard.CallReport) bool { return c.ID == "999999-1" }); c == nil || c.Error != "it broke" {
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
	var reports []dashboard.CallReport
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/calls":
			fmt.Fprint(w, "[]")
		case "/api/report":
			var rep dashboard.CallReport
			json.NewDecoder(r.Body).Decode(&rep)
			mu.Lock()
			reports = append(reports, rep)
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	if err := dashboard.Connect(srv.URL); err != nil {
		t.Fatal(err)
	}
	defer dashboard.Connect("")
	p := newPool()
	if _, err := p.Map(ctx, ints(100), mpire.WithProgressBarWriter(io.Discard)); err != nil {
		t.Fatal(err)
	}
	// Reports travel off the caller's path; disconnecting flushes them.
	dashboard.Connect("")
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
	if err := dashboard.Connect(srv.URL); err == nil {
		t.Fatal("connected to a server that is no dashboard")
	}
	if err := dashboard.Connect("http://127.0.0.1:1"); err == nil {
		t.Fatal("connected to nothing")
	}
}
