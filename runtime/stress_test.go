package mpire_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
)

func TestStressMillionsOfTinyTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	p, _ := newPool(t, spec{})
	got, err := p.Map(ctx, ints(3_000_000))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r != i*i {
			t.Fatalf("result %d = %d", i, r)
		}
	}
}

func TestStressLifespanOneChunkOne(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	p, cnt := newPool(t, spec{}, mpire.WithJobs(4))
	got, err := p.Map(ctx, ints(100_000), mpire.WithChunkSize(1), mpire.WithWorkerLifespan(1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, squares(100_000)) {
		t.Fatal("wrong results")
	}
	if cnt.inits.Load() != 100_000 || cnt.exits.Load() != 100_000 || len(p.ExitResults()) != 100_000 {
		t.Fatalf("%d inits, %d exits, %d exit results; want 100000 each", cnt.inits.Load(), cnt.exits.Load(), len(p.ExitResults()))
	}
}

func TestStressManyCallersOnOneKeptAlivePool(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	p, cnt := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, st *state, x int) (int, error) {
		return x * x, nil
	}}, mpire.WithJobs(4), mpire.WithKeepAlive())
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for i := range 100 {
				n := (g + i) % 70
				var got []int
				var err error
				if i%2 == 0 {
					got, err = p.Map(ctx, ints(n))
				} else {
					got, err = collect(p.IMapUnordered(ctx, slices.Values(ints(n))))
					slices.Sort(got)
				}
				if err != nil || !slices.Equal(got, squares(n)) {
					t.Errorf("caller %d call %d: %v %v", g, i, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if cnt.inits.Load() != cnt.exits.Load() || cnt.inits.Load() > 4 {
		t.Fatalf("%d inits, %d exits for 4 kept-alive workers", cnt.inits.Load(), cnt.exits.Load())
	}
}
