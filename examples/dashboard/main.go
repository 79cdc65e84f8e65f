// Dashboard: calls with a progress bar appear live on mpire's dashboard.
//
//	go run ./examples/dashboard                     # serves the dashboard, prints its URL
//	go run ./examples/dashboard -connect URL        # reports to one served by mpire-dashboard
//
// The program makes a call that completes, one that fails, one that panics
// and a slow one; when it serves the dashboard, it keeps serving until
// Ctrl-C. Its test, in the browser directory, opens the page in a headless
// Chromium while the calls run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/dashboard"
)

//go:generate go run github.com/mpire-go/mpire/cmd/mpiregen

// Work waits ms milliseconds. A negative ms is an error, and -2 a bug.
//
//mpire:task
func Work(ctx context.Context, ms int) (int, error) {
	switch {
	case ms == -2:
		var waits []int
		return waits[ms], nil // index out of range: a panic
	case ms < 0:
		return 0, errors.New("negative duration")
	}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return ms, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// durations returns n tasks of ms milliseconds each.
func durations(n, ms int) []int {
	d := make([]int, n)
	for i := range d {
		d[i] = ms
	}
	return d
}

// demo makes the four calls: the last one runs until ctx ends or it is done.
func demo(ctx context.Context, pool *WorkPool, slow int) {
	if _, err := pool.Map(ctx, durations(100, 1), mpire.WithProgressBarTitle("warm-up")); err != nil {
		log.Fatal(err)
	}
	failing := durations(50, 1)
	failing[37] = -1
	_, err := pool.Map(ctx, failing, mpire.WithProgressBarTitle("validate"))
	fmt.Fprintln(os.Stderr, "the failing call returned:", err)
	panicking := durations(40, 1)
	panicking[23] = -2
	_, err = pool.Map(ctx, panicking, mpire.WithProgressBarTitle("parse"))
	fmt.Fprintln(os.Stderr, "the panicking call returned:", err)
	pool.Map(ctx, durations(slow, 20), mpire.WithProgressBarTitle("train"))
}

func main() {
	addr := flag.String("addr", "", "serve the dashboard on this address (default: the first free port of localhost:8080-8099; any but a loopback address needs the token in the URL printed)")
	connect := flag.String("connect", "", "report to the dashboard at this URL instead of serving one")
	slow := flag.Int("slow", 500, "tasks of 20 ms in the slow call")
	flag.Parse()
	if *connect != "" {
		if err := dashboard.Connect(*connect); err != nil {
			log.Fatal(err)
		}
		defer dashboard.Connect("") // sends the last reports
	} else {
		d, err := dashboard.Start(*addr)
		if err != nil {
			log.Fatal(err)
		}
		defer d.Close()
		fmt.Println("dashboard:", d.URL())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	pool := NewWorkPool(mpire.WithJobs(2), mpire.WithInsights())
	demo(ctx, pool, *slow)
	if *connect == "" {
		fmt.Println("done; Ctrl-C stops the dashboard")
		<-ctx.Done()
	}
}
