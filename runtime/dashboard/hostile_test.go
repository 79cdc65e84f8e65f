package dashboard_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/mpire-go/mpire/runtime/dashboard"
)

// heap returns the bytes of live heap objects, after a collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestReportsThatDecodeLargeAreNotKeptLarge posts reports of 60 KiB, under
// the bound of a report, whose 20,000 empty workers decode to more than a
// megabyte: the dashboard keeps the 128 it shows, not the megabyte.
func TestReportsThatDecodeLargeAreNotKeptLarge(t *testing.T) {
	d := serve(t, "127.0.0.1:0")
	token, _, header := process("workers")
	workers := strings.Repeat("{},", 20000) + "{}"
	const reports, perBatch = 60, 15 // 15 reports of 60 KiB: a batch under a megabyte
	send := func(insights string) {
		for first := 0; first < reports; first += perBatch {
			var b strings.Builder
			b.WriteString(`{` + header + `,"program":{"name":"workers"},"calls":[`)
			for i := first; i < first+perBatch; i++ {
				if i > first {
					b.WriteString(",")
				}
				// Started in order: a full board forgets the calls that
				// started first, the newest last.
				fmt.Fprintf(&b, `{"id":"%s-%d","status":"completed","started":"2026-01-02T03:%02d:05Z","insights":%s}`, token, i, i, insights)
			}
			b.WriteString("]}")
			if code := post(t, d.URL(), "application/json", b.String(), nil); code != http.StatusNoContent {
				t.Fatalf("batch from %d got %d", first, code)
			}
		}
	}
	// The calls stay on the process's board: make them small again, for
	// the tests that follow.
	defer send("null")
	before := heap()
	send(`{"workers":[` + workers + `]}`)
	grown := int64(heap()) - int64(before)
	t.Logf("the heap grew by %.1f MiB for %d reports of %d KiB", float64(grown)/(1<<20), reports, len(workers)>>10)
	if grown > 16<<20 {
		t.Errorf("the heap grew by %d MiB for %d reports that show 128 workers each", grown>>20, reports)
	}
	// The newest: when the board is full, the oldest calls of the process
	// holding the most go first.
	c := findCall(dashboardCalls(t, d.URL()), func(c dashboard.CallReport) bool { return c.ID == fmt.Sprintf("%s-%d", token, reports-1) })
	if c == nil || c.Insights == nil || len(c.Insights.Workers) != 128 {
		t.Fatalf("the report is not shown with its first 128 workers: %+v", c)
	}
}

// TestAProcessCannotUpdateAnothersCalls forges reports of a call made by
// another process, whose token everyone sees in the IDs of its calls.
func TestAProcessCannotUpdateAnothersCalls(t *testing.T) {
	d := serve(t, "127.0.0.1:0")
	victim, secret, header := process("victim")
	forger, _, forgerHeader := process("forger")
	report := func(header, id, status, error string) string {
		return `{` + header + `,"program":{"name":"victim"},"calls":[{"id":"` + id + `","func":"Train","status":"` + status +
			`","error":"` + error + `","started":"2026-01-02T03:04:05Z"}]}`
	}
	if code := post(t, d.URL(), "application/json", report(header, victim+"-1", "failed", "it broke"), nil); code != http.StatusNoContent {
		t.Fatalf("the victim's report got %d", code)
	}
	for _, tc := range []struct{ name, header, id string }{
		{"no secret", `"token":"` + victim + `"`, victim + "-1"},
		{"a wrong secret", `"token":"` + victim + `","secret":"guessed"`, victim + "-1"},
		{"the token as its secret", `"token":"` + victim + `","secret":"` + victim + `"`, victim + "-1"},
		{"its own secret and token", forgerHeader, victim + "-1"},
		{"its own secret, a call of the victim's yet to come", forgerHeader, victim + "-2"},
		{"the victim's secret with another token", `"token":"` + forger + `","secret":"` + secret + `"`, victim + "-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := post(t, d.URL(), "application/json", report(tc.header, tc.id, "completed", "all is well"), nil); code != http.StatusForbidden {
				t.Errorf("a forged report got %d", code)
			}
		})
	}
	calls := dashboardCalls(t, d.URL())
	if c := findCall(calls, func(c dashboard.CallReport) bool { return c.ID == victim+"-1" }); c == nil || c.Status != "failed" || c.Error != "it broke" {
		t.Fatalf("the victim's call after forged reports: %+v", c)
	}
	if c := findCall(calls, func(c dashboard.CallReport) bool { return c.ID == victim+"-2" }); c != nil {
		t.Fatalf("a forger made a call of the victim's: %+v", c)
	}
	// The secret is never shown.
	resp, err := http.Get(d.URL() + "/api/calls")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), secret) || strings.Contains(string(body), `"secret"`) {
		t.Fatal("/api/calls shows a secret")
	}
}

// TestADashboardOnTheNetworkNeedsItsToken starts a dashboard on every
// address of this machine, and talks to it on 127.0.0.1.
func TestADashboardOnTheNetworkNeedsItsToken(t *testing.T) {
	d := serve(t, "0.0.0.0:0")
	u, err := url.Parse(d.URL())
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("token")
	if len(token) < 32 || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil && net.ParseIP(u.Hostname()).IsUnspecified() {
		t.Fatalf("URL %s: no token, or no host a browser can open", d.URL())
	}
	local := "http://" + net.JoinHostPort("127.0.0.1", u.Port())
	get := func(path string, header http.Header) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", local+path, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, path := range []string{"/", "/api/calls", "/?token=", "/api/calls?token=" + token[:len(token)-1]} {
		if resp := get(path, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %s", path, resp.Status)
		}
	}
	if resp := get("/api/calls", http.Header{"Authorization": {"Bearer wrong"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET with a wrong bearer token: %s", resp.Status)
	}
	_, _, header := process("network")
	if code := post(t, local, "application/json", `{`+header+`,"calls":[]}`, nil); code != http.StatusUnauthorized {
		t.Errorf("a report without the token got %d", code)
	}

	// The URL it prints opens the page and gives it a cookie for its own
	// requests; programs send the token as a bearer token.
	resp := get(u.RequestURI(), nil)
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Value == token {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusOK || cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("GET of the printed URL: %s, cookie %v", resp.Status, cookie)
	}
	if resp := get("/api/calls", http.Header{"Cookie": {cookie.String()}}); resp.StatusCode != http.StatusOK {
		t.Errorf("GET with the cookie: %s", resp.Status)
	}
	if resp := get("/api/calls", http.Header{"Authorization": {"Bearer " + token}}); resp.StatusCode != http.StatusOK {
		t.Errorf("GET with the bearer token: %s", resp.Status)
	}
	if resp, err := http.Get(d.URL()); err != nil || resp.Body.Close() != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the printed URL %s does not open: %v", d.URL(), err)
	}

	if err := dashboard.Connect(local); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("connecting without the token: %v", err)
	}
	if err := dashboard.Connect(d.URL()); err != nil {
		t.Errorf("connecting with the printed URL: %v", err)
	}
	dashboard.Connect("")
}

// TestADashboardOnLoopbackNeedsNoToken: this machine's dashboard is opened
// by its plain URL.
func TestADashboardOnLoopbackNeedsNoToken(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		d, err := dashboard.Start(addr)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(d.URL(), "token") {
			t.Errorf("Start(%q) needs a token: %s", addr, d.URL())
		}
		resp, err := http.Get(d.URL())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", d.URL(), resp.Status)
		}
		d.Close()
	}
}
