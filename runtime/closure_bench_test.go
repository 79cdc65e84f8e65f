package mpire_test

import (
	"context"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
)

// BenchmarkTinyClosure compares Map of a closure with the pool generated for
// the same function, both starting their workers with the call.
func BenchmarkTinyClosure(b *testing.B) {
	in := ints(tinyTasks)
	perTask := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tinyTasks), "ns/task")
	}
	b.Run("generated", func(b *testing.B) {
		p := tinyPool()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Map(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b)
	})
	b.Run("closure", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mpire.Map(context.Background(), in, func(_ context.Context, x int) (int, error) { return work(x), nil }); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b)
	})
}

// BenchmarkTinyOneWorker is the cost per task of the generated loop, of a
// closure's and of insights, on one worker: with the other core free for
// whatever else runs, these figures move less than those of two workers
// sharing two cores, and a profile (-cpuprofile) shows the loop alone.
func BenchmarkTinyOneWorker(b *testing.B) {
	in := ints(tinyTasks)
	one := mpire.WithJobs(1)
	perTask := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tinyTasks), "ns/task")
	}
	for _, tc := range []struct {
		name string
		opts []mpire.Option
	}{
		{"generated", []mpire.Option{one}},
		{"generated+insights", []mpire.Option{one, mpire.WithInsights()}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := tinyPool(tc.opts...)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Map(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			perTask(b)
		})
	}
	b.Run("closure", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mpire.Map(context.Background(), in, func(_ context.Context, x int) (int, error) { return work(x), nil }, one); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b)
	})
}
