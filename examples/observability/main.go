// Observability: a call's trace, with the spans its tasks start in worker
// processes, its metrics, and its workers' lives in the log. The spans and
// metrics are printed here; a service hands its providers an exporter
// (OTLP to a collector, Jaeger, Tempo, Prometheus) instead.
package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"slices"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

//go:generate go run github.com/mpire-go/mpire/cmd/mpiregen

// Resize pretends to resize an image, in a span of its own: it runs in a
// worker process, which has no exporter, and its span still reaches the
// caller's.
//
//mpire:task portable
func Resize(ctx context.Context, name string) (int, error) {
	_, span := otel.Tracer("resizer").Start(ctx, "resize "+name,
		trace.WithAttributes(attribute.Int("pid", os.Getpid())))
	defer span.End()
	return len(name) * 100, nil
}

func main() {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	logs := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level:       slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return dropTime(a) },
	}))

	pool := NewResizePool(mpire.WithProcesses(), mpire.WithJobs(2),
		otelmpire.Instrument(), // the global providers
		mpire.WithLogger(logs))
	ctx, request := tp.Tracer("app").Start(context.Background(), "request")
	sizes, err := pool.Map(ctx, []string{"cat.png", "dog.png", "owl.png", "ant.png"}, mpire.WithChunkSize(2))
	request.End()
	if err != nil {
		log.Fatal(err)
	}
	pool.Close()
	fmt.Println(sizes)

	fmt.Println("\nThe trace:")
	printTree(spans.GetSpans(), trace.SpanID{}, "", os.Getpid())
	fmt.Println("\nThe metrics:")
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			printMetric(m)
		}
	}
}

// dropTime leaves the time out of log records, so that the output is the
// same on every run.
func dropTime(a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// printTree prints the spans under parent, indented, saying which ran in a
// worker process.
func printTree(spans tracetest.SpanStubs, parent trace.SpanID, indent string, self int) {
	var children []tracetest.SpanStub
	for _, s := range spans {
		if s.Parent.SpanID() == parent {
			children = append(children, s)
		}
	}
	slices.SortFunc(children, func(a, b tracetest.SpanStub) int { return strings.Compare(a.Name, b.Name) })
	for _, s := range children {
		where := ""
		for _, kv := range s.Attributes {
			if kv.Key == "pid" && kv.Value.AsInt64() != int64(self) {
				where = " (in a worker process)"
			}
		}
		fmt.Printf("%s%s%s\n", indent, s.Name, where)
		printTree(spans, s.SpanContext.SpanID(), indent+"  ", self)
	}
}

func printMetric(m metricdata.Metrics) {
	switch data := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range data.DataPoints {
			name := m.Name
			if outcome, ok := dp.Attributes.Value("mpire.outcome"); ok {
				name += "{" + outcome.Emit() + "}"
			}
			fmt.Printf("%s: %d %s\n", name, dp.Value, m.Unit)
		}
	case metricdata.Histogram[float64]:
		for _, dp := range data.DataPoints {
			fmt.Printf("%s: %d chunks timed (%s)\n", m.Name, dp.Count, m.Unit)
		}
	}
}
