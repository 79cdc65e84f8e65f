package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Jeffail/tunny"
	"golang.org/x/sync/errgroup"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// A contender is one way to do a workload. run does it once and returns its
// output, which must equal the sequential one. An external contender runs
// outside this process (MPIRE in Python), checks its own output, and
// returns the time it measured instead.
type contender struct {
	name     string
	run      func() any
	external func() (time.Duration, error)
}

// A workload is a kind of parallel work and its contenders: sequential
// first, then the hand-written baseline.
type workload struct {
	name       string
	about      string
	tasks      int // tasks per run, for allocations per task
	contenders []contender
	// check, when set, is called after verification to assert workload
	// rules beyond equal outputs (init counts).
	check func() error
	// notes, when set, says more of the results under the table.
	notes func(w *workload, rs []result) string
	// exempt, when set, says why the work cannot go much faster in
	// parallel, so that its baseline need not beat sequential by minSpeedup.
	exempt string
	// python, when set, are the sizes of the workload for mpire_python.py,
	// which has it too.
	python map[string]int
}

// ctxBackground is the context of every call of the harness.
var ctxBackground = context.Background()

// sizes scales the workloads: full, or quick for tests and CI.
type sizes struct {
	tiny, medium, skewed, image, filtersPerCPU int
	// docs documents alternate between docWords and 3*docWords words.
	docs, docWords int
	// initCalls calls of initBatches tasks, each evaluating the model
	// evalRows times.
	initCalls, evalRows int
	stream, calls       int
	applies             int
}

var (
	full = sizes{tiny: 2_000_000, medium: 20_000, skewed: 20_000, image: 1000, filtersPerCPU: 20,
		docs: 3000, docWords: 5000, initCalls: 50, evalRows: 4, stream: 5_000_000, calls: 10_000, applies: 20_000}
	quick = sizes{tiny: 100_000, medium: 500, skewed: 500, image: 120, filtersPerCPU: 2,
		docs: 20, docWords: 500, initCalls: 2, evalRows: 1, stream: 50_000, calls: 200, applies: 500}
)

// mediumSpins makes a medium task last about 50 µs.
const mediumSpins = 55_000

func indexes(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// genericPool is the runtime's generic path: a pool whose loop calls f
// through a func value, as a library without generation would.
func genericPool[A, R any](f func(A) R, opts ...mpire.Option) *mpireimpl.Pool[struct{}, A, R, struct{}] {
	return mpireimpl.NewPool(mpireimpl.Func[struct{}, A, R, struct{}]{
		Name: "generic",
		Run: func(w *mpireimpl.Worker[struct{}], args []A, out []R) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				out[n] = f(args[n])
			}
			return n, nil
		},
	}, opts...)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// mapContenders are the contenders of an out[i] = f(in[i]) workload.
func mapContenders[A, R any](in []A, f func(A) R, baseline string, base forEach, generated func() ([]R, error), extra ...contender) []contender {
	each := func(e forEach) func() any {
		return func() any {
			out := make([]R, len(in))
			e(len(in), func(i int) { out[i] = f(in[i]) })
			return out
		}
	}
	cs := []contender{
		{name: "sequential", run: func() any {
			out := make([]R, len(in))
			for i := range in {
				out[i] = f(in[i])
			}
			return out
		}},
		{name: "baseline: " + baseline, run: each(base)},
	}
	for _, p := range peers {
		cs = append(cs, contender{name: p.name, run: each(p.each)})
	}
	generic := genericPool(f)
	cs = append(cs,
		contender{name: "mpire (generated)", run: func() any { return must(generated()) }},
		contender{name: "mpire (generic path)", run: func() any { return must(generic.Map(ctxBackground, in)) }},
	)
	return append(cs, extra...)
}

// closureMap is mpire's one-line start on in: Map of a closure, with its
// workers started and stopped by the call, as the generated pools here are.
func closureMap(in []int, fn func(context.Context, int) (int, error)) contender {
	return contender{name: "mpire (closure)", run: func() any { return must(mpire.Map(ctxBackground, in, fn)) }}
}

