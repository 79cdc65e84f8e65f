package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// rev24Key carries the number of the call whose tasks run.
type rev24Key struct{}

// TestRev24CallsFromManyGoroutines: Map, MapUnordered, Apply, ApplyAsync
// and abandoned IMaps from many goroutines at once on one pool, with
// random cancellations, failures, panics, Goexits, retries (with and
// without a backoff), time limits, lifespans and nested calls: every
// result is the caller's own (its context's value and its own arguments),
// every failure is one the call asked for, and nothing hangs.
func TestRev24CallsFromManyGoroutines(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []mpire.Option
	}{
		{"kept alive", []mpire.Option{mpire.WithJobs(3), mpire.WithKeepAlive()}},
		{"kept alive, insights", []mpire.Option{mpire.WithJobs(2), mpire.WithKeepAlive(), mpire.WithInsights()}},
		{"ordered", []mpire.Option{mpire.WithJobs(3), mpire.WithKeepAlive(), mpire.WithOrderTasks()}},
		{"workers stop after each call", []mpire.Option{mpire.WithJobs(2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			boundedBy(t, 3*time.Minute, "the stress", func() { rev24Stress(t, tc.opts) })
		})
	}
}

func rev24Stress(t *testing.T, opts []mpire.Option) {
	// x%1000 says what the task does, once per call (attempts): 1 fails,
	// 2 panics, 3 ends its goroutine, 4 calls the pool again, 5 waits for
	// its context's end.
	var attempts sync.Map // "call/x" -> struct{}
	var p interface {
		Apply(context.Context, int, ...mpire.CallOption) (int, error)
	}
	pool, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		id, _ := ctx.Value(rev24Key{}).(int)
		_, again := attempts.LoadOrStore(fmt.Sprint(id, "/", x), struct{}{})
		switch x % 1000 {
		case 1:
			if !again {
				return 0, errUnlucky
			}
		case 2:
			if !again {
				panic("unlucky")
			}
		case 3:
			if !again {
				runtime.Goexit()
			}
		case 4:
			v, err := p.Apply(ctx, 7)
			if err != nil && !errors.Is(err, mpire.ErrDeadlock) && ctx.Err() == nil {
				return 0, fmt.Errorf("nested Apply: %w", err)
			}
			if err == nil && v != id*1000+7 {
				return 0, fmt.Errorf("nested Apply of call %d = %d, want %d", id, v, id*1000+7)
			}
		case 5:
			select {
			case <-ctx.Done():
			case <-time.After(time.Millisecond):
			}
		}
		if got, _ := ctx.Value(rev24Key{}).(int); got != id {
			return 0, fmt.Errorf("the context's value changed from %d to %d during the task", id, got)
		}
		return id*1000 + x, nil
	}}, opts...)
	p = pool
	var callers sync.WaitGroup
	for g := range 5 {
		callers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 24))
			for i := range 120 {
				id := (g+1)*1000 + i
				cctx, cancel := context.WithCancel(context.WithValue(context.Background(), rev24Key{}, id))
				cancelled := rng.IntN(6) == 0
				if cancelled {
					time.AfterFunc(time.Duration(rng.IntN(200))*time.Microsecond, cancel)
				}
				n := 1 + rng.IntN(40)
				args := make([]int, n)
				trouble := false
				for k := range args {
					args[k] = k * 1000
					if rng.IntN(12) == 0 {
						args[k] += 1 + rng.IntN(5)
						trouble = true
					}
				}
				var copts []mpire.CallOption
				retried := false
				switch rng.IntN(8) {
				case 6:
					copts = append(copts, mpire.WithProgressBar(), mpire.WithProgressBarWriter(io.Discard))
				case 1:
					copts, retried = append(copts, mpire.WithRetries(2), mpire.WithRetryBackoff(0, 0)), true
				case 2:
					copts, retried = append(copts, mpire.WithRetries(2), mpire.WithRetryBackoff(time.Microsecond, 10*time.Microsecond)), true
				case 3:
					copts, retried = append(copts, mpire.WithTaskTimeout(time.Minute), mpire.WithRetries(1), mpire.WithRetryBackoff(0, 0)), true
				case 4:
					copts = append(copts, mpire.WithWorkerLifespan(1+rng.IntN(3)))
				case 5:
					copts = append(copts, mpire.WithChunkSize(1))
				}
				okErr := func(err error) bool {
					switch {
					case err == nil:
						return true
					case cancelled && errors.Is(err, context.Canceled):
						return true
					case trouble && !retried:
						var pe *mpire.PanicError
						return errors.Is(err, errUnlucky) || errors.As(err, &pe) || errors.Is(err, mpire.ErrWorkerDied)
					}
					return false
				}
				check := func(what string, got []int, want []int, err error) {
					if !okErr(err) {
						t.Errorf("%s of call %d (args %v, options %d): %v", what, id, args, len(copts), err)
						return
					}
					if err != nil {
						return
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s of call %d = %v, want %v", what, id, got, want)
					}
				}
				want := make([]int, n)
				for k, x := range args {
					want[k] = id*1000 + x
				}
				switch op := rng.IntN(5); op {
				case 0:
					got, err := pool.Map(cctx, args, copts...)
					check("Map", got, want, err)
				case 1:
					got, err := pool.MapUnordered(cctx, args, copts...)
					slices.Sort(got)
					check("MapUnordered", got, want, err)
				case 2:
					v, err := pool.Apply(cctx, args[0], copts...)
					check("Apply", []int{v}, want[:1], err)
				case 3:
					rs := make([]*mpire.AsyncResult[int], min(n, 4))
					for k := range rs {
						rs[k] = pool.ApplyAsync(cctx, args[k], copts...)
					}
					for k, r := range rs {
						v, err := r.Get()
						check("ApplyAsync", []int{v}, want[k:k+1], err)
					}
				case 4:
					// Abandoned after a few results.
					k := 0
					for v, err := range pool.IMap(cctx, slices.Values(args), copts...) {
						if err != nil {
							if !okErr(err) {
								t.Errorf("IMap of call %d: %v", id, err)
							}
							break
						}
						if v != want[k] {
							t.Errorf("IMap of call %d: result %d = %d, want %d", id, k, v, want[k])
						}
						if k++; k == n/2 {
							break
						}
					}
				}
				cancel()
			}
		})
	}
	callers.Wait()
	if err := pool.Close(); err != nil {
		t.Error(err)
	}
}

