package engine

// chunkInput is the work of a call on chunks, made as they come: the chunks
// of an iterator, cut by a feeder (feeder.go), or the one task of Apply.
type chunkInput[A, R any] struct {
	queue    fifo[*chunk[A, R]]   // chunks to take, oldest first
	one      [1]*chunk[A, R]      // room for the queue of a call of one chunk (Apply)
	bySlot   []fifo[*chunk[A, R]] // WithOrderTasks: the chunks of each slot
	finished []*chunk[A, R]       // chunks whose tasks all completed, for the caller
}

// newChunkInput returns the input of a call whose chunks go to the worker
// slots in turn when ordered, of jobs slots.
func newChunkInput[A, R any](ordered bool, jobs int) *chunkInput[A, R] {
	in := &chunkInput[A, R]{}
	in.queue.items = in.one[:0]
	if ordered {
		in.bySlot = make([]fifo[*chunk[A, R]], jobs)
	}
	return in
}

// push queues chunk ch for the workers: for slot seq modulo jobs when
// ordered.
func (in *chunkInput[A, R]) push(ch *chunk[A, R]) {
	if in.bySlot != nil {
		in.bySlot[ch.seq%len(in.bySlot)].push(ch)
		return
	}
	in.queue.push(ch)
}

func (in *chunkInput[A, R]) take(slot WorkerID) (w piece[A, R], more, ok bool) {
	if in.bySlot != nil {
		w.chunk, ok = in.bySlot[slot].pop()
		return w, in.pending(), ok
	}
	w.chunk, ok = in.queue.pop()
	return w, in.queue.len() > 0, ok
}

func (in *chunkInput[A, R]) pending() bool {
	for i := range in.bySlot {
		if in.bySlot[i].len() > 0 {
			return true
		}
	}
	return in.queue.len() > 0
}

// next gives the chunk's one run.
func (in *chunkInput[A, R]) next(w *piece[A, R], r *Tasks[A, R], _ *[]R) bool {
	ch := w.chunk
	if r.Args != nil {
		return false // the chunk's one run is done
	}
	r.Start, r.Args, r.Out = ch.start, ch.args, ch.out[:len(ch.args)]
	return true
}

func (in *chunkInput[A, R]) complete(*piece[A, R], *Tasks[A, R], int) {}

// release keeps a chunk whose tasks are all settled for the caller, who
// takes them with takeFinished.
func (in *chunkInput[A, R]) release(w piece[A, R]) {
	if w.settled == 0 {
		return
	}
	if w.chunk.pending -= w.settled; w.chunk.pending == 0 {
		in.finished = append(in.finished, w.chunk)
	}
}

func (in *chunkInput[A, R]) stable() bool { return true }

// takeFinished appends the chunks finished since the last call to batch.
func (in *chunkInput[A, R]) takeFinished(batch []*chunk[A, R]) []*chunk[A, R] {
	batch = append(batch, in.finished...)
	clear(in.finished)
	in.finished = in.finished[:0]
	return batch
}

// A chunk is a run of consecutive tasks of an iterator or apply call, with
// room for their results.
type chunk[A, R any] struct {
	seq     int // chunk number, for ordered results
	start   int // index of the first task in the input
	args    []A
	out     []R
	pending int          // tasks not yet settled: completed, or failed for good
	failed  []*TaskError // WithContinueOnError: the tasks that failed for good
}

// A fifo is a queue that reuses its memory: a steady flow through it
// allocates nothing.
type fifo[T any] struct {
	items []T
	head  int // items before head are taken
}

func (q *fifo[T]) len() int { return len(q.items) - q.head }

func (q *fifo[T]) push(x T) {
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Full, with room at the front: move the items down instead of
		// growing.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, x)
}

func (q *fifo[T]) pop() (x T, ok bool) {
	if q.len() == 0 {
		return x, false
	}
	x = q.items[q.head]
	var zero T
	q.items[q.head] = zero
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return x, true
}
