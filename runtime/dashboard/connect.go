package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
	"time"
)

// reportInterval is how often a process connected to another's dashboard
// reports: the state of its running calls, the end of calls, and that it is
// alive (the heartbeat that tells a slow call from a killed program).
const reportInterval = 500 * time.Millisecond

// minReportGap is the least time between two reports made early because a
// call ended.
const minReportGap = 100 * time.Millisecond

// maxBatch bounds the body of one report, well under what a dashboard
// accepts (maxBody), so that many calls are sent in several batches.
const maxBatch = 512 << 10

// A reporter sends this process's calls to the dashboard Connect named,
// from a goroutine of its own: never on a call's path.
type reporter struct {
	url    string // the dashboard's, without its token
	token  string // the dashboard's token, if it needs one
	client http.Client
	wake   chan struct{} // a call ended: report it now rather than at the next tick
	stop   chan struct{}
	done   chan struct{}
}

// Connect makes this process report its calls with a progress bar
// to the dashboard at url, served by another process (for example the
// mpire-dashboard command), so that the page outlives this program. It
// checks that a dashboard answers there. Give the URL the dashboard
// printed: served to a network, it needs the token in its query.
//
// Reports go twice a second from a goroutine of their own: a dashboard that
// is slow or gone costs the calls nothing. While connected, the process
// also tells the dashboard it is alive; a call whose program stops
// reporting (killed, out of memory) is soon shown as lost. Each report
// carries a secret of this process, never shown, that the IDs of its calls
// are derived from: other processes, which see the IDs, cannot update its
// calls.
//
// An empty url disconnects, once the last reports are sent: call it before
// the program exits, or the calls that ended last may be shown as lost.
func Connect(url string) error {
	var rep *reporter
	if url != "" {
		base, token, err := splitToken(url)
		if err != nil {
			return fmt.Errorf("mpire dashboard: connecting to the dashboard: %w", err)
		}
		rep = &reporter{url: base, token: token, client: http.Client{Timeout: 2 * time.Second},
			wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
		resp, err := rep.do("GET", "/api/calls", nil)
		if err != nil {
			return fmt.Errorf("mpire dashboard: connecting to the dashboard: %w", err)
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			return fmt.Errorf("mpire dashboard: the dashboard at %s needs its token: connect with the URL it printed, ?token=... included", base)
		case resp.StatusCode != http.StatusOK:
			return fmt.Errorf("mpire dashboard: %s does not look like an mpire dashboard: %s", base, resp.Status)
		}
	}
	board.mu.Lock()
	old := board.reporter
	board.reporter = rep
	board.update()
	board.mu.Unlock()
	if old != nil {
		close(old.stop)
		<-old.done
	}
	if rep != nil {
		go rep.run()
	}
	return nil
}

// splitToken parses a dashboard's URL into the URL of its root and the
// token in its query, if any.
func splitToken(raw string) (base, token string, err error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "", "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", "", fmt.Errorf("%q is not the http URL of a dashboard", raw)
	}
	token = u.Query().Get("token")
	u.RawQuery, u.Fragment, u.Path, u.RawPath = "", "", strings.TrimSuffix(u.Path, "/"), ""
	return u.String(), token, nil
}

// do makes a request of the dashboard, with its token.
func (rep *reporter) do(method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(method, rep.url+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rep.token != "" {
		req.Header.Set("Authorization", "Bearer "+rep.token)
	}
	return rep.client.Do(req)
}

// run reports until stopped, then once more, so that calls that ended just
// before reach the dashboard.
func (rep *reporter) run() {
	defer close(rep.done)
	t := time.NewTicker(reportInterval)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-t.C:
			rep.send()
			last = time.Now()
		case <-rep.wake:
			// Calls ending by the thousand make a report now and then,
			// not one each.
			if time.Since(last) >= minReportGap {
				rep.send()
				last = time.Now()
			}
		case <-rep.stop:
			rep.send()
			return
		}
	}
}

// send posts the running calls and the calls that ended since the last
// report, in batches of at most maxBatch bytes; at least one batch, empty
// when there is nothing else to tell, goes as the heartbeat. Errors are
// dropped: a dashboard that went away is not the calls' problem, and the
// ended calls are tried again next time.
func (rep *reporter) send() {
	running, ended := board.toReport()
	var calls []json.RawMessage
	var delivered, sent []*callRecord
	size := 0
	post := func() {
		body, _ := json.Marshal(batch{Token: self.token, Secret: self.secret, Program: self.program, Calls: calls})
		resp, err := rep.do("POST", "/api/report", body)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				delivered = append(delivered, sent...)
			}
		}
		calls, sent, size = nil, nil, 0
	}
	for i, rec := range append(running, ended...) {
		b := encode(board.current(rec))
		if size+len(b) > maxBatch && len(calls) > 0 {
			post()
		}
		calls, size = append(calls, b), size+len(b)
		if i >= len(running) {
			sent = append(sent, rec)
		}
	}
	post()
	board.delivered(delivered)
}

// encode marshals a report, leaving out its insights and stack if they
// would make it larger than a dashboard accepts.
func encode(rep CallReport) json.RawMessage {
	b, _ := json.Marshal(rep)
	if len(b) > maxReportSize {
		rep.Insights, rep.Stack = nil, nil
		b, _ = json.Marshal(rep)
	}
	return b
}
