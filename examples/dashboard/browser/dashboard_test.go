// Package browser tests the dashboard as a person uses it: the dashboard
// demo reports to the mpire-dashboard command, each a process of its own,
// and a headless Chromium shows the page, is clicked as a hand clicks, and
// sees a killed program's call lost.
package browser

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/mpire-go/mpire/runtime/dashboard"
)

var update = flag.Bool("update", false, "rewrite ../screenshot.png from the test's page")

// chromium is Debian's Chromium, installed by .ci/run.
const chromium = "/usr/bin/chromium"

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// build builds the named commands into dir.
func build(t *testing.T, dir string, pkgs ...string) {
	t.Helper()
	for _, pkg := range pkgs {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, filepath.Base(pkg)), pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
}

// start starts a command, stopped with sig and waited for when the test
// ends, and returns its standard output.
func start(t *testing.T, sig os.Signal, name string, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(name, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(sig)
		cmd.Wait()
	})
	return cmd, bufio.NewReader(stdout)
}

func calls(t *testing.T, url string) []dashboard.CallReport {
	t.Helper()
	resp, err := http.Get(url + "/api/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cs []dashboard.CallReport
	if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestDashboardInChromium runs the demo against mpire-dashboard and checks
// in a real headless Chromium what people see and do.
func TestDashboardInChromium(t *testing.T) {
	if _, err := exec.LookPath(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must install Debian's chromium: %v", err)
		}
		t.Skip("no Chromium at " + chromium)
	}
	bin := t.TempDir()
	build(t, bin, "github.com/mpire-go/mpire/cmd/mpire-dashboard", "github.com/mpire-go/mpire/examples/dashboard")
	_, out := start(t, os.Interrupt, filepath.Join(bin, "mpire-dashboard"), "-addr", "127.0.0.1:0")
	first, err := out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(first, "mpire dashboard on "))
	go io.Copy(io.Discard, out)
	// The slow call: 6000 tasks of 20 ms on 2 workers, about a minute, far
	// more than the browser needs even on a slow start; the test kills the
	// program before its end.
	demo, _ := start(t, os.Kill, filepath.Join(bin, "dashboard"), "-connect", url, "-slow", "6000")

	ids := map[string]string{} // title -> call ID
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the calls did not appear on the dashboard: %+v", calls(t, url))
		}
		for _, c := range calls(t, url) {
			if c.Status != "running" || c.Done > 0 {
				ids[c.Title] = c.ID
			}
		}
		if ids["train"] != "" {
			break
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1400, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 120*time.Second)
	defer tcancel()

	row := func(title string) string { return `tr.call[data-id="` + ids[title] + `"]` }
	detailsOf := func(title string) string { return `tr.details[data-for="` + ids[title] + `"]` }
	run := func(actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(bctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string, res any) {
		t.Helper()
		run(chromedp.Evaluate(js, res))
	}
	text := func(sel string) string {
		t.Helper()
		var s string
		eval(`document.querySelector('`+sel+`').textContent`, &s)
		return s
	}
	isOpen := func(title string) bool {
		t.Helper()
		var hidden bool
		eval(`document.querySelector('`+detailsOf(title)+`').hidden`, &hidden)
		return !hidden
	}
	// press clicks as a hand does: down, held 100 ms, up, on the middle of
	// the element.
	press := func(sel string) {
		t.Helper()
		var at struct{ X, Y float64 }
		eval(`(() => { const e = document.querySelector('`+sel+`'); e.scrollIntoView({block: "center"});
			const r = e.getBoundingClientRect(); return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, &at)
		run(input.DispatchMouseEvent(input.MousePressed, at.X, at.Y).WithButton(input.Left).WithClickCount(1),
			chromedp.Sleep(100*time.Millisecond),
			input.DispatchMouseEvent(input.MouseReleased, at.X, at.Y).WithButton(input.Left).WithClickCount(1))
	}
	const refreshes = 1200 * time.Millisecond // two refreshes of the page and more

	run(chromedp.Navigate(url), chromedp.WaitVisible(row("train"), chromedp.ByQuery))
	before := progress(t, text(row("train")+" td.tasks"))

	// What a row shows: counts, status, title, program, and why it failed.
	if got := text(row("warm-up") + " td.tasks"); got != "100/100" {
		t.Errorf("the completed call shows %q tasks", got)
	}
	if got := text(row("warm-up") + " td.status"); got != "completed" {
		t.Errorf("the completed call shows %q", got)
	}
	for _, title := range []string{"warm-up", "validate", "parse", "train"} {
		if got := text(row(title) + " td.func"); got != title+"Work" {
			t.Errorf("the call titled %s shows %q", title, got)
		}
		if got, want := text(row(title)+" td.program"), fmt.Sprintf("dashboard (pid %d)", demo.Process.Pid); got != want {
			t.Errorf("the call titled %s shows program %q, want %q", title, got, want)
		}
	}
	var reason struct {
		Hidden bool
		Text   string
	}
	eval(`(() => { const r = document.querySelector('`+row("validate")+`').nextElementSibling; return {Hidden: r.hidden, Text: r.textContent}; })()`, &reason)
	if reason.Hidden || !strings.Contains(reason.Text, "at index 37") || !strings.Contains(reason.Text, "negative duration") {
		t.Errorf("the failed call's row does not say why: %+v", reason)
	}

	// Cells are updated in place, and only while the call runs: marks left
	// in the cells of an ended call stay, those of the running call go.
	eval(`window.trainRow = document.querySelector('`+row("train")+`');
		document.querySelector('`+row("warm-up")+` td.tasks').textContent = "mark";
		document.querySelector('`+row("train")+` td.tasks').textContent = "mark"`, nil)
	run(chromedp.Sleep(refreshes))
	var same bool
	eval(`document.querySelector('`+row("train")+`') === window.trainRow`, &same)
	if !same {
		t.Error("the running call's row was made anew by a refresh")
	}
	if got := text(row("warm-up") + " td.tasks"); got != "mark" {
		t.Errorf("the ended call's row was redrawn: %q", got)
	}
	if after := progress(t, text(row("train")+" td.tasks")); after <= before {
		t.Errorf("the running call did not advance: %d, then %d", before, after)
	}

	// Clicks held as a hand holds them, while the page refreshes: every one
	// opens or closes the details, of an ended call and of a running one.
	for _, title := range []string{"validate", "train"} {
		for i := range 12 {
			press(row(title) + " td.func")
			if isOpen(title) != (i%2 == 0) {
				t.Errorf("click %d on the %s call was lost", i+1, title)
			}
		}
	}
	for _, title := range []string{"validate", "parse", "train", "warm-up"} {
		press(row(title) + " td.func")
	}

	// Open details stay open; a selection in them survives the refreshes,
	// in an ended call and in the running one.
	for _, sel := range []string{detailsOf("validate") + " pre.error", detailsOf("train") + " table.workers"} {
		var selected, later string
		eval(`(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('`+sel+`'));
			getSelection().removeAllRanges(); getSelection().addRange(r); return getSelection().toString(); })()`, &selected)
		run(chromedp.Sleep(refreshes))
		eval(`getSelection().toString()`, &later)
		if selected == "" || later != selected {
			t.Errorf("the selection of %s did not survive: %q, then %q", sel, selected, later)
		}
	}
	eval(`getSelection().removeAllRanges()`, nil)
	for _, title := range []string{"validate", "parse", "train", "warm-up"} {
		if !isOpen(title) {
			t.Errorf("the details of the %s call closed by themselves", title)
		}
	}
	trainDetails := text(detailsOf("train"))
	for _, want := range []string{"Stats per worker", "working", "Top 5 longest tasks"} {
		if !strings.Contains(trainDetails, want) {
			t.Errorf("the running call's details lack %q:\n%s", want, trainDetails)
		}
	}

	// Positions in one form; a panic's stack leads with the user's line.
	const here = "github.com/mpire-go/mpire/examples/dashboard/main.go:"
	if d := text(detailsOf("warm-up")); strings.Count(d, here) != 2 {
		t.Errorf("the function and the call are not both at %s...:\n%s", here, d)
	}
	var stack struct {
		First, Folded string
		Open          bool
	}
	eval(`(() => { const d = document.querySelector('`+detailsOf("parse")+`');
		const f = d.querySelector('ol.stack details');
		return {First: d.querySelector('ol.stack > li').textContent, Folded: f ? f.textContent : "", Open: f ? f.open : true}; })()`, &stack)
	if !strings.HasPrefix(stack.First, "main.Work") || !strings.Contains(stack.First, here) {
		t.Errorf("the panic's stack begins with %q", stack.First)
	}
	if stack.Open || !strings.Contains(stack.Folded, "mpire/runtime/internal/engine") {
		t.Errorf("the runtime's frames are not folded away: open %v, %q", stack.Open, stack.Folded)
	}
	if d := text(detailsOf("parse")); !strings.Contains(d, "panic: runtime error: index out of range [-2]") {
		t.Errorf("the panic's details:\n%s", d)
	}

	if *update {
		// The README's picture: a fresh page, and the panic's details.
		run(chromedp.Navigate(url), chromedp.WaitVisible(row("parse"), chromedp.ByQuery))
		press(row("parse") + " td.func")
		var shot []byte
		run(chromedp.Evaluate(`window.scrollTo(0, 0)`, nil), chromedp.FullScreenshot(&shot, 100))
		if err := os.WriteFile("../screenshot.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A forged report, from a process of its own (this test), with markup
	// in every text the page shows: all of it is shown as text, none of
	// it runs.
	hostile := postHostileReport(t, url)
	ids["hostile"] = hostile
	run(chromedp.WaitVisible(row("hostile"), chromedp.ByQuery))
	press(row("hostile") + " td.func")
	run(chromedp.Sleep(refreshes))
	var page struct {
		Pwned     bool
		Images    int
		Text, Row string
	}
	eval(`({Pwned: window.pwned === true, Images: document.querySelectorAll('img, script:not(:first-of-type), iframe, svg').length,
		Text: document.querySelector('`+detailsOf("hostile")+`').textContent,
		Row: document.querySelector('`+row("hostile")+`').parentElement.textContent})`, &page)
	if page.Pwned || page.Images > 0 {
		t.Errorf("markup of a report ran: pwned %v, %d elements made", page.Pwned, page.Images)
	}
	for _, want := range []string{"title " + xss, "func " + xss, "error " + xss, "frame " + xss, "args " + xss, "phase " + xss} {
		if !strings.Contains(page.Text+page.Row, want) {
			t.Errorf("the page does not show %q as text:\n%s\n%s", want, page.Row, page.Text)
		}
	}

	// The program is killed: its running call is soon lost, its times
	// frozen.
	demo.Process.Kill()
	run(chromedp.Poll(`document.querySelector('`+row("train")+` td.status').textContent === "lost contact"`, nil,
		chromedp.WithPollingTimeout(30*time.Second)))
	frozen := text(row("train") + " td.duration")
	run(chromedp.Sleep(refreshes))
	if later := text(row("train") + " td.duration"); later != frozen {
		t.Errorf("the lost call's duration goes on: %q, then %q", frozen, later)
	}
	if got := text(row("train") + " td.remaining"); got != "" {
		t.Errorf("the lost call still has %q remaining", got)
	}
	if got := text(row("train") + " td.finished"); !strings.HasPrefix(got, "last heard ") {
		t.Errorf("the lost call's last column: %q", got)
	}
	if c := text(row("train") + " td.status"); c != "lost contact" {
		t.Errorf("the lost call's status: %q", c)
	}
}

// xss is markup that, were it taken as HTML, would set window.pwned.
const xss = `<img src=x onerror="window.pwned=true"><script>window.pwned=true</script></td></tr><svg onload="window.pwned=true">`

// postHostileReport posts, as a process of its own, a failed call with xss
// in every text the page shows, and returns the call's ID.
func postHostileReport(t *testing.T, url string) string {
	t.Helper()
	// A process's token is the hash of its secret, as dashboard.Connect
	// makes them: the dashboard takes reports only from the secret's
	// holder.
	secret := "the secret of a hostile process"
	sum := sha256.Sum256([]byte(secret))
	token := hex.EncodeToString(sum[:16])
	id := token + "-1"
	call := map[string]any{
		"id": id, "title": "title " + xss, "func": "func " + xss, "funcPos": "pos " + xss, "callPos": "call " + xss,
		"status": "failed", "error": "error " + xss, "total": 10, "done": 3, "started": time.Now().Add(-time.Minute),
		"stack": []map[string]any{{"func": "frame " + xss, "pos": "pos " + xss}},
		"insights": map[string]any{
			"completedTasks": 3, "total": 1e9,
			"phases":   []map[string]any{{"name": "phase " + xss, "total": 1e9, "ratio": 100}},
			"workers":  []map[string]any{{"ID": 0, "CompletedTasks": 3}},
			"topTasks": []map[string]any{{"Duration": 1e9, "Args": "args " + xss, "Tasks": 1}},
		},
	}
	body, _ := json.Marshal(map[string]any{
		"token": token, "secret": secret,
		"program": map[string]any{"name": "name " + xss, "pid": 1, "host": "host " + xss},
		"calls":   []any{call},
	})
	resp, err := http.Post(url+"/api/report", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("the hostile report got %s", resp.Status)
	}
	return id
}

// progress parses the done count of "done/total".
func progress(t *testing.T, s string) int {
	t.Helper()
	var done, total int
	if _, err := fmt.Sscanf(s, "%d/%d", &done, &total); err != nil {
		t.Fatalf("tasks cell %q: %v", s, err)
	}
	return done
}
