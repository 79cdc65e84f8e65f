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
	b.Run("generated", func(b *testing.B) {
		p := tinyPool()
		benchTinyMaps(b, func() ([]int, error) { return p.Map(context.Background(), in) })
	})
	b.Run("closure", func(b *testing.B) {
		benchTinyMaps(b, func() ([]int, error) { return mpire.Map(context.Background(), in, tinyClosure) })
	})
}

// BenchmarkTinyOneWorker is the cost per task of the generated loop, of a
// closure's and of insights, on one worker: with the other core free for
// whatever else runs, these figures move less than those of two workers
// sharing two cores, and a profile (-cpuprofile) shows the loop alone.
func BenchmarkTinyOneWorker(b *testing.B) {
	in := ints(tinyTasks)
	one := mpire.WithJobs(1)
	for _, tc := range []struct {
		name string
		opts []mpire.Option
	}{
		{"generated", []mpire.Option{one}},
		{"generated+insights", []mpire.Option{one, mpire.WithInsights()}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := tinyPool(tc.opts...)
			benchTinyMaps(b, func() ([]int, error) { return p.Map(context.Background(), in) })
		})
	}
	b.Run("closure", func(b *testing.B) {
		benchTinyMaps(b, func() ([]int, error) { return mpire.Map(context.Background(), in, tinyClosure, one) })
	})
}

// tinyClosure is the tiny task as a closure.
func tinyClosure(_ context.Context, x int) (int, error) { return work(x), nil }

// benchTinyMaps times calls of m, a Map of tinyTasks tasks, reporting its
// allocations and the time per task.
func benchTinyMaps(b *testing.B, m func() ([]int, error)) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tinyTasks), "ns/task")
}
