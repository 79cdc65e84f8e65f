package mpire_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
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

// tinyPool is what mpiregen generates for func work(x int) int.
func tinyPool(opts ...mpire.Option) *mpireimpl.Pool[struct{}, int, int, struct{}] {
	return mpireimpl.NewPool(mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "work",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				out[n] = work(args[n])
			}
			return n, nil
		},
	}, opts...)
}

// staticPartition is the hand-written optimum: one goroutine per CPU over a
// contiguous range.
func staticPartition(in, out []int) {
	p := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for g := range p {
		lo, hi := g*len(in)/p, (g+1)*len(in)/p
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				out[i] = work(in[i])
			}
		})
	}
	wg.Wait()
}

const tinyTasks = 200_000

func BenchmarkTiny(b *testing.B) {
	in := ints(tinyTasks)
	b.Run("baseline=static", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			// A new result slice per call, as Map returns one.
			out := make([]int, len(in))
			staticPartition(in, out)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tinyTasks), "ns/task")
	})
	for _, tc := range []struct {
		name string
		opts []mpire.Option
	}{
		{"mpire", nil},
		{"mpire+insights", []mpire.Option{mpire.WithInsights()}},
		{"mpire+keepalive", []mpire.Option{mpire.WithKeepAlive()}},
		{"mpire+retries", []mpire.Option{mpire.WithRetries(3)}}, // none happen
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := tinyPool(tc.opts...)
			defer p.Close()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Map(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tinyTasks), "ns/task")
		})
	}
}

// BenchmarkCalls measures the cost of one small Map call on a kept-alive
// pool against the strongest hand-written dispatch: P long-lived
// goroutines, each handed one contiguous range per call by one channel send,
// and a WaitGroup.
func BenchmarkCalls(b *testing.B) {
	in := ints(64)
	b.Run("baseline=ranges", func(b *testing.B) {
		procs := runtime.GOMAXPROCS(0)
		type span struct{ lo, hi int }
		var done sync.WaitGroup
		out := make([]int, len(in))
		spans := make([]chan span, procs)
		for i := range spans {
			spans[i] = make(chan span, 1)
			go func() {
				for s := range spans[i] {
					for j := s.lo; j < s.hi; j++ {
						out[j] = work(in[j])
					}
					done.Done()
				}
			}()
		}
		for b.Loop() {
			done.Add(procs)
			for i, ch := range spans {
				ch <- span{len(in) * i / procs, len(in) * (i + 1) / procs}
			}
			done.Wait()
		}
		for _, ch := range spans {
			close(ch)
		}
	})
	b.Run("mpire", func(b *testing.B) {
		p := tinyPool(mpire.WithKeepAlive())
		defer p.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Map(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkApply measures one Apply on a kept-alive pool against a round
// trip to a long-lived goroutine over two channels.
func BenchmarkApply(b *testing.B) {
	b.Run("baseline=channel", func(b *testing.B) {
		tasks, results := make(chan int), make(chan int)
		go func() {
			for x := range tasks {
				results <- work(x)
			}
		}()
		for b.Loop() {
			tasks <- 7
			<-results
		}
		close(tasks)
	})
	b.Run("mpire", func(b *testing.B) {
		p := tinyPool(mpire.WithKeepAlive())
		defer p.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Apply(context.Background(), 7); err != nil {
				b.Fatal(err)
			}
		}
	})
}
