// Metrics for Prometheus: a call's metrics, served by OpenTelemetry's
// Prometheus exporter on /metrics, and what a scrape returns. A service
// serves them as here and lets Prometheus scrape them.
package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

func main() {
	// The exporter is a reader of the meter provider: a scrape collects.
	registry := prometheus.NewRegistry()
	// WithoutScopeInfo: the otel_scope_ labels would repeat otelmpire's
	// name on every line.
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry), otelprom.WithoutScopeInfo())
	if err != nil {
		log.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	server := &http.Server{Handler: mux}
	go server.Serve(ln)
	defer server.Close()

	xs := make([]int, 100)
	for i := range xs {
		xs[i] = i
	}
	// Tasks 7 and 42 fail once and succeed when retried; task 99 fails
	// for good, kept for the caller.
	ys, err := mpire.Map(context.Background(), xs, square,
		mpire.WithJobs(4), mpire.WithRetries(1), mpire.WithRetryBackoff(0, 0), mpire.WithContinueOnError(),
		otelmpire.Instrument(otelmpire.WithMeterProvider(mp)))
	if len(ys) != len(xs) || len(mpire.TaskErrors(err)) != 1 {
		log.Fatalf("Map: %v", err)
	}
	fmt.Printf("%d results; %v\n", len(ys), err)

	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Printf("\nGET /metrics: %s; its mpire_ lines (the histogram's buckets left out):\n", resp.Status)
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if line := lines.Text(); strings.HasPrefix(line, "mpire_") && !strings.HasPrefix(line, "mpire_task_duration_seconds_bucket") {
			fmt.Println(line)
		}
	}
	if err := lines.Err(); err != nil {
		log.Fatal(err)
	}
}

var (
	mu     sync.Mutex
	failed = map[int]bool{}
)

// square squares x, but for a few tasks that fail: 7 and 42 once, 99
// always.
func square(_ context.Context, x int) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	if x == 99 || (x == 7 || x == 42) && !failed[x] {
		failed[x] = true
		return 0, fmt.Errorf("task %d failed", x)
	}
	return x * x, nil
}
