package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

func TestWorkerIDsAreTheSlots(t *testing.T) {
	var mu sync.Mutex
	seen := map[mpire.WorkerID]int{}
	p, _ := newPool(t, spec{task: func(_ context.Context, id mpire.WorkerID, _ *state, x int) (int, error) {
		mu.Lock()
		seen[id]++
		mu.Unlock()
		return x, nil
	}}, mpire.WithJobs(3), mpire.WithOrderTasks())
	if _, err := p.Map(ctx, ints(300), mpire.WithChunkSize(1)); err != nil {
		t.Fatal(err)
	}
	// Ordered tasks give each slot a third of the chunks.
	want := map[mpire.WorkerID]int{0: 100, 1: 100, 2: 100}
	if len(seen) != 3 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Fatalf("tasks per worker id = %v, want %v", seen, want)
	}
}

func TestOrderTasksGivesChunkKToWorkerKModJobs(t *testing.T) {
	const jobs, size = 3, 4
	got := make([]mpire.WorkerID, 100)
	p, _ := newPool(t, spec{task: func(_ context.Context, id mpire.WorkerID, _ *state, x int) (int, error) {
		got[x] = id // each index is written by one task only
		return x, nil
	}}, mpire.WithJobs(jobs), mpire.WithOrderTasks(), mpire.WithKeepAlive())
	defer p.Close()
	for call := range 2 { // a new call starts again at worker 0
		if call == 1 {
			if _, err := collect(p.IMap(ctx, slices.Values(ints(100)), mpire.WithChunkSize(size))); err != nil {
				t.Fatal(err)
			}
		} else if _, err := p.Map(ctx, ints(100), mpire.WithChunkSize(size)); err != nil {
			t.Fatal(err)
		}
		for i, id := range got {
			if want := mpire.WorkerID(i / size % jobs); id != want {
				t.Fatalf("call %d: task %d ran on worker %d, want %d", call, i, id, want)
			}
		}
	}
}

func TestStateLivesAsLongAsTheWorker(t *testing.T) {
	p, cnt := newPool(t, spec{}, mpire.WithJobs(2))
	if _, err := p.Map(ctx, ints(1000)); err != nil {
		t.Fatal(err)
	}
	lives := p.ExitResults()
	total := 0
	for _, l := range lives {
		total += l.Tasks
	}
	if total != 1000 {
		t.Fatalf("worker states counted %d tasks in all, want 1000 (exit results %v)", total, lives)
	}
	if cnt.inits.Load() != cnt.exits.Load() || int(cnt.exits.Load()) != len(lives) {
		t.Fatalf("%d inits, %d exits, %d exit results", cnt.inits.Load(), cnt.exits.Load(), len(lives))
	}
}

func TestInitRunsBeforeTheFirstTaskOnly(t *testing.T) {
	p, cnt := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, st *state, x int) (int, error) {
		if st.inits != 1 {
			t.Errorf("task %d saw %d inits in its worker life", x, st.inits)
		}
		return x, nil
	}}, mpire.WithJobs(4))
	if _, err := p.Map(ctx, ints(2)); err != nil { // two chunks: at most two workers work
		t.Fatal(err)
	}
	if n := cnt.inits.Load(); n > 2 || n < 1 {
		t.Fatalf("%d inits for 2 tasks: init must run only for workers that get a task", n)
	}
	if cnt.inits.Load() != cnt.exits.Load() {
		t.Fatalf("%d inits, %d exits", cnt.inits.Load(), cnt.exits.Load())
	}
}

func TestWorkerLifespanRestartsWorkers(t *testing.T) {
	for _, tc := range []struct {
		name             string
		n, chunk, span   int
		wantLivesAtLeast int
	}{
		{"lifespan 1, chunk 1", 100, 1, 1, 100},
		{"lifespan 10, chunk 1", 100, 1, 10, 10},
		// Checked at chunk boundaries: a life ends after the chunk that
		// reached the lifespan.
		{"lifespan 3, chunk 5", 100, 5, 3, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, cnt := newPool(t, spec{}, mpire.WithJobs(2))
			got, err := p.Map(ctx, ints(tc.n), mpire.WithChunkSize(tc.chunk), mpire.WithWorkerLifespan(tc.span))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, squares(tc.n)) {
				t.Fatal("wrong results")
			}
			lives := p.ExitResults()
			if len(lives) < tc.wantLivesAtLeast {
				t.Fatalf("%d worker lives, want at least %d", len(lives), tc.wantLivesAtLeast)
			}
			total := 0
			for _, l := range lives {
				total += l.Tasks
				if l.Tasks > max(tc.span, tc.chunk) {
					t.Fatalf("a worker life ran %d tasks, lifespan %d with chunks of %d", l.Tasks, tc.span, tc.chunk)
				}
			}
			if total != tc.n {
				t.Fatalf("lives ran %d tasks in all, want %d: state was not fresh after a restart", total, tc.n)
			}
			if cnt.inits.Load() != cnt.exits.Load() {
				t.Fatalf("%d inits, %d exits", cnt.inits.Load(), cnt.exits.Load())
			}
		})
	}
}

