// Dashboard: calls with a progress bar appear live on mpire's dashboard. The
// program serves one (or reports to one started with the mpire-dashboard
// command, with -connect), makes a call that completes, one that fails and
// a slow one, and keeps serving until Ctrl-C.
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

// Work waits ms milliseconds; a negative ms is an error.
//
//mpire:task
func Work(ctx context.Context, ms int) (int, error) {
	if ms < 0 {
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

// demo makes the three calls: the last one runs until ctx ends or it is done.
func demo(ctx context.Context, pool *WorkPool, slow int) {
	quiet := mpire.WithProgressBarTitle("demo")
	if _, err := pool.Map(ctx, durations(100, 1), quiet); err != nil {
		log.Fatal(err)
	}
	failing := durations(50, 1)
	failing[37] = -1
	_, err := pool.Map(ctx, failing, quiet)
	fmt.Fprintln(os.Stderr, "the failing call returned:", err)
	pool.Map(ctx, durations(slow, 20), quiet)
}

func main() {
	addr := flag.String("addr", "", "serve the dashboard on this address (default: the first free port of localhost:8080-8099)")
	connect := flag.String("connect", "", "report to the dashboard at this URL instead of serving one")
	flag.Parse()
	if *connect != "" {
		if err := dashboard.Connect(*connect); err != nil {
			log.Fatal(err)
		}
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
	demo(ctx, pool, 500)
	if *connect == "" {
		fmt.Println("done; Ctrl-C stops the dashboard")
		<-ctx.Done()
	}
}