// processes is the contender of a portable task's pool with worker
// processes, kept alive between runs, as a program that maps many inputs
// keeps them: a process starts in milliseconds, a goroutine in
// microseconds. The image of numerical crosses once per process.
func processes[R any](run func() ([]R, error)) contender {
	return contender{name: "mpire (processes)", run: func() any { return must(run()) }}
}

// busyClosure is the closure a user writes for Busy.
var busyClosure = func(_ context.Context, n int) (int, error) { return Busy(n), nil }

func tinyWorkload(sz sizes) *workload {
	in := indexes(sz.tiny)
	pool := NewTinyPool()
	insights := NewTinyPool(mpire.WithInsights())
	traced := NewTinyPool(instrumented())
	procPool := NewTinyPool(mpire.WithProcesses(), mpire.WithKeepAlive())
	clusterPool := NewTinyPool(onCluster(), mpire.WithJobs(clusterJobs))
	return &workload{
		name:  "tiny",
		about: fmt.Sprintf("%d tasks of ~50 ns integer work, Map over []int", sz.tiny),
		tasks: sz.tiny,
		notes: notes(againstGenerated, clusterThroughput),
		contenders: mapContenders(in, Tiny, "static partition", staticPartition,
			func() ([]int, error) { return pool.Map(ctxBackground, in) },
			closureMap(in, func(_ context.Context, x int) (int, error) { return Tiny(x), nil }),
			contender{name: "mpire + insights", run: func() any { return must(insights.Map(ctxBackground, in)) }},
			contender{name: "mpire + otelmpire", run: func() any { return must(traced.Map(ctxBackground, in)) }},
			contender{name: "mpire + progress bar", run: func() any {
				return must(pool.Map(ctxBackground, in, mpire.WithProgressBarWriter(io.Discard)))
			}},
			// Retries that never happen: what WithRetries costs a call
			// whose tasks all succeed.
			contender{name: "mpire + WithRetries(3)", run: func() any {
				return must(pool.Map(ctxBackground, in, mpire.WithRetries(3)))
			}},
			processes(func() ([]int, error) { return procPool.Map(ctxBackground, in) }),
			clusterRow(func() ([]int, error) { return clusterPool.Map(ctxBackground, in) }),
		),
	}
}

// shortWorkload is tiny with a task of less than half its length, the
// mpire rows only, and a baseline that calls the task directly, as the
// generated pool does: what calling it through a func value costs (the
// closure) shows here, where on tiny the work hides it.
func shortWorkload(sz sizes) *workload {
	in := indexes(sz.tiny)
	pool := NewShortPool()
	insights := NewShortPool(mpire.WithInsights())
	return &workload{
		name:  "short",
		about: fmt.Sprintf("%d tasks of %d xorshift rounds (~20 ns), Map over []int: the cost of calling the task", sz.tiny, shortSpins),
		tasks: sz.tiny,
		notes: againstGenerated,
		contenders: []contender{
			{name: "sequential", run: func() any {
				out := make([]int, len(in))
				for i, x := range in {
					out[i] = Short(x)
				}
				return out
			}},
			{name: "baseline: static partition", run: func() any {
				out := make([]int, len(in))
				p := procs()
				var wg sync.WaitGroup
				for g := range p {
					lo, hi := g*len(in)/p, (g+1)*len(in)/p
					wg.Go(func() {
						for i := lo; i < hi; i++ {
							out[i] = Short(in[i])
						}
					})
				}
				wg.Wait()
				return out
			}},
			{name: "mpire (generated)", run: func() any { return must(pool.Map(ctxBackground, in)) }},
			closureMap(in, func(_ context.Context, x int) (int, error) { return Short(x), nil }),
			{name: "mpire + insights", run: func() any { return must(insights.Map(ctxBackground, in)) }},
		},
	}
}

