package engine

// An input is a call's work as the pool's slots take it: the caller's slice
// (Map, MapUnordered: slice.go), or chunks made as they come (IMap,
// IMapUnordered and Apply: lazy.go). The pool hands its pieces out under its
// lock, which therefore guards take, pending and release; next and complete
// run on the slot that holds the piece.
type input[A, R any] interface {
	// take hands out a piece of the work to slot, if there is one for it;
	// more tells whether work is left to hand out, to this slot or others.
	take(slot WorkerID) (w piece[A, R], more, ok bool)
	// pending reports whether work is left to hand out.
	pending() bool
	// next sets r to the next run of tasks of piece w, with where their
	// results go; false when w has none left. scratch is the slot's room
	// for results that do not go straight to their place.
	next(w *piece[A, R], r *Tasks[A, R], scratch *[]R) bool
	// complete takes back the results of run r of piece w: its first n
	// tasks are settled (they completed, or failed for good).
	complete(w *piece[A, R], r *Tasks[A, R], n int)
	// release takes piece w back from its slot, which is done with it.
	release(w piece[A, R])
	// stable reports whether the results of a run go to their place in
	// the output, and stay there: not through a slot's scratch.
	stable() bool
}

// A piece is what a slot takes from a call at a time: one chunk, a ticket
// to take runs of a slice input until none is left, or tasks to run again.
type piece[A, R any] struct {
	chunk *chunk[A, R] // nil for a slice ticket
	slot  int          // ordered slice ticket: the slot whose chunks it takes; -1 for any
	k     int          // ordered slice ticket: the next chunk
	redo  *redo[A, R]  // tasks to run again, of chunk if not nil (retry.go)

	settled int // tasks of the piece's runs completed, or failed for good
}
