package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	mpire "github.com/mpire-go/mpire/runtime"
)

// A made-up reporting process.
var (
	testSecret = "the secret of a test process"
	testToken  = tokenOf(testSecret)
)

// forgedReports are reports a hostile program may send: oversized in every
// field, decoding to far more than their size, or of no known form.
func forgedReports() map[string]string {
	empties := func(n int) string { return strings.Repeat("{},", n-1) + "{}" }
	long := strings.Repeat("<img src=x onerror=alert(1)>", 2000)
	return map[string]string{
		"minimal":             `{"id":"ID-1","status":"running"}`,
		"no id":               `{"status":"running"}`,
		"no status":           `{"id":"ID-1"}`,
		"unknown status":      `{"id":"ID-1","status":"<img src=x onerror=alert(1)>"}`,
		"lost is the board's": `{"id":"ID-1","status":"lost"}`,
		"not an object":       `[1,2,3]`,
		"wrong types":         `{"id":"ID-1","status":"running","done":"many","total":{}}`,
		"empty workers":       `{"id":"ID-1","status":"running","insights":{"workers":[` + empties(20000) + `]}}`,
		"empty frames":        `{"id":"ID-1","status":"failed","stack":[` + empties(20000) + `]}`,
		"empty phases":        `{"id":"ID-1","status":"running","insights":{"phases":[` + empties(20000) + `]}}`,
		"empty top tasks":     `{"id":"ID-1","status":"running","insights":{"topTasks":[` + empties(10000) + `]}}`,
		"null insights lists": `{"id":"ID-1","status":"running","insights":{"phases":null,"workers":null,"topTasks":null}}`,
		"long texts": fmt.Sprintf(`{"id":"ID-1%[1]s","status":"failed","title":%[2]q,"func":%[2]q,"funcPos":%[2]q,"callPos":%[2]q,"error":%[2]q}`,
			long[:1000], long[:9000]),
		"long frames":     fmt.Sprintf(`{"id":"ID-1","status":"failed","stack":[%s]}`, strings.Repeat(fmt.Sprintf(`{"func":%[1]q,"pos":%[1]q},`, long[:600]), 49)+"{}"),
		"long arguments":  fmt.Sprintf(`{"id":"ID-1","status":"running","insights":{"topTasks":[%s]}}`, strings.Repeat(fmt.Sprintf(`{"Args":%q},`, long[:4000]), 6)+"{}"),
		"over the size":   `{"id":"ID-1","status":"running","error":"` + strings.Repeat("x", maxReportSize) + `"}`,
		"a heard time":    `{"id":"ID-1","status":"running","lastHeard":"2030-01-01T00:00:00Z"}`,
		"invalid UTF-8":   "{\"id\":\"ID-1\",\"status\":\"running\",\"title\":\"\xff\xfe" + strings.Repeat("\xc3", 300) + "\"}",
		"runes cut":       `{"id":"ID-1","status":"running","title":"` + strings.Repeat("é", 300) + `"}`,
		"deeply nested":   `{"id":"ID-1","status":"running","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
		"duplicated keys": `{"id":"ID-1","status":"running","id":"ID-2"}`,
	}
}

// checkBounded fails the test if rep holds more than a report may.
func checkBounded(t *testing.T, rep CallReport) {
	t.Helper()
	if n := rep.size(); n > maxReportSize {
		t.Errorf("a report holds %d bytes, over %d", n, maxReportSize)
	}
	for _, s := range rep.texts() {
		if len(*s) > maxText || !utf8.ValidString(*s) {
			t.Errorf("a text of %d bytes: %q", len(*s), *s)
		}
	}
	if len(rep.Error) > maxError || cap(rep.Stack) > maxFrames || rep.LastHeard != nil {
		t.Errorf("error of %d bytes, %d frames, heard %v", len(rep.Error), cap(rep.Stack), rep.LastHeard)
	}
	if in := rep.Insights; in != nil && (cap(in.Workers) > maxWorkers || cap(in.Phases) > maxPhases || cap(in.TopTasks) > maxTopTasks) {
		t.Errorf("insights of %d workers, %d phases, %d top tasks", cap(in.Workers), cap(in.Phases), cap(in.TopTasks))
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("a kept report does not encode: %v", err)
	}
}

func TestDecodeReportBoundsForgedReports(t *testing.T) {
	kept := map[string]bool{
		"minimal": true, "wrong types": false, "empty workers": true, "empty frames": true, "empty phases": true,
		"empty top tasks": true, "null insights lists": true, "long texts": true, "long frames": true,
		"long arguments": true, "a heard time": true, "invalid UTF-8": true, "runes cut": true, "duplicated keys": true,
	}
	for name, raw := range forgedReports() {
		t.Run(name, func(t *testing.T) {
			rep, ok := decodeReport([]byte(raw))
			if ok != kept[name] {
				t.Fatalf("kept %v, want %v", ok, kept[name])
			}
			if ok {
				checkBounded(t, rep)
			}
		})
	}
}

func FuzzDecodeReport(f *testing.F) {
	reports := forgedReports()
	for _, name := range slices.Sorted(maps.Keys(reports)) {
		f.Add([]byte(reports[name]))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if rep, ok := decodeReport(raw); ok {
			checkBounded(t, rep)
		}
	})
}

// TestBatchesAreCheckedWhole: a batch is refused whole if its secret is
// not its token's or one of its calls is another process's.
func TestBatchesAreCheckedWhole(t *testing.T) {
	call := func(id string) json.RawMessage { return json.RawMessage(`{"id":"` + id + `","status":"running"}`) }
	mine, other := call(testToken+"-1"), call(tokenOf("another")+"-1")
	many := make([]json.RawMessage, maxCalls+1)
	for i := range many {
		many[i] = mine
	}
	for _, tc := range []struct {
		name string
		b    batch
		want error
	}{
		{"signed", batch{Token: testToken, Secret: testSecret, Calls: []json.RawMessage{mine}}, nil},
		{"a heartbeat", batch{Token: testToken, Secret: testSecret}, nil},
		{"no token", batch{Secret: testSecret, Calls: []json.RawMessage{mine}}, errMalformed},
		{"too many calls", batch{Token: testToken, Secret: testSecret, Calls: many}, errMalformed},
		{"no secret", batch{Token: testToken, Calls: []json.RawMessage{mine}}, errForged},
		{"another's secret", batch{Token: testToken, Secret: "another", Calls: []json.RawMessage{mine}}, errForged},
		{"another's call", batch{Token: testToken, Secret: testSecret, Calls: []json.RawMessage{mine, other}}, errForged},
		{"a call with the token as its ID", batch{Token: testToken, Secret: testSecret, Calls: []json.RawMessage{call(testToken)}}, errForged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.b.reports(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestTheBoardIsBoundedInBytes fills a board with reports as large as
// they may be: it keeps what fits in maxRemoteBytes, and forgets the
// oldest.
func TestTheBoardIsBoundedInBytes(t *testing.T) {
	r := &registry{remote: map[string]*remoteCall{}}
	fill := strings.Repeat("x", maxError+1)
	largest := func(i int) CallReport {
		rep := CallReport{ID: fmt.Sprintf("%s-%d", testToken, i), Status: statusFailed, Error: fill,
			Started: time.Unix(int64(i), 0), Stack: make([]Frame, maxFrames),
			Insights: &InsightsView{Workers: make([]mpire.WorkerInsights, maxWorkers)}}
		for _, s := range rep.texts() {
			*s += fill
		}
		for j := range rep.Stack {
			rep.Stack[j] = Frame{Func: fill, Pos: fill}
		}
		rep.bound()
		return rep
	}
	b := batch{Token: testToken}
	for i := range maxCalls {
		r.receive(b, []CallReport{largest(i)}, time.Now())
	}
	total := 0
	for _, rc := range r.remote {
		total += rc.report.size()
		if rc.report.Started.Unix() < int64(maxCalls-len(r.remote)) {
			t.Errorf("call %s kept, newer ones forgotten", rc.report.ID)
		}
	}
	one := largest(0)
	t.Logf("%d calls of %d bytes kept, %d bytes in all", len(r.remote), one.size(), total)
	if total != r.remoteBytes || total > maxRemoteBytes || len(r.remote) == maxCalls {
		t.Fatalf("%d calls kept, holding %d bytes (counted %d), over %d", len(r.remote), total, r.remoteBytes, maxRemoteBytes)
	}
}
