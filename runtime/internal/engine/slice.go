package engine

import "sync/atomic"

// sliceInput is the work of a call on a slice: workers take runs of
// consecutive tasks straight from the caller's slice and write their results
// straight into the returned one.
type sliceInput[A, R any] struct {
	args      []A
	out       []R
	chunks    chunking
	jobs      int          // the pool's worker slots
	lifespan  int          // the call's worker lifespan, which counts chunks
	unclaimed atomic.Int64 // the first task not yet taken (unordered)
	guided    bool         // shrink the runs taken near the end (default chunking)
	tickets   int          // pieces left to take: one per worker that may take runs
	// MapUnordered: each run's results are copied to the next free place of
	// out, through filled.
	unordered bool
	filled    atomic.Int64
	// WithOrderTasks: the ticket of slot i takes chunks i, i+jobs, ...
	ordered bool
	taken   []bool
}

// init makes the zero in the input of a call on args, whose results go to
// out, with the call's settings s on jobs workers.
func (in *sliceInput[A, R]) init(args []A, out []R, unordered, ordered bool, s *Settings, jobs int) {
	in.args, in.out, in.unordered, in.jobs, in.lifespan = args, out, unordered, jobs, s.Lifespan
	in.chunks = newChunking(len(args), s, jobs)
	in.guided = s.ChunkSize == 0 && s.NSplits == 0
	in.tickets = min(jobs, in.chunks.count)
	if ordered {
		in.ordered, in.taken = true, make([]bool, in.tickets)
	}
}

func (in *sliceInput[A, R]) take(slot WorkerID) (w piece[A, R], more, ok bool) {
	if !in.ordered {
		if in.tickets == 0 {
			return w, false, false
		}
		in.tickets--
		return piece[A, R]{slot: -1}, in.tickets > 0, true
	}
	if int(slot) < len(in.taken) && !in.taken[slot] {
		in.taken[slot] = true
		in.tickets--
		return piece[A, R]{slot: int(slot), k: int(slot)}, in.tickets > 0, true
	}
	return w, in.tickets > 0, false
}

func (in *sliceInput[A, R]) pending() bool { return in.tickets > 0 }

func (in *sliceInput[A, R]) next(w *piece[A, R], r *Tasks[A, R], scratch *[]R) bool {
	var lo, hi int
	if w.slot < 0 {
		var ok bool
		if lo, hi, ok = in.claim(); !ok {
			return false
		}
	} else {
		if w.k >= in.chunks.count {
			return false
		}
		lo, hi = in.chunks.bounds(w.k)
		w.k += in.jobs
	}
	r.Start, r.Args, r.Out = lo, in.args[lo:hi], in.out[lo:hi]
	if in.unordered {
		r.Out = scratchFor(scratch, hi-lo)
	}
	return true
}

// minRun is the fewest tasks a run of a small input takes with the default
// chunking, when a share of what is left is at least that many.
const minRun = 16

// claim takes the next run of tasks [lo, hi): the rest of the chunk that
// holds the next task. With the default chunking, near the end of the input
// it takes no more than a share of what is left, so that the last tasks,
// which may be the longest, are spread over the workers instead of waiting in
// one worker's chunk.
func (in *sliceInput[A, R]) claim() (lo, hi int, ok bool) {
	n := len(in.args)
	for {
		lo = int(in.unclaimed.Load())
		if lo >= n {
			return 0, 0, false
		}
		hi = in.chunks.start(in.chunks.chunkOf(lo) + 1)
		if in.guided {
			share := max(1, (n-lo)/(2*in.jobs))
			hi = min(hi, lo+share)
			if in.lifespan == 0 {
				// Tiny chunks (a small input) cost more to hand out than
				// their tasks may take: take a few at once, still no more
				// than a share of what is left. A lifespan counts chunks,
				// so it keeps them as they are.
				hi = max(hi, lo+min(share, minRun))
			}
		}
		if in.unclaimed.CompareAndSwap(int64(lo), int64(hi)) {
			return lo, hi, true
		}
	}
}

// complete moves MapUnordered's results to the next free place of out.
func (in *sliceInput[A, R]) complete(_ *piece[A, R], r *Tasks[A, R], n int) {
	if in.unordered && n > 0 {
		end := int(in.filled.Add(int64(n)))
		copy(in.out[end-n:end], r.Out[:n])
	}
}

func (in *sliceInput[A, R]) release(piece[A, R]) {}

func (in *sliceInput[A, R]) stable() bool { return !in.unordered }
