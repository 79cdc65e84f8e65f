package mpire_test

import (
	"context"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

var ctx = context.Background()

func TestMapReturnsResultsInInputOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		pool []mpire.Option
		call []mpire.CallOption
	}{
		{"default chunking", 1000, nil, nil},
		{"one task", 1, nil, nil},
		{"fewer tasks than workers", 3, []mpire.Option{mpire.WithJobs(8)}, nil},
		{"chunk size 7", 1000, nil, []mpire.CallOption{mpire.WithChunkSize(7)}},
		{"chunk size larger than input", 10, nil, []mpire.CallOption{mpire.WithChunkSize(100)}},
		{"n splits", 1001, nil, []mpire.CallOption{mpire.WithNSplits(3)}},
		{"order tasks", 777, []mpire.Option{mpire.WithOrderTasks()}, []mpire.CallOption{mpire.WithChunkSize(5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, cnt := newPool(t, spec{}, append([]mpire.Option{mpire.WithJobs(3)}, tc.pool...)...)
			got, err := p.Map(ctx, ints(tc.n), tc.call...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, squares(tc.n)) {
				t.Fatalf("Map = %v, want %v", got, squares(tc.n))
			}
			if cnt.tasks.Load() != int64(tc.n) {
				t.Errorf("ran %d tasks, want %d", cnt.tasks.Load(), tc.n)
			}
		})
	}
}

func TestMapUnorderedReturnsEveryResult(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x%10 == 0 {
			time.Sleep(time.Millisecond) // unbalance the chunks
		}
		return x * x, nil
	}}, mpire.WithJobs(4))
	got, err := p.MapUnordered(ctx, ints(500), mpire.WithChunkSize(3))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, squares(500)) {
		t.Fatalf("MapUnordered returned %v", got)
	}
}

func TestEmptyInputGivesEmptyResult(t *testing.T) {
	p, cnt := newPool(t, spec{})
	for _, in := range [][]int{nil, {}} {
		got, err := p.Map(ctx, in)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("Map(%v) = %v, %v; want an empty slice", in, got, err)
		}
		got, err = p.MapUnordered(ctx, in)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("MapUnordered(%v) = %v, %v; want an empty slice", in, got, err)
		}
		got, err = collect(p.IMap(ctx, slices.Values(in)))
		if err != nil || len(got) != 0 {
			t.Errorf("IMap(%v) = %v, %v; want nothing", in, got, err)
		}
	}
	if cnt.inits.Load() != 0 {
		t.Errorf("%d inits for empty input, want 0", cnt.inits.Load())
	}
}

func TestIMapYieldsInInputOrder(t *testing.T) {
	for _, opts := range [][]mpire.CallOption{
		nil,
		{mpire.WithChunkSize(1)},
		{mpire.WithIterableLen(300)},
		{mpire.WithMaxTasksActive(2), mpire.WithChunkSize(5)},
	} {
		p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
			if x%7 == 0 {
				time.Sleep(100 * time.Microsecond)
			}
			return x * x, nil
		}}, mpire.WithJobs(3))
		got, err := collect(p.IMap(ctx, slices.Values(ints(300)), opts...))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, squares(300)) {
			t.Fatalf("IMap = %v", got)
		}
		got, err = collect(p.IMapUnordered(ctx, slices.Values(ints(300)), opts...))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, squares(300)) {
			t.Fatalf("IMapUnordered = %v", got)
		}
	}
}

// countingSeq yields 0..n-1 and counts how many items were taken.
func countingSeq(n int, taken *atomic.Int64) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			taken.Add(1)
			if !yield(i) {
				return
			}
		}
	}
}

