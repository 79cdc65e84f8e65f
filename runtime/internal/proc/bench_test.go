//go:build linux || darwin

package proc

import (
	"github.com/mpire-go/mpire/runtime/internal/wire"

	"context"
	"io"
	"sync"
	"testing"
	"time"
)

// BenchmarkRoundTrip is one small request and its reply: one task per
// message.
func BenchmarkRoundTrip(b *testing.B) {
	c := benchChild(b)
	ctx, args := context.Background(), encodeInts(1)
	for b.Loop() {
		if _, err := ask(c, ctx, wire.PhaseRun, args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChunks is chunks of 64 tasks, four in flight, as an executor
// keeps a child busy; it reports the time per task.
func BenchmarkChunks(b *testing.B) {
	const chunk, inFlight = 64, 4
	c := benchChild(b)
	ctx := context.Background()
	xs := make([]int64, chunk)
	for i := range xs {
		xs[i] = int64(i)
	}
	args := encodeInts(xs...)
	work := make(chan struct{})
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			for range work {
				if rep, err := ask(c, ctx, wire.PhaseRun, args); err != nil || rep.N != chunk {
					b.Error(err)
				}
			}
		})
	}
	for b.Loop() {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunk), "ns/task")
}

// BenchmarkStart starts a worker process, to its first reply, and closes it.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		c, err := Start(ctx, Config{Task: testTask, Stderr: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Close(time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

func benchChild(b *testing.B) *Child {
	c, err := Start(context.Background(), Config{Task: testTask, Stderr: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Kill() })
	return c
}
