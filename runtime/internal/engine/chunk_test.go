package engine

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestChunkingFollowsMPIRE(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n, jobs    int
		s          Settings
		wantCount  int
		wantLens   []int // the first lengths
		wantMaxLen int
	}{
		// 1000 / (2*64) = 7.8125 per chunk: running ceilings 8, 16, 24, 32, 40, 47...
		{"default", 1000, 2, Settings{}, 128, []int{8, 8, 8, 8, 8, 7}, 8},
		// Fewer tasks than 64 per worker: chunks of one.
		{"small input", 100, 2, Settings{}, 100, []int{1, 1, 1}, 1},
		{"chunk size", 10, 2, Settings{ChunkSize: 4}, 3, []int{4, 4, 2}, 4},
		{"n splits", 10, 2, Settings{NSplits: 3}, 3, []int{4, 3, 3}, 4},
		{"chunk size wins over n splits", 10, 2, Settings{ChunkSize: 5, NSplits: 3}, 2, []int{5, 5}, 5},
		{"empty", 0, 2, Settings{}, 0, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChunking(tc.n, &tc.s, tc.jobs)
			if c.count != tc.wantCount || c.maxLen() != tc.wantMaxLen {
				t.Fatalf("count %d, max length %d; want %d, %d", c.count, c.maxLen(), tc.wantCount, tc.wantMaxLen)
			}
			covered := 0
			for k := range c.count {
				lo, hi := c.bounds(k)
				if c.chunkOf(lo) != k || c.chunkOf(hi-1) != k {
					t.Fatalf("chunkOf(%d) = %d, chunkOf(%d) = %d; want %d", lo, c.chunkOf(lo), hi-1, c.chunkOf(hi-1), k)
				}
				if lo != covered || hi <= lo {
					t.Fatalf("chunk %d is [%d, %d) after %d tasks", k, lo, hi, covered)
				}
				if k < len(tc.wantLens) && hi-lo != tc.wantLens[k] {
					t.Fatalf("chunk %d has %d tasks, want %d", k, hi-lo, tc.wantLens[k])
				}
				covered = hi
			}
			if covered != tc.n {
				t.Fatalf("chunks cover %d tasks, want %d", covered, tc.n)
			}
		})
	}
}

func TestChunkingDoesNotOverflow(t *testing.T) {
	c := splitChunking(math.MaxInt-1, 3)
	lo, hi := c.bounds(2)
	if hi != math.MaxInt-1 || lo <= 0 || lo >= hi {
		t.Fatalf("last chunk of a huge input is [%d, %d)", lo, hi)
	}
}

// TestDefaultChunksShrinkAtTheEnd checks the runs that workers take from a
// slice: MPIRE's chunks, shrinking near the end with the default chunking,
// exactly the chunk size asked for otherwise.
func TestDefaultChunksShrinkAtTheEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		s         Settings
		wantFirst int
		wantLast  int
	}{
		// 1000 / 128 = 7.8: chunks of 8, taken two at a time (minRun), then shrinking.
		{"default", Settings{}, 16, 1},
		// A lifespan counts chunks: they stay MPIRE's.
		{"default with a lifespan", Settings{Lifespan: 5}, 8, 1},
		{"chunk size", Settings{ChunkSize: 8}, 8, 8}, // 1000 = 125 * 8
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &sliceInput[int, int]{}
			in.init(make([]int, 1000), make([]int, 1000), false, false, &tc.s, 2)
			var lens []int
			covered := 0
			for lo, hi, ok := in.claim(0); ok; lo, hi, ok = in.claim(0) {
				if lo != covered {
					t.Fatalf("run starts at %d after %d tasks", lo, covered)
				}
				lens = append(lens, hi-lo)
				covered = hi
			}
			if covered != 1000 || lens[0] != tc.wantFirst || lens[len(lens)-1] != tc.wantLast {
				t.Fatalf("runs %v cover %d tasks", lens, covered)
			}
		})
	}
}

