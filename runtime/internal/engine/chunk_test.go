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

	// 64 tasks on 2 slots: the first run is the share of a small input;
	// the tail, with tiny tasks, comes in runs of least tasks instead of
	// ones, but no more than the first run took, as tasks to come may be
	// longer; with long tasks (least 0), it still ends with single tasks.
	for _, tc := range []struct {
		least int
		want  []int
	}{
		{20, []int{16, 16, 16, 16}},
		{10, []int{16, 12, 10, 10, 10, 6}},
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
