package cluster_test

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// BenchmarkTinyTasks maps x*x over a million ints with default chunking on
// two worker processes of one slot each, through an embedded server.
//
//	go test -run '^$' -bench TinyTasks ./runtime/cluster
func BenchmarkTinyTasks(b *testing.B) {
	c := newCluster(b)
	c.startWorker(1)
	c.startWorker(1)
	p := newPool(b, c, 0, mpire.WithJobs(4))
	xs := ints(0, 1_000_000)
	ctx := context.Background()
	if _, err := p.Map(ctx, xs[:1000]); err != nil { // the workers are up
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Map(ctx, xs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(xs)*b.N)/b.Elapsed().Seconds(), "tasks/s")
}

// BenchmarkMedium maps 20,000 tasks of 50µs, on the cluster as above and
// on two goroutine workers, for the ratio of the two.
//
//	go test -run '^$' -bench Medium ./runtime/cluster
func BenchmarkMedium(b *testing.B) {
	xs := ints(2*slowBase, 20_000)
	ctx := context.Background()
	b.Run("goroutines", func(b *testing.B) {
		fn := taskFunc(0)
		p := mpireimpl.NewPool(fn, mpire.WithJobs(2))
		defer p.Close()
		for b.Loop() {
			if _, err := p.Map(ctx, xs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cluster", func(b *testing.B) {
		c := newCluster(b)
		c.startWorker(1)
		c.startWorker(1)
		p := newPool(b, c, 0, mpire.WithJobs(4))
		if _, err := p.Map(ctx, xs[:100]); err != nil { // the workers are up
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := p.Map(ctx, xs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestWhatLinksWhat: the core package links no NATS code, and a worker,
// which imports cluster, links no server.
func TestWhatLinksWhat(t *testing.T) {
	deps := func(pkgs ...string) []string {
		out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).Output()
		if err != nil {
			t.Skip("go list:", err)
		}
		return strings.Fields(string(out))
	}
	for _, d := range deps("github.com/mpire-go/mpire/runtime", "github.com/mpire-go/mpire/runtime/mpireimpl") {
		if strings.Contains(d, "nats-io") {
			t.Errorf("the runtime depends on %s", d)
		}
	}
	if slices.ContainsFunc(deps("github.com/mpire-go/mpire/runtime/cluster"), func(d string) bool { return strings.Contains(d, "nats-server") }) {
		t.Errorf("package cluster depends on the NATS server")
	}
}
