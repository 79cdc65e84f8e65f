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
	"path/filepath"
	"runtime"
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

// serve starts a dashboard on addr, closed when the test ends.
func serve(t *testing.T, addr string) *dashboard.Dashboard {
	t.Helper()
	d, err := dashboard.Start(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
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

// process returns the token and the secret of a made-up reporting
// process, and a batch's JSON header for them: reports are taken only
// from the holder of the secret behind the token of their call IDs.
func process(name string) (token, secret, header string) {
	secret = "the secret of " + name
	token = dashboard.TokenOf(secret)
	return token, secret, fmt.Sprintf(`"token":%q,"secret":%q`, token, secret)
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
	d := serve(t, "")
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
	_, _, line, _ := runtime.Caller(0)
	if _, err := p.Map(ctx, ints(10)); err != nil { // no progress bar: not shown
		t.Fatal(err)
	}
	unshown := fmt.Sprintf("dashboard_test.go:%d", line+1)

	calls := dashboardCalls(t, d.URL())
	done := findCall(calls, func(c dashboard.CallReport) bool { return c.Total == 1000 })
	failed := findCall(calls, func(c dashboard.CallReport) bool { return c.Total == 2000 })
	if done == nil || failed == nil || findCall(calls, func(c dashboard.CallReport) bool { return strings.HasSuffix(c.CallPos, unshown) }) != nil {
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
	d := serve(t, "127.0.0.1:0")
	// Two programs with the same pid, in two containers: their calls are
	// told apart by their tokens.
	for _, host := range []string{"aaaa", "bbbb"} {
		token, _, header := process(host)
		rep := `{` + header + `,"program":{"name":"remote","pid":1,"host":"` + host + `"},
			"calls":[{"id":"` + token + `-1","func":"Remote","total":5,"done":5,"status":"failed","error":"it broke","started":"2026-01-02T03:04:05Z"}]}`
		if code := post(t, d.URL(), "application/json", rep, nil); code != http.StatusNoContent {
			t.Fatalf("status %d", code)
		}
	}
	calls := dashboardCalls(t, d.URL())
	for _, host := range []string{"aaaa", "bbbb"} {
		token, _, _ := process(host)
		c := findCall(calls, func(c dashboard.CallReport) bool { return c.ID == token+"-1" })
		if c == nil || c.Error != "it broke" || c.Program.Host != host || c.Program.PID != 1 || c.LastHeard == nil {
			t.Fatalf("remote call %s: %+v", host, c)
		}
	}
	if code := post(t, d.URL(), "application/json", "{nonsense", nil); code != http.StatusBadRequest {
		t.Fatalf("a malformed report got %d", code)
	}
}

// post posts body to the dashboard's report endpoint and returns the
// status.
func post(t *testing.T, url, contentType, body string, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/api/report", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestDashboardRefusesCrossSiteRequests(t *testing.T) {
	d := serve(t, "127.0.0.1:0")
	token, _, header := process("evil")
	fake := func(id string) string {
		return `{` + header + `,"program":{"name":"evil"},"calls":[{"id":"` + token + "-" + id + `","func":"Fake","status":"running","started":"2026-01-02T03:04:05Z"}]}`
	}
	cases := []struct {
		name        string
		contentType string
		header      http.Header
	}{
		// What a page on another site can send without a preflight.
		{"text/plain", "text/plain", http.Header{"Origin": {"http://attacker.example"}}},
		{"form", "application/x-www-form-urlencoded", nil},
		{"no content type", "", nil},
		// JSON from a page of another origin (were a preflight skipped).
		{"other origin", "application/json", http.Header{"Origin": {"http://attacker.example"}}},
		{"cross-site fetch", "application/json", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code := post(t, d.URL(), tc.contentType, fake("evil-"+tc.name), tc.header); code < 400 {
				t.Errorf("accepted with status %d", code)
			}
		})
	}
	// (The board is the process's: a same-origin report of an earlier run
	// of this test may still be listed.)
	if c := findCall(dashboardCalls(t, d.URL()), func(c dashboard.CallReport) bool { return c.Func == "Fake" && c.ID != token+"-evil-same" }); c != nil {
		t.Fatalf("a cross-site request listed a call: %+v", *c)
	}
	// No page of another origin may read it either: no CORS headers, for a
	// read or a preflight.
	for _, method := range []string{"GET", "OPTIONS"} {
		req, _ := http.NewRequest(method, d.URL()+"/api/calls", nil)
		req.Header.Set("Origin", "http://attacker.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		for k := range resp.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s from another origin answered with %s: %q", method, k, resp.Header.Get(k))
			}
		}
	}
	// The dashboard's own page, and programs (which send no Origin), may.
	same := http.Header{"Origin": {d.URL()}, "Sec-Fetch-Site": {"same-origin"}}
	if code := post(t, d.URL(), "application/json; charset=utf-8", fake("evil-same"), same); code != http.StatusNoContent {
		t.Fatalf("a same-origin report got %d", code)
	}
}