func TestKeepAliveKeepsWorkersUntilClose(t *testing.T) {
	p, cnt := newPool(t, spec{}, mpire.WithJobs(2), mpire.WithKeepAlive())
	for range 3 {
		if _, err := p.Map(ctx, ints(100)); err != nil {
			t.Fatal(err)
		}
		if _, err := collect(p.IMap(ctx, slices.Values(ints(100)))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Apply(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if n := cnt.inits.Load(); n < 1 || n > 2 {
		t.Fatalf("%d inits over 7 calls with keep-alive, want one per worker at most", n)
	}
	if cnt.exits.Load() != 0 {
		t.Fatalf("%d exits before Close", cnt.exits.Load())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if cnt.exits.Load() != cnt.inits.Load() || len(p.ExitResults()) != int(cnt.inits.Load()) {
		t.Fatalf("after Close: %d inits, %d exits, %d exit results", cnt.inits.Load(), cnt.exits.Load(), len(p.ExitResults()))
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := p.Map(ctx, ints(3)); err != mpire.ErrClosed {
		t.Fatalf("Map after Close = %v, want ErrClosed", err)
	}
}

func TestWithoutKeepAliveEachCallHasFreshWorkers(t *testing.T) {
	p, cnt := newPool(t, spec{}, mpire.WithJobs(1))
	for range 3 {
		if _, err := p.Map(ctx, ints(10)); err != nil {
			t.Fatal(err)
		}
	}
	if cnt.inits.Load() != 3 || cnt.exits.Load() != 3 {
		t.Fatalf("%d inits and %d exits over 3 calls, want 3 and 3", cnt.inits.Load(), cnt.exits.Load())
	}
}

func TestConcurrentCallsShareThePool(t *testing.T) {
	for _, keep := range []bool{false, true} {
		opts := []mpire.Option{mpire.WithJobs(3)}
		if keep {
			opts = append(opts, mpire.WithKeepAlive())
		}
		p, cnt := newPool(t, spec{}, opts...)
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				n := 50 + g
				var got []int
				var err error
				switch g % 4 {
				case 0:
					got, err = p.Map(ctx, ints(n))
				case 1:
					got, err = p.MapUnordered(ctx, ints(n))
					slices.Sort(got)
				case 2:
					got, err = collect(p.IMap(ctx, slices.Values(ints(n))))
				case 3:
					for i := range n {
						r, err := p.ApplyAsync(ctx, i).Get()
						if err != nil {
							t.Error(err)
						}
						got = append(got, r)
					}
				}
				if err != nil || !slices.Equal(got, squares(n)) {
					t.Errorf("keep=%v caller %d: %v, %v", keep, g, got, err)
				}
			})
		}
		wg.Wait()
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if cnt.inits.Load() != cnt.exits.Load() {
			t.Fatalf("keep=%v: %d inits, %d exits", keep, cnt.inits.Load(), cnt.exits.Load())
		}
	}
}

func TestNestedPools(t *testing.T) {
	inner, _ := newPool(t, spec{}, mpire.WithJobs(2))
	outer, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		rs, err := inner.Map(ctx, ints(x))
		sum := 0
		for _, r := range rs {
			sum += r
		}
		return sum, err
	}}, mpire.WithJobs(2))
	got, err := outer.Map(ctx, []int{1, 2, 3, 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 5, 285}; !slices.Equal(got, want) {
		t.Fatalf("nested = %v, want %v", got, want)
	}
}

func TestApplyAsync(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 13 {
			return 0, errUnlucky
		}
		return x * x, nil
	}}, mpire.WithJobs(2), mpire.WithKeepAlive())
	defer p.Close()
	var rs []*mpire.AsyncResult[int]
	for i := range 20 {
		rs = append(rs, p.ApplyAsync(ctx, i))
	}
	for i, r := range rs {
		<-r.Done()
		r.Wait()
		if !r.Ready() {
			t.Fatalf("result %d not ready after Done", i)
		}
		v, err := r.Get()
		if i == 13 {
			if err == nil || r.Successful() {
				t.Fatalf("apply 13 succeeded: %v", v)
			}
			continue
		}
		if err != nil || v != i*i || !r.Successful() {
			t.Fatalf("apply %d = %v, %v", i, v, err)
		}
	}
	// A failed apply fails only itself.
	if v, err := p.Apply(ctx, 4); err != nil || v != 16 {
		t.Fatalf("Apply after a failure = %v, %v", v, err)
	}
}