// TestRunsOfTinyTasksLastLongEnough checks the pacing of the default
// chunking: once a slot has timed a run, it takes at least as many tasks
// as last runAtLeast, so that tiny tasks at the end of a small input are
// not handed out one at a time, while long tasks still are.
func TestRunsOfTinyTasksLastLongEnough(t *testing.T) {
	for _, tc := range []struct {
		name    string
		perTask time.Duration
		want    int
	}{
		{"tiny tasks", 100 * time.Nanosecond, int(runAtLeast / (100 * time.Nanosecond))},
		{"tasks of a tenth of runAtLeast", runAtLeast / 10, 10},
		{"long tasks", 10 * runAtLeast, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := leastRun(16*tc.perTask, 16); got != tc.want {
				t.Fatalf("leastRun(16 tasks in %v) = %d, want %d", 16*tc.perTask, got, tc.want)
			}
		})
	}
	if got := leastRun(0, 16); got != 16 {
		t.Fatalf("leastRun of a run that took no time = %d, want its 16 tasks", got)
	}

	// 64 tasks, one slot taking every run of 2: the first run is the share
	// of a small input; the tail, with tiny tasks, comes in runs of least
	// tasks instead of ones, but no more than the first run took nor than
	// an even split of what is left, as tasks to come may be longer; with
	// long tasks (least 0), it still ends with single tasks.
	for _, tc := range []struct {
		least int
		want  []int
	}{
		{20, []int{16, 16, 16, 8, 4, 2, 1, 1}},
		{10, []int{16, 12, 10, 10, 8, 4, 2, 1, 1}},
		{0, []int{16, 12, 9, 6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1}},
	} {
		in := &sliceInput[int, int]{}
		in.init(make([]int, 64), make([]int, 64), false, false, &Settings{}, 2)
		var lens []int
		for least := 0; ; least = tc.least {
			lo, hi, ok := in.claim(least)
			if !ok {
				break
			}
			lens = append(lens, hi-lo)
		}
		if !slices.Equal(lens, tc.want) {
			t.Errorf("runs of 64 tasks with least %d: %v, want %v", tc.least, lens, tc.want)
		}
	}

	// Lifespans and chunk sizes keep their chunks.
	for _, s := range []Settings{{Lifespan: 5}, {ChunkSize: 4}} {
		in := &sliceInput[int, int]{}
		in.init(make([]int, 64), make([]int, 64), false, false, &s, 2)
		if in.paced {
			t.Errorf("%+v: paced", s)
		}
	}
}

// TestRunsTakeAnEvenSplitAtMost: with the default chunking, whatever the
// pace of the tasks timed, no run takes more than an even split between
// the workers of the tasks not yet taken, so that tasks which turn out
// longer than those timed are still spread over the workers.
func TestRunsTakeAnEvenSplitAtMost(t *testing.T) {
	for _, n := range []int{1, 7, 64, 200, 4096} {
		for _, jobs := range []int{1, 2, 3, 8} {
			for _, least := range []int{0, 3, minRun, math.MaxInt} {
				in := &sliceInput[int, int]{}
				in.init(make([]int, n), make([]int, n), false, false, &Settings{}, jobs)
				covered := 0
				for {
					lo, hi, ok := in.claim(least)
					if !ok {
						break
					}
					if lo != covered || hi <= lo {
						t.Fatalf("%d tasks on %d workers, least %d: run [%d, %d) after %d tasks", n, jobs, least, lo, hi, covered)
					}
					if even := (n - lo + jobs - 1) / jobs; hi-lo > even {
						t.Fatalf("%d tasks on %d workers, least %d: a run takes %d of the %d tasks left", n, jobs, least, hi-lo, n-lo)
					}
					covered = hi
				}
				if covered != n {
					t.Fatalf("%d tasks on %d workers, least %d: runs cover %d", n, jobs, least, covered)
				}
			}
		}
	}
}