// againstGenerated gives, in one line, the time of each mpire row with
// something added (a closure, insights, ...) over the generated pool's: the
// median over the runs of the ratio of their times in the same run, which
// the load of the machine changing from one run to the next moves less than
// the ratio of their medians.
func againstGenerated(_ *workload, rs []result) string {
	g := resultOf(rs, "mpire (generated)")
	if g == nil || len(g.runs) == 0 {
		return ""
	}
	var parts []string
	for _, r := range rs {
		name, ok := strings.CutPrefix(r.Contender, "mpire + ")
		if !ok && r.Contender == "mpire (closure)" {
			name, ok = "closure", true
		}
		if !ok || len(r.runs) != len(g.runs) {
			continue
		}
		ratios := make([]float64, len(r.runs))
		for i := range r.runs {
			ratios[i] = float64(r.runs[i]) / float64(g.runs[i])
		}
		parts = append(parts, fmt.Sprintf("%s %+.1f%%", name, 100*(medianOf(ratios)-1)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  against mpire (generated), the median of the runs' ratios: " + strings.Join(parts, ", ")
}

func mediumWorkload(sz sizes) *workload {
	in := slices.Repeat([]int{mediumSpins}, sz.medium)
	pool := NewBusyPool()
	procPool := NewBusyPool(mpire.WithProcesses(), mpire.WithKeepAlive())
	clusterPool := NewBusyPool(onCluster(), mpire.WithJobs(clusterJobs))
	return &workload{
		name:  "medium",
		about: fmt.Sprintf("%d tasks of ~50 µs busy work", sz.medium),
		tasks: sz.medium,
		notes: clusterToGoroutines,
		contenders: mapContenders(in, Busy, "static partition", staticPartition, func() ([]int, error) { return pool.Map(ctxBackground, in) },
			closureMap(in, busyClosure),
			processes(func() ([]int, error) { return procPool.Map(ctxBackground, in) }),
			clusterRow(func() ([]int, error) { return clusterPool.Map(ctxBackground, in) })),
	}
}

func skewedWorkload(sz sizes) *workload {
	// Lognormal durations with a mean of ~50 µs and a tail cut at ~5 ms,
	// sorted so the heavy tasks come last, where a static partition gives
	// them all to one goroutine.
	r := rand.New(rand.NewPCG(7, 7))
	const sigma = 1.2
	mu := math.Log(mediumSpins) - sigma*sigma/2
	in := make([]int, sz.skewed)
	for i := range in {
		in[i] = min(int(math.Exp(mu+sigma*r.NormFloat64())), 100*mediumSpins)
	}
	sort.Ints(in)
	pool := NewBusyPool()
	return &workload{
		name:  "skewed",
		about: fmt.Sprintf("%d tasks, lognormal durations (mean ~50 µs, tail to ~5 ms), the heavy ones last", sz.skewed),
		tasks: sz.skewed,
		contenders: mapContenders(in, Busy, "atomic counter", atomicCounter,
			func() ([]int, error) { return pool.Map(ctxBackground, in) },
			closureMap(in, busyClosure),
			contender{name: "static partition", run: func() any {
				out := make([]int, len(in))
				staticPartition(len(in), func(i int) { out[i] = Busy(in[i]) })
				return out
			}},
		),
	}
}

func numericalWorkload(sz sizes) *workload {
	r := rand.New(rand.NewPCG(1, 1))
	img := &Image{W: sz.image, H: sz.image, Px: make([]float64, sz.image*sz.image)}
	for i := range img.Px {
		img.Px[i] = r.Float64()
	}
	filters := make([]Filter, sz.filtersPerCPU*procs())
	for i := range filters {
		for j := range filters[i] {
			filters[i][j] = r.Float64()
		}
	}
	pool := NewConvolvePool(img)
	procPool := NewConvolvePool(img, mpire.WithProcesses(), mpire.WithKeepAlive())
	clusterPool := NewConvolvePool(img, onCluster(), mpire.WithJobs(clusterJobs))
	conv := func(f Filter) []float64 { return Convolve(img, f) }
	return &workload{
		python: map[string]int{"jobs": procs(), "image": sz.image, "filters": len(filters)},
		name:   "numerical",
		about:  fmt.Sprintf("one shared %dx%d image, %d random 4x4 filters, full convolution, every 5th row and column kept", sz.image, sz.image, len(filters)),
		tasks:  len(filters),
		notes:  clusterToGoroutines,
		contenders: mapContenders(filters, conv, "static partition", staticPartition, func() ([][]float64, error) { return pool.Map(ctxBackground, filters) },
			processes(func() ([][]float64, error) { return procPool.Map(ctxBackground, filters) }),
			clusterRow(func() ([][]float64, error) { return clusterPool.Map(ctxBackground, filters) })),
	}
}

// frequentPrefixes returns the prefixes counted more than 3 times, sorted.
func frequentPrefixes(counts map[string]int) []string {
	var out []string
	for p, n := range counts {
		if n > 3 {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func merge(into, from map[string]int) {
	for p, n := range from {
		into[p] += n
	}
}

// documents makes MPIRE's documents: n of them, alternating between short
// and 3*short random 20-byte words, so that tasks are unbalanced. The words
// of a document share one backing string: one allocation per document keeps
// building a few hundred MB of them fast.
func documents(n, short int) (docs [][]string, words int) {
	r := rand.New(rand.NewPCG(3, 3))
	docs = make([][]string, n)
	for i := range docs {
		k := short
		if i%2 == 1 {
			k = 3 * short
		}
		// Eight letters from each random uint64, with a bias towards the
		// first letters that prefix counting does not care about.
		b := make([]byte, k*wordLen)
		var x uint64
		for j := range b {
			if j%8 == 0 {
				x = r.Uint64()
			}
			b[j] = 'a' + byte(x>>(8*(j%8)))%26
		}
		text := string(b)
		docs[i] = make([]string, k)
		for j := range docs[i] {
			docs[i][j] = text[j*wordLen : (j+1)*wordLen]
		}
		words += k
	}
	return docs, words
}

// wordLen is the length of a word of the stateful workload.
const wordLen = 20

func statefulWorkload(sz sizes) *workload {
	docs, words := documents(sz.docs, sz.docWords)
	return &workload{
		python: map[string]int{"jobs": procs(), "docs": sz.docs, "doc_words": sz.docWords},
		name:   "stateful",
		about:  fmt.Sprintf("%d documents of %d or %d random 20-byte words (%d in all); per-worker prefix counts; exit hands them back", sz.docs, sz.docWords, 3*sz.docWords, words),
		tasks:  len(docs),
		contenders: []contender{
			{name: "sequential", run: func() any {
				counts := map[string]int{}
				for _, d := range docs {
					countInto(counts, d)
				}
				return frequentPrefixes(counts)
			}},
			{name: "baseline: per-goroutine maps, atomic counter", run: func() any {
				parts := make([]map[string]int, procs())
				var next atomic.Int64
				var wg sync.WaitGroup
				for g := range parts {
					wg.Go(func() {
						// Made here, not by the caller: maps made one after
						// the other may share a cache line, which every
						// write to either then fights over.
						counts := map[string]int{}
						for i := int(next.Add(1) - 1); i < len(docs); i = int(next.Add(1) - 1) {
							countInto(counts, docs[i])
						}
						parts[g] = counts
					})
				}
				wg.Wait()
				total := map[string]int{}
				for _, p := range parts {
					merge(total, p)
				}
				return frequentPrefixes(total)
			}},
			{name: "errgroup: a map per document, merged under a lock", run: func() any {
				var mu sync.Mutex
				total := map[string]int{}
				var g errgroup.Group
				g.SetLimit(procs())
				for _, d := range docs {
					g.Go(func() error {
						counts := map[string]int{}
						countInto(counts, d)
						mu.Lock()
						merge(total, counts)
						mu.Unlock()
						return nil
					})
				}
				g.Wait()
				return frequentPrefixes(total)
			}},
			{name: "tunny: a map per worker", run: func() any {
				var mu sync.Mutex
				var workers []*prefixWorker
				p := tunny.New(procs(), func() tunny.Worker {
					w := &prefixWorker{counts: map[string]int{}}
					mu.Lock()
					workers = append(workers, w)
					mu.Unlock()
					return w
				})
				var wg sync.WaitGroup
				var next atomic.Int64
				for range 2 * procs() {
					wg.Go(func() {
						for i := int(next.Add(1) - 1); i < len(docs); i = int(next.Add(1) - 1) {
							p.Process(docs[i])
						}
					})
				}
				wg.Wait()
				p.Close()
				total := map[string]int{}
				for _, w := range workers {
					merge(total, w.counts)
				}
				return frequentPrefixes(total)
			}},
			{name: "mpire (generated)", run: func() any {
				pool := NewCountPrefixesPool()
				must(pool.Map(ctxBackground, docs))
				total := map[string]int{}
				for _, counts := range pool.ExitResults() {
					merge(total, counts)
				}
				return frequentPrefixes(total)
			}},
		},
	}
}

// prefixWorker is tunny's per-worker state for the stateful workload.
type prefixWorker struct{ counts map[string]int }

func (w *prefixWorker) Process(v any) any { return countInto(w.counts, v.([]string)) }
func (w *prefixWorker) BlockUntilReady()  {}
func (w *prefixWorker) Interrupt()        {}
func (w *prefixWorker) Terminate()        {}

// modelWorker is tunny's per-worker state for the init workload.
type modelWorker struct{ m *Model }

func (w *modelWorker) Process(v any) any { return evaluate(w.m, v.(Batch)) }
func (w *modelWorker) BlockUntilReady()  {}
func (w *modelWorker) Interrupt()        {}
func (w *modelWorker) Terminate()        {}

// initBatches is the number of tasks of each call of the init workload:
// MPIRE's 10 batches.
const initBatches = 10

// modelInits counts the models built by mpire's init in one run.
var modelInits atomic.Int64

func initWorkload(sz sizes) *workload {
	batches := make([]Batch, initBatches)
	for i := range batches {
		batches[i] = Batch{ID: i, Rows: sz.evalRows}
	}
	calls := sz.initCalls
	w := &workload{
		python: map[string]int{"jobs": procs(), "batches": initBatches, "rows": sz.evalRows, "calls": calls,
			"model_size": modelSize, "model_passes": modelPasses},
		name: "init",
		about: fmt.Sprintf("an init of ~50 ms per worker (a model of %d weights), then %d calls of %d batches of %d rows with keep-alive",
			modelSize, calls, initBatches, sz.evalRows),
		tasks: calls * initBatches,
	}
	w.contenders = []contender{
		{name: "sequential", run: func() any {
			m := buildModel()
			var out [][]float64
			for range calls {
				r := make([]float64, len(batches))
				for i, b := range batches {
					r[i] = evaluate(m, b)
				}
				out = append(out, r)
			}
			return out
		}},
		{name: "baseline: P goroutines, each with its model", run: func() any {
			type job struct {
				i   int
				out []float64
				wg  *sync.WaitGroup
			}
			jobs := make(chan job)
			var workers sync.WaitGroup
			for range procs() {
				workers.Go(func() {
					m := buildModel()
					for j := range jobs {
						j.out[j.i] = evaluate(m, batches[j.i])
						j.wg.Done()
					}
				})
			}
			var out [][]float64
			for range calls {
				r := make([]float64, len(batches))
				var wg sync.WaitGroup
				wg.Add(len(batches))
				for i := range batches {
					jobs <- job{i, r, &wg}
				}
				wg.Wait()
				out = append(out, r)
			}
			close(jobs)
			workers.Wait()
			return out
		}},
		{name: "tunny: a model per worker", run: func() any {
			p := tunny.New(procs(), func() tunny.Worker { return &modelWorker{m: buildModel()} })
			defer p.Close()
			var out [][]float64
			for range calls {
				r := make([]float64, len(batches))
				var g errgroup.Group
				for i, b := range batches {
					g.Go(func() error { r[i] = p.Process(b).(float64); return nil })
				}
				g.Wait()
				out = append(out, r)
			}
			return out
		}},
		{name: "mpire (generated)", run: func() any {
			modelInits.Store(0)
			pool := NewEvaluatePool(mpire.WithKeepAlive(), mpire.WithCPUIDs(cpuIDs()...))
			defer pool.Close()
			var out [][]float64
			for range calls {
				out = append(out, must(pool.Map(ctxBackground, batches)))
			}
			return out
		}},
	}
	w.check = func() error {
		if n := modelInits.Load(); n != int64(procs()) {
			return fmt.Errorf("mpire built %d models, want one per worker (%d)", n, procs())
		}
		return nil
	}
	return w
}

// cpuIDs pins worker i to CPU i, as MPIRE's init benchmark pins its workers.
func cpuIDs() []int { return indexes(procs()) }

// consume is the consumer's work per result in the stream workload: slower
// than the producers, as a real sink (a writer, a database) is.
func consume(sum, r int) int { return sum + spin(uint64(r), 4*tinySpins)%7 }

// streamChunk is the number of results the stream baseline hands over at a
// time.
const streamChunk = 256

func streamWorkload(sz sizes) *workload {
	n := sz.stream
	seq := func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
	pool := NewTinyPool()
	return &workload{
		name:   "stream",
		about:  fmt.Sprintf("IMapUnordered over an iter.Seq of %d items, WithMaxTasksActive, a consumer slower than the producers", n),
		tasks:  n,
		exempt: "consumer-bound (the consumer sets the pace)",
		contenders: []contender{
			{name: "sequential", run: func() any {
				sum := 0
				for i := range seq {
					sum = consume(sum, Tiny(i))
				}
				return sum
			}},
			{name: "baseline: P goroutines, atomic pull of chunks, channel of 2P", run: func() any {
				// Results travel in recycled chunks, so that the consumer
				// pays one channel receive per chunk, not per item, in flat
				// memory: 3P buffers, whatever n.
				p := procs()
				free := make(chan []int, 3*p)
				for range cap(free) {
					free <- make([]int, streamChunk)
				}
				results := make(chan []int, 2*p)
				var next atomic.Int64
				var wg sync.WaitGroup
				for range p {
					wg.Go(func() {
						for lo := int(next.Add(streamChunk) - streamChunk); lo < n; lo = int(next.Add(streamChunk) - streamChunk) {
							buf := (<-free)[:min(streamChunk, n-lo)]
							for i := range buf {
								buf[i] = Tiny(lo + i)
							}
							results <- buf
						}
					})
				}
				go func() { wg.Wait(); close(results) }()
				sum := 0
				for buf := range results {
					for _, r := range buf {
						sum = consume(sum, r)
					}
					free <- buf[:streamChunk]
				}
				return sum
			}},
			{name: "mpire (generated)", run: func() any {
				sum := 0
				for r, err := range pool.IMapUnordered(ctxBackground, seq, mpire.WithMaxTasksActive(4096)) {
					if err != nil {
						panic(err)
					}
					sum = consume(sum, r)
				}
				return sum
			}},
		},
	}
}

// callTasks is the number of tasks of one call of the calls workload.
const callTasks = 64

func callsWorkload(sz sizes) *workload {
	in := indexes(callTasks)
	return &workload{
		exempt: "dispatch-bound: it measures what a call costs, and 64 tiny tasks are less work than waking a goroutine",
		name:   "calls",
		about:  fmt.Sprintf("%d Map calls of %d tiny tasks on one kept-alive pool", sz.calls, callTasks),
		tasks:  sz.calls * callTasks,
		contenders: []contender{
			{name: "sequential", run: func() any {
				var out []int
				for range sz.calls {
					out = make([]int, len(in))
					for i := range in {
						out[i] = Tiny(in[i])
					}
				}
				return out
			}},
			{name: "baseline: P long-lived goroutines, one range each per call", run: func() any {
				// One channel per goroutine, so that each call costs one
				// send per goroutine and one WaitGroup wait; out is a new
				// slice per call, as Map returns one.
				type part struct{ out []int }
				p := procs()
				parts := make([]chan part, p)
				var done, workers sync.WaitGroup
				for g := range parts {
					parts[g] = make(chan part, 1)
					lo, hi := g*len(in)/p, (g+1)*len(in)/p
					workers.Go(func() {
						for pt := range parts[g] {
							for i := lo; i < hi; i++ {
								pt.out[i] = Tiny(in[i])
							}
							done.Done()
						}
					})
				}
				var out []int
				for range sz.calls {
					out = make([]int, len(in))
					done.Add(p)
					for _, c := range parts {
						c <- part{out}
					}
					done.Wait()
				}
				for _, c := range parts {
					close(c)
				}
				workers.Wait()
				return out
			}},
			{name: "errgroup", run: func() any {
				var out []int
				for range sz.calls {
					out = make([]int, len(in))
					errgroupEach(len(in), func(i int) { out[i] = Tiny(in[i]) })
				}
				return out
			}},
			{name: "mpire (generated)", run: func() any {
				pool := NewTinyPool(mpire.WithKeepAlive())
				defer pool.Close()
				var out []int
				for range sz.calls {
					out = must(pool.Map(ctxBackground, in))
				}
				return out
			}},
		},
	}
}

func applyWorkload(sz sizes) *workload {
	n := sz.applies
	return &workload{
		exempt: "dispatch-bound: it measures what one Apply costs, a round trip to a worker, against one tiny task",
		name:   "apply",
		about:  fmt.Sprintf("%d Apply calls of a tiny task on one kept-alive pool", n),
		tasks:  n,
		contenders: []contender{
			{name: "sequential", run: func() any {
				sum := 0
				for i := range n {
					sum += Tiny(i)
				}
				return sum
			}},
			{name: "baseline: a round trip to one long-lived goroutine over two channels", run: func() any {
				in, out := make(chan int), make(chan int)
				go func() {
					for x := range in {
						out <- Tiny(x)
					}
					close(out)
				}()
				sum := 0
				for i := range n {
					in <- i
					sum += <-out
				}
				close(in)
				<-out
				return sum
			}},
			{name: "mpire (generated)", run: func() any {
				pool := NewTinyPool(mpire.WithKeepAlive())
				defer pool.Close()
				sum := 0
				for i := range n {
					sum += must(pool.Apply(ctxBackground, i))
				}
				return sum
			}},
		},
	}
}

// notes joins the notes of each of fs that has one, a line each.
func notes(fs ...func(*workload, []result) string) func(*workload, []result) string {
	return func(w *workload, rs []result) string {
		var lines []string
		for _, f := range fs {
			if note := f(w, rs); note != "" {
				lines = append(lines, note)
			}
		}
		return strings.Join(lines, "\n")
	}
}

// namedWorkload builds a workload at given sizes.
type namedWorkload struct {
	name  string
	build func(sizes) *workload
}

// workloads lists every workload, in the order of BENCH.md.
var workloads = []namedWorkload{
	{"tiny", tinyWorkload},
	{"short", shortWorkload},
	{"medium", mediumWorkload},
	{"skewed", skewedWorkload},
	{"numerical", numericalWorkload},
	{"stateful", statefulWorkload},
	{"init", initWorkload},
	{"stream", streamWorkload},
	{"calls", callsWorkload},
	{"apply", applyWorkload},
}
