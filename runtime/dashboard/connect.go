package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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

// A batch is what a connected process posts to /api/report.
type batch struct {
	Token   string            `json:"token"` // the process's random token, as in its call IDs
	Program Program           `json:"program"`
	Calls   []json.RawMessage `json:"calls"` // CallReports
}

// A reporter sends this process's calls to the dashboard Connect named,
// from a goroutine of its own: never on a call's path.
type reporter struct {
	url    string
	client http.Client
	wake   chan struct{} // a call ended: report it now rather than at the next tick
	stop   chan struct{}
	done   chan struct{}
}

// Connect makes this process report its calls with a progress bar
// to the dashboard at url, served by another process (for example the
// mpire-dashboard command), so that the page outlives this program. It
// checks that a dashboard answers there.
//
// Reports go twice a second from a goroutine of their own: a dashboard that
// is slow or gone costs the calls nothing. While connected, the process
// also tells the dashboard it is alive; a call whose program stops
// reporting (killed, out of memory) is soon shown as lost.
//
// An empty url disconnects, once the last reports are sent: call it before
// the program exits, or the calls that ended last may be shown as lost.
func Connect(url string) error {
	url = strings.TrimSuffix(url, "/")
	var rep *reporter
	if url != "" {
		rep = &reporter{url: url, client: http.Client{Timeout: 2 * time.Second},
			wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
		resp, err := rep.client.Get(url + "/api/calls")
		if err != nil {
			return fmt.Errorf("mpire dashboard: connecting to the dashboard: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("mpire dashboard: %s does not look like an mpire dashboard: %s", url, resp.Status)
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
		body, _ := json.Marshal(batch{Token: self.token, Program: self.program, Calls: calls})
		resp, err := rep.client.Post(rep.url+"/api/report", "application/json", bytes.NewReader(body))
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