// TestReusedCallsSeeTheirOwn: a pool reuses what a Map or Apply call is
// made of for the next one, so each task must still see its own call: its
// caller's context (values, cancellation), its arguments and where its
// result goes, with goroutines the tasks started still reading the context
// they were given after the call returned, and calls that failed, were
// cancelled, were refused, or whose worker died in between.
func TestReusedCallsSeeTheirOwn(t *testing.T) {
	type key struct{}
	for _, tc := range []struct {
		name string
		opts []mpire.Option
	}{
		{"one worker", []mpire.Option{mpire.WithJobs(1), mpire.WithKeepAlive()}},
		{"two workers", []mpire.Option{mpire.WithJobs(2), mpire.WithKeepAlive()}},
		{"ordered", []mpire.Option{mpire.WithJobs(2), mpire.WithKeepAlive(), mpire.WithOrderTasks()}},
		{"workers stop after each call", []mpire.Option{mpire.WithJobs(2)}},
	} {
		var readers sync.WaitGroup
		p, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
			switch {
			case x == -2:
				runtime.Goexit() // as t.FailNow does: the worker dies
			case x < 0:
				return 0, errUnlucky
			}
			v, _ := ctx.Value(key{}).(int)
			if err := ctx.Err(); err != nil {
				return 0, fmt.Errorf("task %d runs with an ended context: %w", x, err)
			}
			// A goroutine of the task keeps its context after the task.
			readers.Go(func() { _ = ctx.Value(key{}) })
			return v*1000 + x, nil
		}}, tc.opts...)
		for i := range 300 {
			cctx, cancel := context.WithCancel(context.WithValue(ctx, key{}, i))
			args := []int{i, i + 1, i + 2}
			switch i % 10 {
			case 3: // a failed call
				if _, err := p.Apply(cctx, -1); !errors.Is(err, errUnlucky) {
					t.Fatalf("%s: Apply %d of a failing task: %v", tc.name, i, err)
				}
				if _, err := p.Map(cctx, []int{1, -1, 2}); !errors.Is(err, errUnlucky) {
					t.Fatalf("%s: Map %d of a failing task: %v", tc.name, i, err)
				}
			case 6: // a task that ends its worker's goroutine
				if _, err := p.Apply(cctx, -2); !errors.Is(err, mpire.ErrWorkerDied) {
					t.Fatalf("%s: Apply %d of a task that called Goexit: %v", tc.name, i, err)
				}
				if _, err := p.Map(cctx, []int{1, -2, 2}); !errors.Is(err, mpire.ErrWorkerDied) {
					t.Fatalf("%s: Map %d of a task that called Goexit: %v", tc.name, i, err)
				}
			case 5: // a call cancelled before it starts
				cancel()
				if _, err := p.Apply(cctx, i); !errors.Is(err, context.Canceled) {
					t.Fatalf("%s: Apply %d with a cancelled context: %v", tc.name, i, err)
				}
				if _, err := p.Map(cctx, args); !errors.Is(err, context.Canceled) {
					t.Fatalf("%s: Map %d with a cancelled context: %v", tc.name, i, err)
				}
			case 1, 7:
				got, err := p.MapUnordered(cctx, args)
				slices.Sort(got)
				if want := []int{i*1000 + i, i*1000 + i + 1, i*1000 + i + 2}; err != nil || !slices.Equal(got, want) {
					t.Fatalf("%s: MapUnordered %d = %v, %v, want %v", tc.name, i, got, err, want)
				}
			case 0, 4, 8:
				got, err := p.Map(cctx, args)
				if want := []int{i*1000 + i, i*1000 + i + 1, i*1000 + i + 2}; err != nil || !slices.Equal(got, want) {
					t.Fatalf("%s: Map %d = %v, %v, want %v", tc.name, i, got, err, want)
				}
			default:
				v, err := p.Apply(cctx, i)
				if err != nil || v != i*1000+i {
					t.Fatalf("%s: Apply %d = %v, %v, want %d", tc.name, i, v, err, i*1000+i)
				}
			}
			cancel() // the next call's tasks must not see this
		}
		readers.Wait()
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReusedCallsConcurrently: calls made at once from several goroutines,
// some cancelled while they run, each see their own context and get their
// own results, while the pool passes what they are made of from one to the
// next.
func TestReusedCallsConcurrently(t *testing.T) {
	type key struct{}
	p, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		v, _ := ctx.Value(key{}).(int)
		return v*1000 + x, nil
	}}, mpire.WithJobs(3), mpire.WithKeepAlive())
	var callers sync.WaitGroup
	for g := range 4 {
		callers.Go(func() {
			for i := range 150 {
				v := g*1000 + i
				cctx, cancel := context.WithCancel(context.WithValue(ctx, key{}, v))
				stop := func() bool { return false }
				if i%7 == 0 {
					// Cancelled while the call may run: it fails with the
					// cancellation or succeeds, never with another's result.
					stop = time.AfterFunc(time.Duration(i%3)*time.Microsecond, cancel).Stop
				}
				var got []int
				var err error
				if i%2 == 0 {
					var r int
					r, err = p.Apply(cctx, i)
					got = []int{r}
				} else {
					got, err = p.Map(cctx, []int{i, i + 1})
				}
				stop()
				cancel()
				if err != nil {
					if !errors.Is(err, context.Canceled) || i%7 != 0 {
						t.Errorf("call %d of caller %d: %v", i, g, err)
					}
					continue
				}
				for k, r := range got {
					if want := v*1000 + i + k; r != want {
						t.Errorf("call %d of caller %d: result %d = %d, want %d", i, g, k, r, want)
					}
				}
			}
		})
	}
	callers.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
