package mpire_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// allowedCPUs lists the CPUs this process may run on.
func allowedCPUs(t *testing.T) []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	var ids []int
	for id := range len(set) * 64 {
		if set.IsSet(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// affinityPool records, per worker, the CPUs its tasks were allowed on.
func affinityPool(t *testing.T, opts ...mpire.Option) (*mpireimpl.Pool[state, int, int, life], map[mpire.WorkerID][]int) {
	var mu sync.Mutex
	seen := map[mpire.WorkerID][]int{}
	p, _ := newPool(t, spec{task: func(_ context.Context, id mpire.WorkerID, _ *state, x int) (int, error) {
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(0, &set); err != nil {
			return 0, err
		}
		var cpus []int
		for c := range len(set) * 64 {
			if set.IsSet(c) {
				cpus = append(cpus, c)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := seen[id]; ok && !slices.Equal(prev, cpus) {
			t.Errorf("worker %d ran on CPUs %v, then %v", id, prev, cpus)
		}
		seen[id] = cpus
		return x, nil
	}}, opts...)
	return p, seen
}

func TestCPUIDsPinEachWorker(t *testing.T) {
	cpus := allowedCPUs(t)
	if len(cpus) < 2 {
		t.Skip("needs two CPUs")
	}
	ids := []int{cpus[1], cpus[0]}
	p, seen := affinityPool(t, mpire.WithJobs(2), mpire.WithCPUIDs(ids...), mpire.WithOrderTasks())
	if _, err := p.Map(ctx, ints(100), mpire.WithChunkSize(1)); err != nil {
		t.Fatal(err)
	}
	for w, id := range ids {
		if got := seen[mpire.WorkerID(w)]; !slices.Equal(got, []int{id}) {
			t.Errorf("worker %d ran on CPUs %v, want [%d]", w, got, id)
		}
	}
	// The process's own threads are left as they were.
	if got := allowedCPUs(t); !slices.Equal(got, cpus) {
		t.Errorf("after the call this thread may run on %v, before on %v", got, cpus)
	}
}

func TestOneCPUSetPinsEveryWorker(t *testing.T) {
	cpus := allowedCPUs(t)
	p, seen := affinityPool(t, mpire.WithJobs(3), mpire.WithCPUSets(cpus), mpire.WithOrderTasks())
	if _, err := p.Map(ctx, ints(30), mpire.WithChunkSize(1)); err != nil {
		t.Fatal(err)
	}
	for w := range 3 {
		if got := seen[mpire.WorkerID(w)]; !slices.Equal(got, cpus) {
			t.Errorf("worker %d ran on CPUs %v, want %v", w, got, cpus)
		}
	}
}

func TestPinningToAMissingCPUFailsTheCall(t *testing.T) {
	p, _ := affinityPool(t, mpire.WithJobs(1), mpire.WithCPUIDs(4000))
	_, err := p.Map(ctx, ints(3))
	if err == nil || !strings.Contains(err.Error(), "CPU 4000") {
		t.Fatalf("Map = %v, want an error naming CPU 4000", err)
	}
}

func TestPinningHoldsForTasksUnderATimeLimit(t *testing.T) {
	cpus := allowedCPUs(t)
	p, seen := affinityPool(t, mpire.WithJobs(1), mpire.WithCPUIDs(cpus[len(cpus)-1]))
	if _, err := p.Map(ctx, ints(10), mpire.WithTaskTimeout(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := seen[0]; !slices.Equal(got, []int{cpus[len(cpus)-1]}) {
		t.Fatalf("a task under a time limit ran on CPUs %v, want [%d]", got, cpus[len(cpus)-1])
	}
}
