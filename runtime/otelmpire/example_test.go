package otelmpire_test

import (
	"context"
	"fmt"
	"slices"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

func square(ctx context.Context, x int) (int, error) { return x * x, nil }

// Instrument records a call as a span with a span per chunk under it, and
// counts its tasks. Here the providers keep what they record in memory; a
// program gives them an exporter, or sets the global ones and calls
// Instrument().
func ExampleInstrument() {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	squares, err := mpire.Map(context.Background(), []int{1, 2, 3, 4}, square,
		mpire.WithJobs(2), mpire.WithChunkSize(2),
		otelmpire.Instrument(otelmpire.WithTracerProvider(tp), otelmpire.WithMeterProvider(mp)))
	fmt.Println(squares, err)

	var names []string
	for _, s := range spans.GetSpans() {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	fmt.Println(names)

	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == "mpire.tasks" {
			dp := m.Data.(metricdata.Sum[int64]).DataPoints[0]
			outcome, _ := dp.Attributes.Value("mpire.outcome")
			fmt.Println(m.Name, outcome.Emit(), dp.Value)
		}
	}
	// Output:
	// [1 4 9 16] <nil>
	// [otelmpire_test.square otelmpire_test.square chunk otelmpire_test.square chunk]
	// mpire.tasks completed 4
}
