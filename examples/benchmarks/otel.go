package main

import (
	"context"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

// instrumented is otelmpire.Instrument with the OpenTelemetry SDK's
// providers, as a service sets them up: every span made, sampled and
// exported as it ends (to an exporter that drops it, so that no backend is
// measured), metrics aggregated for a reader.
func instrumented() mpire.Option {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(dropSpans{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	return otelmpire.Instrument(otelmpire.WithTracerProvider(tp), otelmpire.WithMeterProvider(mp))
}

type dropSpans struct{}

func (dropSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropSpans) Shutdown(context.Context) error                             { return nil }
