package otelmpire_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

// work is ~50 ns of integer work, the tiny task of BENCH.md.
func work(x int) int {
	h := uint64(x)
	for range 24 {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
	}
	return int(h)
}

// discard is an exporter that drops what it is given: spans are made and
// exported, and memory stays flat.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// instrumented returns Instrument with the SDK's providers: spans exported
// one by one as they end, metrics aggregated for a reader.
func instrumented(b *testing.B) mpire.Option {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		tp.Shutdown(context.Background())
		mp.Shutdown(context.Background())
	})
	return otelmpire.Instrument(otelmpire.WithTracerProvider(tp), otelmpire.WithMeterProvider(mp))
}

// interleaved runs each of the calls once per iteration, in turn, so that
// a busy machine slows them alike, and reports the median time per task of
// each, in ns, and the ratio of each to the first.
func interleaved(b *testing.B, tasks int, names []string, calls ...func()) {
	times := make([][]time.Duration, len(calls))
	for b.Loop() {
		for i, call := range calls {
			start := time.Now()
			call()
			times[i] = append(times[i], time.Since(start))
		}
	}
	median := func(ds []time.Duration) float64 {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Nanoseconds()) / float64(tasks)
	}
	base := median(times[0])
	for i, name := range names {
		b.ReportMetric(median(times[i]), "ns/task-"+name)
		if i > 0 {
			b.ReportMetric(median(times[i])/base, "x-"+name)
		}
	}
}

// BenchmarkTiny measures what Instrument costs on 2,000,000 tiny tasks
// (BENCH.md's tiny workload) against the same call uninstrumented, with the
// SDK's providers; and, on 200,000, what a span per task costs.
func BenchmarkTiny(b *testing.B) {
	in := make([]int, 2_000_000)
	for i := range in {
		in[i] = i
	}
	ctx := context.Background()
	plain := func(_ context.Context, x int) (int, error) { return work(x), nil }
	withSpan := func(ctx context.Context, x int) (int, error) {
		_, span := trace.SpanFromContext(ctx).TracerProvider().Tracer("task").Start(ctx, "task", trace.WithAttributes(attribute.Int("x", x)))
		span.End()
		return work(x), nil
	}
	mapping := func(in []int, fn func(context.Context, int) (int, error), opts ...mpire.Option) func() {
		return func() {
			if _, err := mpire.Map(ctx, in, fn, opts...); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("chunks", func(b *testing.B) {
		opt := instrumented(b)
		interleaved(b, len(in), []string{"plain", "instrumented"}, mapping(in, plain), mapping(in, plain, opt))
	})
	b.Run("span-per-task", func(b *testing.B) {
		opt := instrumented(b)
		in := in[:200_000]
		interleaved(b, len(in), []string{"plain", "instrumented", "span-per-task"}, mapping(in, plain), mapping(in, plain, opt), mapping(in, withSpan, opt))
	})
}