func TestMaxTasksActiveBoundsWhatIsTakenAhead(t *testing.T) {
	for _, ordered := range []bool{true, false} {
		p, _ := newPool(t, spec{}, mpire.WithJobs(2))
		var taken atomic.Int64
		const max = 8
		seq := p.IMapUnordered
		if ordered {
			seq = p.IMap
		}
		yielded := 0
		for _, err := range seq(ctx, countingSeq(10_000, &taken), mpire.WithMaxTasksActive(max), mpire.WithChunkSize(3)) {
			if err != nil {
				t.Fatal(err)
			}
			yielded++
			// A slow consumer: the workers could run far ahead if not held.
			if yielded%100 == 0 {
				time.Sleep(time.Millisecond)
			}
			if ahead := taken.Load() - int64(yielded); ahead > max {
				t.Fatalf("ordered=%v: %d tasks taken and not yet returned, bound is %d", ordered, ahead, max)
			}
		}
		if yielded != 10_000 {
			t.Fatalf("yielded %d results, want 10000", yielded)
		}
	}
}

func TestMaxTasksActiveBelowChunkSizeDoesNotHang(t *testing.T) {
	p, _ := newPool(t, spec{})
	got, err := collect(p.IMap(ctx, slices.Values(ints(100)), mpire.WithChunkSize(50), mpire.WithMaxTasksActive(3)))
	if err != nil || !slices.Equal(got, squares(100)) {
		t.Fatalf("IMap = %v, %v", got, err)
	}
}

func TestBreakingOutOfIMapStopsTheWork(t *testing.T) {
	for _, ordered := range []bool{true, false} {
		p, cnt := newPool(t, spec{}, mpire.WithJobs(2))
		seq := p.IMapUnordered
		if ordered {
			seq = p.IMap
		}
		var taken atomic.Int64
		n := 0
		for _, err := range seq(ctx, countingSeq(1_000_000, &taken), mpire.WithChunkSize(10)) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 25 {
				break
			}
		}
		// The iterator returns once the workers have left: nothing runs now.
		ran := cnt.tasks.Load()
		if ran >= 1_000_000 || taken.Load() >= 1_000_000 {
			t.Fatalf("ran %d tasks and took %d items after a break at 25", ran, taken.Load())
		}
		if cnt.inits.Load() != cnt.exits.Load() {
			t.Fatalf("%d inits, %d exits", cnt.inits.Load(), cnt.exits.Load())
		}
	}
}

func TestSliceInputIsNotCopied(t *testing.T) {
	// Each task sees its argument in the caller's slice: chunks are
	// sub-slices of it.
	in := ints(100)
	var mu sync.Mutex
	seen := map[*int]bool{}
	p := mpireimpl.NewPool(mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "addr",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			for i := range args {
				seen[&args[i]] = true
				out[i] = args[i]
			}
			return len(args), nil
		},
	}, mpire.WithJobs(2))
	if _, err := p.Map(ctx, in); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !seen[&in[i]] {
			t.Fatalf("task %d did not see the caller's element", i)
		}
	}
}

// TestMapAllocatesNothingPerTask checks that what Map allocates does not
// grow with the number of tasks (the result slice aside).
func TestMapAllocatesNothingPerTask(t *testing.T) {
	p := tinyPool(mpire.WithJobs(2), mpire.WithKeepAlive())
	defer p.Close()
	allocs := func(n int) float64 {
		in := ints(n)
		return testing.AllocsPerRun(20, func() {
			if _, err := p.Map(ctx, in, mpire.WithChunkSize(64)); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(1_000), allocs(100_000)
	// 100 times the tasks; the only extra allocations may come from a few
	// more chunk hand-offs being counted, never one per task.
	if large-small > 10 {
		t.Fatalf("Map allocates %.0f times for 1000 tasks, %.0f for 100000: it allocates per task", small, large)
	}
}

// TestIterableLenTakesThatManyInputs follows MPIRE: a call processes the
// first min(n, inputs) items of its input.
func TestIterableLenTakesThatManyInputs(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	for _, tc := range []struct{ n, inputs, want int }{{10, 300, 10}, {300, 10, 10}, {0, 5, 0}} {
		pulled := 0
		input := func(yield func(int) bool) {
			for i := range tc.inputs {
				pulled++
				if !yield(i) {
					return
				}
			}
		}
		got, err := collect(p.IMap(ctx, input, mpire.WithIterableLen(tc.n)))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, squares(tc.want)) || pulled != tc.want {
			t.Errorf("WithIterableLen(%d) over %d inputs: %v, %d pulled", tc.n, tc.inputs, got, pulled)
		}
	}
}