// TestPacingKeepsUnevenTasksBalanced plays the runs of a slice input on
// slots in virtual time, each slot pacing its runs by the virtual time its
// last run took, for inputs of tiny tasks with long ones among them: the
// tasks timed tell nothing of those to come. Pacing must make fewer runs of
// tiny tasks without making the call end later than the chunking alone
// does, by more than a fraction of its longest task.
func TestPacingKeepsUnevenTasksBalanced(t *testing.T) {
	const tiny, long = 50 * time.Nanosecond, time.Millisecond
	durations := func(n int, f func(i int) time.Duration) []time.Duration {
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = f(i)
		}
		return d
	}
	for _, tc := range []struct {
		name string
		task func(i, n int) time.Duration
	}{
		{"tiny", func(int, int) time.Duration { return tiny }},
		{"tiny then long", func(i, n int) time.Duration { return cond(i < n/2, tiny, long) }},
		{"long then tiny", func(i, n int) time.Duration { return cond(i < n/2, long, tiny) }},
		{"the last quarter long", func(i, n int) time.Duration { return cond(i < n-n/4, tiny, long) }},
		{"the last 16 long", func(i, n int) time.Duration { return cond(i < n-16, tiny, long) }},
		{"one huge task at the end", func(i, n int) time.Duration { return cond(i < n-1, tiny, 100*long) }},
		{"growing", func(i, n int) time.Duration { return tiny << min(i*20/n, 20) }},
	} {
		for _, n := range []int{64, 200, 4096} {
			for _, jobs := range []int{1, 2, 3, 8} {
				d := durations(n, func(i int) time.Duration { return tc.task(i, n) })
				end, runs := playRuns(d, jobs, true)
				endUnpaced, runsUnpaced := playRuns(d, jobs, false)
				if longest := slices.Max(d); end > endUnpaced+longest/4 {
					t.Errorf("%s, %d tasks on %d workers: paced, the call ends at %v; unpaced, at %v", tc.name, n, jobs, end, endUnpaced)
				}
				if runs > runsUnpaced || tc.name == "tiny" && runs >= runsUnpaced {
					t.Errorf("%s, %d tasks on %d workers: %d runs paced, %d unpaced", tc.name, n, jobs, runs, runsUnpaced)
				}
			}
		}
	}
}

func cond[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// playRuns plays a Map of tasks lasting d on jobs slots in virtual time, a
// run costing its slot a tenth of a microsecond besides its tasks, the
// slot that is free first taking the next run. It returns when the last
// slot is done, and how many runs there were.
func playRuns(d []time.Duration, jobs int, paced bool) (end time.Duration, runs int) {
	in := &sliceInput[int, int]{}
	in.init(make([]int, len(d)), make([]int, len(d)), false, false, &Settings{}, jobs)
	in.paced = paced
	slots := make([]struct {
		w    piece[int, int]
		free time.Duration
		done bool
	}, in.tickets)
	for i := range slots {
		slots[i].w.slot = -1
	}
	for {
		i := -1
		for j := range slots {
			if !slots[j].done && (i < 0 || slots[j].free < slots[i].free) {
				i = j
			}
		}
		if i < 0 {
			return end, runs
		}
		s := &slots[i]
		lo, hi, ok := in.claimAt(&s.w, s.free)
		if !ok {
			s.done, end = true, max(end, s.free)
			continue
		}
		runs++
		s.free += 100 * time.Nanosecond
		for _, task := range d[lo:hi] {
			s.free += task
		}
	}
}

// TestClaimsAtTheEndOfAHugeInput: the runs of an input of math.MaxInt
// tasks, at its start and at its end, paced or not, stay within it and
// cover it without overflowing.
func TestClaimsAtTheEndOfAHugeInput(t *testing.T) {
	const n = math.MaxInt
	for _, jobs := range []int{1, 3, 8} {
		for _, least := range []int{0, minRun, math.MaxInt} {
			in := &sliceInput[struct{}, struct{}]{}
			in.init(make([]struct{}, n), make([]struct{}, n), false, false, &Settings{}, jobs)
			for _, start := range []int{0, n - 100} {
				in.unclaimed.Store(int64(start))
				covered := start
				for range 200 {
					lo, hi, ok := in.claim(least)
					if !ok {
						break
					}
					if lo != covered || hi <= lo || hi > n {
						t.Fatalf("%d workers, least %d: run [%d, %d) after %d tasks", jobs, least, lo, hi, covered)
					}
					covered = hi
				}
				if start > 0 && covered != n {
					t.Fatalf("%d workers, least %d: the runs from %d cover up to %d", jobs, least, start, covered)
				}
			}
		}
	}
}