// TestRev24InsightsTimeSlowTasksAfterTinyOnesOneByOne: insights promise
// that tasks longer than about ten microseconds are timed one by one, their
// durations exact. A call of slow tasks that follows a call of tiny ones on
// a kept-alive pool must not have its first tasks timed as one group, as
// if they were tiny.
func TestRev24InsightsTimeSlowTasksAfterTinyOnesOneByOne(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x < 0 {
			time.Sleep(time.Millisecond) // far longer than ten microseconds
		}
		return x, nil
	}}, mpire.WithJobs(1), mpire.WithInsights(), mpire.WithKeepAlive())
	defer p.Close()
	if _, err := p.Map(ctx, ints(20_000), mpire.WithChunkSize(5000)); err != nil {
		t.Fatal(err)
	}
	slow := []int{-1, -2, -3, -4}
	if _, err := p.Map(ctx, slow, mpire.WithChunkSize(len(slow))); err != nil {
		t.Fatal(err)
	}
	in := p.Insights()
	if in.CompletedTasks() != 20_000+len(slow) {
		t.Fatalf("%d tasks completed, want %d", in.CompletedTasks(), 20_000+len(slow))
	}
	for _, top := range in.TopTasks {
		if strings.HasPrefix(top.Args, "x=-") && top.Tasks != 1 {
			t.Errorf("top entry %+v: %d tasks of a millisecond timed together", top, top.Tasks)
		}
	}
}

// TestRev24InsightsCountTheTasksOfAWorkerThatDied: the tasks a worker
// completed before one of its tasks ended its goroutine count among its
// completed tasks, as every task that completed does: a call of n tasks
// that all complete, one of them run again, counts n.
func TestRev24InsightsCountTheTasksOfAWorkerThatDied(t *testing.T) {
	var once sync.Once
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 500 {
			once.Do(runtime.Goexit)
		}
		return x, nil
	}}, mpire.WithJobs(1), mpire.WithInsights())
	if _, err := p.Map(ctx, ints(1000), mpire.WithChunkSize(1000), mpire.WithRetries(1), mpire.WithRetryBackoff(0, 0)); err != nil {
		t.Fatal(err)
	}
	in := p.Insights()
	if in.CompletedTasks() != 1000 || in.Workers[0].Retries != 1 {
		t.Fatalf("%d tasks completed, %d retries; want 1000 and 1", in.CompletedTasks(), in.Workers[0].Retries)
	}
}

// TestRev24CallsObservedWithProgressBars: the stress of
// TestRev24CallsFromManyGoroutines on a pool with an observer (a logger),
// its calls showing progress bars: an Apply then starts its progress before
// its task is queued.
func TestRev24CallsObservedWithProgressBars(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	boundedBy(t, 3*time.Minute, "the stress", func() {
		rev24Stress(t, []mpire.Option{mpire.WithJobs(2), mpire.WithKeepAlive(), mpire.WithLogger(logger)})
	})
}

// TestRev24CloseRacesWithCalls: a kept-alive pool closed while goroutines
// call it: each call succeeds with its own results or fails with ErrClosed,
// and nothing hangs.
func TestRev24CloseRacesWithCalls(t *testing.T) {
	for round := range 30 {
		boundedBy(t, time.Minute, "the round", func() {
			p, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
				id, _ := ctx.Value(rev24Key{}).(int)
				return id*1000 + x, nil
			}}, mpire.WithJobs(2), mpire.WithKeepAlive())
			var callers sync.WaitGroup
			for g := range 4 {
				callers.Go(func() {
					for i := 0; ; i++ {
						id := g*10000 + i
						cctx := context.WithValue(ctx, rev24Key{}, id)
						var got []int
						var err error
						switch i % 3 {
						case 0:
							var v int
							v, err = p.Apply(cctx, i)
							got = []int{v}
						case 1:
							got, err = p.Map(cctx, []int{i, i + 1, i + 2})
						default:
							var v int
							v, err = p.ApplyAsync(cctx, i).Get()
							got = []int{v}
						}
						if errors.Is(err, mpire.ErrClosed) {
							return
						}
						if err != nil {
							t.Errorf("round %d: call %d: %v", round, id, err)
							return
						}
						for k, v := range got {
							if v != id*1000+i+k {
								t.Errorf("round %d: call %d: result %d = %d", round, id, k, v)
							}
						}
					}
				})
			}
			time.Sleep(time.Duration(round%5) * time.Millisecond)
			if err := p.Close(); err != nil {
				t.Error(err)
			}
			callers.Wait()
		})
	}
}