func TestDashboardAnswersOnlyItsOwnHostNames(t *testing.T) {
	d := serve(t, "127.0.0.1:0")
	_, port, _ := strings.Cut(strings.TrimPrefix(d.URL(), "http://"), ":")
	machine, _ := os.Hostname()
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:" + port, true},
		{"localhost:" + port, true},
		{"LOCALHOST.:" + port, true},
		{"[::1]:" + port, true},
		{machine + ":" + port, machine != ""},
		{"attacker.example", false},
		{"attacker.example:" + port, false},
		{"localhost.attacker.example:" + port, false},
	} {
		for _, path := range []string{"/", "/api/calls"} {
			req, _ := http.NewRequest("GET", d.URL()+path, nil)
			req.Host = tc.host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if (resp.StatusCode == http.StatusOK) != tc.ok {
				t.Errorf("GET %s with Host %q: %s", path, tc.host, resp.Status)
			}
		}
	}
}

func TestDashboardMemoryIsBounded(t *testing.T) {
	d := serve(t, "127.0.0.1:0")
	// Over a megabyte in one report: refused whole.
	big, _, bigHeader := process("big")
	huge := `{` + bigHeader + `,"program":{},"calls":[{"id":"` + big + `-1","error":"` + strings.Repeat("x", 2<<20) + `"}]}`
	if code := post(t, d.URL(), "application/json", huge, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MB report got %d", code)
	}
	// Calls of 100 KB each: each is dropped, not kept.
	var b strings.Builder
	fat, _, fatHeader := process("fat")
	b.WriteString(`{` + fatHeader + `,"program":{},"calls":[`)
	for i := range 8 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"%s-%d","status":"running","error":"%s"}`, fat, i, strings.Repeat("x", 100<<10))
	}
	b.WriteString("]}")
	if code := post(t, d.URL(), "application/json", b.String(), nil); code != http.StatusNoContent {
		t.Errorf("a batch of oversized calls got %d", code)
	}
	// 1500 small calls from many programs: at most 1000 are kept, and what
	// a call may hold is cut short.
	for p := range 25 {
		b.Reset()
		token, _, header := process(fmt.Sprint("p", p))
		fmt.Fprintf(&b, `{%s,"program":{"name":"%s"},"calls":[`, header, strings.Repeat("n", 300))
		for i := range 60 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":"%s-%d","status":"completed","func":"%s","error":"%s"}`, token, i, strings.Repeat("f", 300), strings.Repeat("e", 4200))
		}
		b.WriteString("]}")
		if code := post(t, d.URL(), "application/json", b.String(), nil); code != http.StatusNoContent {
			t.Fatalf("batch %d got %d", p, code)
		}
	}
	var calls []dashboard.CallReport
	for _, c := range dashboardCalls(t, d.URL()) {
		if c.Program.PID != os.Getpid() {
			calls = append(calls, c)
		}
	}
	if len(calls) != 1000 {
		t.Errorf("%d calls of other processes kept, want the cap, 1000", len(calls))
	}
	// This process's own calls are capped alike.
	p := newPool(mpire.WithJobs(1))
	for range 1005 {
		if _, err := p.Apply(ctx, 1, mpire.WithProgressBarWriter(io.Discard)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(dashboardCalls(t, d.URL())) - len(calls); n != 1000 {
		t.Errorf("%d calls of this process kept, want the cap, 1000", n)
	}
	for _, c := range calls {
		if strings.HasPrefix(c.ID, fat) || len(c.Func) > 256 || len(c.Program.Name) > 256 || len(c.Error) > 4096 {
			t.Fatalf("a call kept past the bounds: %d, %d, %d bytes", len(c.Func), len(c.Program.Name), len(c.Error))
		}
	}
}

func TestDashboardCloseTwice(t *testing.T) {
	d, err := dashboard.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// A later dashboard still records calls.
	d, err = dashboard.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := newPool().Map(ctx, ints(10), mpire.WithProgressBarWriter(io.Discard), mpire.WithProgressBarTitle("after two closes")); err != nil {
		t.Fatal(err)
	}
	if findCall(dashboardCalls(t, d.URL()), func(c dashboard.CallReport) bool { return c.Title == "after two closes" }) == nil {
		t.Fatal("the call after two Closes is not on the new dashboard")
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
			var b struct{ Calls []dashboard.CallReport }
			json.NewDecoder(r.Body).Decode(&b)
			mu.Lock()
			reports = append(reports, b.Calls...)
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
	if last.Status != "completed" || last.Done != 100 || last.Program.PID != os.Getpid() || last.Program.Name != filepath.Base(os.Args[0]) || len(last.ID) < 16 {
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

func TestDashboardShowsAPanicAndWhereItCameFrom(t *testing.T) {
	d := serve(t, "127.0.0.1:0")
	p := mpireimpl.NewPool(mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "Explode",
		Pos:  "github.com/mpire-go/mpire/runtime/dashboard/dashboard_test.go:1",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args); n++ {
				out[n] = 100 / args[n] // divides by zero at index 3
			}
			return n, nil
		},
	}, mpire.WithJobs(1))
	if _, err := p.Map(ctx, []int{1, 2, 3, 0, 5}, mpire.WithProgressBarWriter(io.Discard), mpire.WithProgressBarTitle("explode")); err == nil {
		t.Fatal("no panic")
	}
	c := findCall(dashboardCalls(t, d.URL()), func(c dashboard.CallReport) bool { return c.Title == "explode" })
	if c == nil || c.Status != "failed" || strings.Contains(c.Error, "\n") || !strings.Contains(c.Error, "integer divide by zero") {
		t.Fatalf("the panicking call: %+v", c)
	}
	const here = "github.com/mpire-go/mpire/runtime/dashboard/dashboard_test.go:"
	if !strings.HasPrefix(c.CallPos, here) || !strings.HasPrefix(c.FuncPos, here) {
		t.Errorf("positions in two forms: function at %q, called at %q", c.FuncPos, c.CallPos)
	}
	if len(c.Stack) < 2 || c.Stack[0].Internal || !strings.Contains(c.Stack[0].Func, "TestDashboardShowsAPanicAndWhereItCameFrom") || !strings.HasPrefix(c.Stack[0].Pos, here) {
		t.Fatalf("the stack does not begin with the line that panicked: %+v", c.Stack)
	}
	for _, f := range c.Stack[1:] {
		if strings.Contains(f.Func, "mpire/runtime/internal") && !f.Internal {
			t.Errorf("frame %+v of the runtime is not folded", f)
		}
	}
}

// TestADashboardKeepsCountersNotTheCall checks that a call's input is freed
// once the caller drops it, while the call stays on the dashboard.
func TestADashboardKeepsCountersNotTheCall(t *testing.T) {
	d := serve(t, "127.0.0.1:0")
	freed := make(chan struct{})
	func() {
		in := make([]int, 1<<16)
		runtime.AddCleanup(&in[0], func(ch chan struct{}) { close(ch) }, freed)
		if _, err := newPool().Map(ctx, in, mpire.WithProgressBarWriter(io.Discard)); err != nil {
			t.Fatal(err)
		}
	}()
	for i := 0; ; i++ {
		runtime.GC()
		select {
		case <-freed:
			if findCall(dashboardCalls(t, d.URL()), func(c dashboard.CallReport) bool { return c.Total == 1<<16 }) == nil {
				t.Fatal("the call is not on the dashboard")
			}
			return
		default:
		}
		if i == 100 {
			t.Fatal("the call's input is still alive after 100 collections")
		}
		runtime.Gosched()
	}
}

// TestAHungDashboardCostsACallNothing connects to a dashboard that never
// answers reports: calls still return at once.
func TestAHungDashboardCostsACallNothing(t *testing.T) {
	release := make(chan struct{})
	reported := make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/calls" {
			fmt.Fprint(w, "[]")
			return
		}
		reported <- struct{}{}
		<-release
	}))
	defer srv.Close()
	if err := dashboard.Connect(srv.URL); err != nil {
		t.Fatal(err)
	}
	defer dashboard.Connect("")
	defer close(release) // before disconnecting, which sends a last report
	<-reported           // the reporter is stuck in a report
	for range 20 {
		if _, err := newPool().Map(ctx, ints(10), mpire.WithProgressBarWriter(io.Discard)); err != nil {
			t.Fatal(err)
		}
	}
}
