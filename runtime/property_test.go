package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// TestRandomConfigurationsMatchTheSequentialAnswer runs random pools and
// calls, with injected failures, and checks every result against the plain
// loop, and that every init has exactly one exit.
func TestRandomConfigurationsMatchTheSequentialAnswer(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 60
	}
	for seed := range uint64(runs) {
		r := rand.New(rand.NewPCG(seed, 42))
		jobs := 1 + r.IntN(8)
		n := r.IntN(400)
		fail := -1
		if n > 0 && r.IntN(4) == 0 {
			fail = r.IntN(n)
		}
		c := randomConfig{
			poolOpts: []mpire.Option{mpire.WithJobs(jobs)},
			desc:     fmt.Sprintf("seed %d: jobs %d, n %d, fail at %d", seed, jobs, n, fail),
		}
		if r.IntN(2) == 0 {
			c.poolOpts = append(c.poolOpts, mpire.WithKeepAlive())
			c.desc += ", keep-alive"
		}
		c.drawTuning(r, tuningBounds{chunk: 12, lifespan: 12, maxActive: 30})
		poolOpts, callOpts, desc := c.poolOpts, c.callOpts, c.desc
		mode := r.IntN(4)
		desc += fmt.Sprintf(", mode %d", mode)
		kind := r.IntN(3) // how task fail fails: error, panic, runtime.Goexit
		if fail >= 0 {
			desc += fmt.Sprintf(", failure kind %d", kind)
		}
		cancelAfter := time.Duration(-1)
		if r.IntN(4) == 0 {
			cancelAfter = time.Duration(r.IntN(300)) * time.Microsecond
			desc += fmt.Sprintf(", cancelled after %v", cancelAfter)
		}

		var mu sync.Mutex
		runs := map[int]int{} // task index -> times run
		p, cnt := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
			mu.Lock()
			runs[x]++
			mu.Unlock()
			if x == fail {
				switch kind {
				case 1:
					panic(errUnlucky)
				case 2:
					runtime.Goexit()
				}
				return 0, errUnlucky
			}
			return x * x, nil
		}}, poolOpts...)

		for call := range 1 + r.IntN(3) {
			clear(runs)
			var got []int
			var err error
			cctx, cancel := context.WithCancel(ctx)
			if cancelAfter >= 0 {
				time.AfterFunc(cancelAfter, cancel)
			}
			switch mode {
			case 0:
				got, err = p.Map(cctx, ints(n), callOpts...)
			case 1:
				got, err = p.MapUnordered(cctx, ints(n), callOpts...)
			case 2:
				got, err = collect(p.IMap(cctx, slices.Values(ints(n)), callOpts...))
			case 3:
				got, err = collect(p.IMapUnordered(cctx, slices.Values(ints(n)), callOpts...))
			}
			cancelled := cctx.Err() != nil
			cancel()
			if cancelled && err != nil {
				// Cancelled: any error will do, but no wrong result.
				if !errors.Is(err, context.Canceled) {
					var te *mpire.TaskError
					if !errors.As(err, &te) || te.Index != fail {
						t.Fatalf("%s, call %d: cancelled with %v", desc, call, err)
					}
				}
			} else if fail >= 0 {
				want := errUnlucky
				if kind == 2 {
					want = mpire.ErrWorkerDied
				}
				var te *mpire.TaskError
				if !errors.As(err, &te) || te.Index != fail || !errors.Is(err, want) {
					t.Fatalf("%s, call %d: err = %v, want the failure at %d", desc, call, err, fail)
				}
			} else {
				if err != nil {
					t.Fatalf("%s, call %d: %v", desc, call, err)
				}
				if mode%2 == 1 {
					slices.Sort(got)
				}
				if !slices.Equal(got, squares(n)) {
					t.Fatalf("%s, call %d: got %v", desc, call, got)
				}
			}
			for x, k := range runs {
				if k != 1 && !cancelled {
					t.Fatalf("%s, call %d: task %d ran %d times", desc, call, x, k)
				}
			}
		}
		if err := p.Close(); err != nil {
			t.Fatalf("%s: Close: %v", desc, err)
		}
		// A worker that died in runtime.Goexit runs no exit.
		if inits, exits := cnt.inits.Load(), cnt.exits.Load(); inits != exits && !(fail >= 0 && kind == 2 && inits > exits) {
			t.Fatalf("%s: %d inits, %d exits", desc, inits, exits)
		}
	}
}

// A randomConfig is a configuration of a pool and its calls that a test
// draws at random, and its description, for the test's failures.
type randomConfig struct {
	poolOpts []mpire.Option
	callOpts []mpire.CallOption
	desc     string
}

// tuningBounds bounds the draws of drawTuning: each is drawn in [0, bound),
// and left out when 0.
type tuningBounds struct{ chunk, lifespan, maxActive int }

// drawTuning draws from r, in this order, whether tasks are ordered (one
// time in three), a chunk size, a worker lifespan and a maximum of active
// tasks, and adds them to c.
func (c *randomConfig) drawTuning(r *rand.Rand, b tuningBounds) {
	if r.IntN(3) == 0 {
		c.poolOpts = append(c.poolOpts, mpire.WithOrderTasks())
		c.desc += ", ordered tasks"
	}
	if n := r.IntN(b.chunk); n > 0 {
		c.callOpts = append(c.callOpts, mpire.WithChunkSize(n))
		c.desc += fmt.Sprintf(", chunk %d", n)
	}
	if n := r.IntN(b.lifespan); n > 0 {
		c.callOpts = append(c.callOpts, mpire.WithWorkerLifespan(n))
		c.desc += fmt.Sprintf(", lifespan %d", n)
	}
	if n := r.IntN(b.maxActive); n > 0 {
		c.callOpts = append(c.callOpts, mpire.WithMaxTasksActive(n))
		c.desc += fmt.Sprintf(", max active %d", n)
	}
}
