package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/dashboard"
)

// printCalls prints the calls titled title that the dashboard at url lists.
func printCalls(url, title string) {
	resp, err := http.Get(url + "/api/calls")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []dashboard.CallReport
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		log.Fatal(err)
	}
	for _, c := range calls {
		if c.Title != title {
			continue
		}
		fmt.Printf("%s %s: %d/%d %s\n", c.Title, c.Func, c.Done, c.Total, c.Status)
	}
}

func ExampleStart() {
	d, err := dashboard.Start("127.0.0.1:0") // Start("") takes a port of localhost:8080-8099
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	// Open d.URL() in a browser: every call with a progress bar is there.

	pool := newPool(mpire.WithJobs(2))
	pool.Map(context.Background(), ints(100), mpire.WithProgressBarTitle("started"), mpire.WithProgressBarWriter(io.Discard))
	printCalls(d.URL(), "started")
	// Output: started square: 100/100 completed
}

func ExampleConnect() {
	// The dashboard would be served by another process, the mpire-dashboard
	// command; here this one serves it.
	d, err := dashboard.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	if err := dashboard.Connect(d.URL()); err != nil {
		log.Fatal(err)
	}
	pool := newPool(mpire.WithJobs(2))
	pool.Map(context.Background(), ints(100), mpire.WithProgressBarTitle("connected"), mpire.WithProgressBarWriter(io.Discard))
	dashboard.Connect("") // disconnect, once the last reports are sent
	printCalls(d.URL(), "connected")
	// Output: connected square: 100/100 completed
}
