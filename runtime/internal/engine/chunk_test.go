package engine

import (
	"math"
	"testing"
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
			for lo, hi, ok := in.claim(); ok; lo, hi, ok = in.claim() {
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

// TestClaimsAtTheEndOfAHugeInput: the runs of an input of math.MaxInt
// tasks, at its start and at its end, stay within it and cover it without
// overflowing.
func TestClaimsAtTheEndOfAHugeInput(t *testing.T) {
	const n = math.MaxInt
	for _, jobs := range []int{1, 3, 8} {
		in := &sliceInput[struct{}, struct{}]{}
		in.init(make([]struct{}, n), make([]struct{}, n), false, false, &Settings{}, jobs)
		for _, start := range []int{0, n - 100} {
			in.unclaimed.Store(int64(start))
			covered := start
			for range 200 {
				lo, hi, ok := in.claim()
				if !ok {
					break
				}
				if lo != covered || hi <= lo || hi > n {
					t.Fatalf("%d workers: run [%d, %d) after %d tasks", jobs, lo, hi, covered)
				}
				covered = hi
			}
			if start > 0 && covered != n {
				t.Fatalf("%d workers: the runs from %d cover up to %d", jobs, start, covered)
			}
		}
	}
}
