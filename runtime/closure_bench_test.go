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
