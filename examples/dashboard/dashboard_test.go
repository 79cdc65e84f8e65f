package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/dashboard"
)

var update = flag.Bool("update", false, "rewrite screenshot.png from the test's page")

// chromium is Debian's Chromium, installed by .ci/run.
const chromium = "/usr/bin/chromium"

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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

// TestDashboardInChromium opens the dashboard in a real headless Chromium
// while calls run: a running call appears and advances, a finished one
// shows its full count and its insights, a failed one its error.
func TestDashboardInChromium(t *testing.T) {
	if _, err := exec.LookPath(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must install Debian's chromium: %v", err)
		}
		t.Skip("no Chromium at " + chromium)
	}
	d, err := dashboard.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := NewWorkPool(mpire.WithJobs(2), mpire.WithInsights())
	quiet := mpire.WithProgressBarWriter(io.Discard)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		// Completed, failed, then a slow call that runs while the browser
		// looks: 1000 tasks of 20 ms on 2 workers, about 10 s, which a
		// cold browser start cannot outlast; the test cancels it when done.
		pool.Map(ctx, durations(100, 1), quiet)
		failing := durations(50, 1)
		failing[37] = -1
		pool.Map(ctx, failing, quiet)
		pool.Map(ctx, durations(1000, 20), quiet)
	})
	var running, completed, failed dashboard.CallReport
	for deadline := time.Now().Add(30 * time.Second); running.ID == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the calls did not appear on the dashboard")
		}
		for _, c := range calls(t, d.URL()) {
			switch {
			case c.Total == 100:
				completed = c
			case c.Total == 50:
				failed = c
			case c.Total == 1000 && c.Done > 0:
				running = c
			}
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
		chromedp.WindowSize(1400, 1000),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 60*time.Second)
	defer tcancel()

	row := func(id string) string { return `tr.call[data-id="` + id + `"]` }
	var first, later, doneTasks, doneStatus, failedStatus, failedDetails, doneDetails string
	var shot []byte
	err = chromedp.Run(bctx,
		chromedp.Navigate(d.URL()),
		chromedp.WaitVisible(row(running.ID), chromedp.ByQuery),
		chromedp.Text(row(running.ID)+" td.tasks", &first, chromedp.ByQuery),
		chromedp.Sleep(1500*time.Millisecond),
		chromedp.Text(row(running.ID)+" td.tasks", &later, chromedp.ByQuery),
		chromedp.Text(row(completed.ID)+" td.tasks", &doneTasks, chromedp.ByQuery),
		chromedp.Text(row(completed.ID)+" td.status", &doneStatus, chromedp.ByQuery),
		chromedp.Text(row(failed.ID)+" td.status", &failedStatus, chromedp.ByQuery),
		chromedp.Click(row(failed.ID), chromedp.ByQuery),
		chromedp.WaitVisible(`tr.details[data-for="`+failed.ID+`"] pre.error`, chromedp.ByQuery),
		chromedp.Text(`tr.details[data-for="`+failed.ID+`"]`, &failedDetails, chromedp.ByQuery),
		chromedp.Click(row(completed.ID), chromedp.ByQuery),
		chromedp.WaitVisible(`tr.details[data-for="`+completed.ID+`"] table.workers`, chromedp.ByQuery),
		chromedp.Text(`tr.details[data-for="`+completed.ID+`"]`, &doneDetails, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100), // 100: PNG,
	)
	if err != nil {
		t.Fatal(err)
	}
	if progress(t, later) <= progress(t, first) {
		t.Errorf("the running call did not advance: %q, then %q", first, later)
	}
	if doneTasks != "100/100" || doneStatus != "completed" {
		t.Errorf("completed call shows %q, %q", doneTasks, doneStatus)
	}
	if failedStatus != "failed" || !strings.Contains(failedDetails, "at index 37") || !strings.Contains(failedDetails, "negative duration") {
		t.Errorf("failed call shows %q:\n%s", failedStatus, failedDetails)
	}
	for _, want := range []string{"Work", "main.go:", "dashboard_test.go:", "Stats per worker", "working", "Top 5 longest tasks"} {
		if !strings.Contains(doneDetails, want) {
			t.Errorf("details of the completed call lack %q:\n%s", want, doneDetails)
		}
	}
	if *update {
		if err := os.WriteFile("screenshot.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cancel() // stop the slow call
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
