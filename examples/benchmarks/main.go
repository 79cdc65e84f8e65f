// Command benchmarks runs mpire and the pools Go users reach for side by side
// on the workloads of BENCH.md, and prints, per workload, each contender's
// median time, its ratio to the hand-written baseline, its allocations per
// task and its peak heap.
//
//	go run ./examples/benchmarks [-workload NAME|soak] [-runs N] [-quick] [-json FILE] [-svg FILE] [-mpire-python DIR [-python python3]]
//
// Every contender's output is checked against the sequential one before
// anything is timed, and runs are interleaved (A B C A B C ...) so that drift
// on a noisy machine hits every contender alike. Under each table, a check
// says whether the baseline is fast enough against sequential for the
// ratios to it to mean anything.
//
// The tiny, medium and numerical workloads have a row on a NATS JetStream
// cluster: an embedded server and two worker processes (this program again),
// started once and stopped at the end. -workload soak runs kept-alive pools
// for long instead (see soak.go) and fails if anything grows.
//
// With -mpire-python, MPIRE itself (Python, from that folder) runs its three
// benchmarks (numerical, stateful, init) at the same sizes, as more rows of
// the same tables, interleaved with the Go ones; mpire_python.py checks its
// answers against its own sequential loop.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"time"
)

// A result is one contender's figures on one workload.
type result struct {
	Workload      string  `json:"workload"`
	Contender     string  `json:"contender"`
	MedianNs      int64   `json:"median_ns"`
	Ratio         float64 `json:"ratio_to_baseline"`
	AllocsPerTask float64 `json:"allocs_per_task"`
	PeakHeapBytes uint64  `json:"peak_heap_bytes"`
	// External is set for a contender timed outside this process, whose
	// allocations and heap are not measured.
	External bool `json:"external,omitempty"`
	// runs are the times of each run, in the order of the runs, so that
	// two contenders can be compared run by run.
	runs []time.Duration
}

func main() {
	if url := os.Getenv(envClusterWorker); url != "" {
		if err := serveCluster(url); err != nil {
			fmt.Fprintln(os.Stderr, "benchmarks: cluster worker:", err)
			os.Exit(1)
		}
		return
	}
	only := flag.String("workload", "", "run only this workload (tiny, short, medium, skewed, numerical, stateful, init, stream, calls, apply), or soak: long runs of kept-alive pools that check nothing grows")
	runs := flag.Int("runs", 5, "timed runs per contender; the median is reported")
	quickFlag := flag.Bool("quick", false, "small sizes: runs in seconds, to prove the harness works")
	jsonFile := flag.String("json", "", "also write the results as JSON to this file")
	svgFile := flag.String("svg", "", "also draw the ratios to the baseline as an SVG chart in this file")
	mpirePython := flag.String("mpire-python", "", "also time MPIRE itself, the Python package in this folder, on numerical, stateful and init")
	python := flag.String("python", "python3", "the Python interpreter for -mpire-python, with numpy, scipy, tqdm and pygments")
	flag.Parse()
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "benchmarks: -runs must be at least 1")
		os.Exit(2)
	}
	sz := full
	if *quickFlag {
		sz = quick
	}
	if *only == soakWorkload {
		err := runSoak(*quickFlag)
		stopCluster()
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchmarks: soak:", err)
			os.Exit(1)
		}
		return
	}
	if *only != "" && !slices.ContainsFunc(workloads, func(w namedWorkload) bool { return w.name == *only }) {
		fmt.Fprintf(os.Stderr, "benchmarks: no workload %q\n", *only)
		os.Exit(2)
	}

	fmt.Println(machine(*runs))
	var all []result
	for _, nw := range workloads {
		if *only != "" && nw.name != *only {
			continue
		}
		// Built now and dropped after, so that the peak heap of a workload
		// holds its own data only.
		w := nw.build(sz)
		rs, err := measureWithPython(w, *runs, *python, *mpirePython)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchmarks: %s: %v\n", w.name, err)
			stopCluster()
			os.Exit(1)
		}
		printTable(w, rs)
		if w.notes != nil {
			if note := w.notes(w, rs); note != "" {
				fmt.Println(note)
			}
		}
		fmt.Println(baselineCheck(w, rs, *quickFlag))
		all = append(all, rs...)
	}
	stopCluster()
	if *jsonFile != "" {
		data, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(*jsonFile, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchmarks:", err)
			os.Exit(1)
		}
	}
	if *svgFile != "" {
		if err := os.WriteFile(*svgFile, chart(all, machine(*runs)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchmarks:", err)
			os.Exit(1)
		}
	}
}

// machine describes where the figures come from.
func machine(runs int) string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("GOMAXPROCS=%d, %s, %s %s/%s, median of %d runs",
		runtime.GOMAXPROCS(0), model, runtime.Version(), runtime.GOOS, runtime.GOARCH, runs)
}

// sample is one timed run of one contender.
type sample struct {
	d      time.Duration
	allocs uint64
	peak   uint64
}

// measureWithPython measures the workload, with MPIRE's Python rows when
// dir is set and the workload has them.
func measureWithPython(w *workload, runs int, python, dir string) ([]result, error) {
	if dir == "" || w.python == nil {
		return measure(w, runs)
	}
	p, err := startPython(python, dir, w.name, w.python)
	if err != nil {
		return nil, err
	}
	w.contenders = append(w.contenders, p.contenders()...)
	rs, err := measure(w, runs)
	if cerr := p.close(); err == nil && cerr != nil {
		err = fmt.Errorf("MPIRE (python): %w", cerr)
	}
	return rs, err
}

// measure verifies every contender, then times them, interleaved.
func measure(w *workload, runs int) ([]result, error) {
	want := w.contenders[0].run()
	for _, c := range w.contenders[1:] {
		if c.external != nil {
			continue // it checked its own output
		}
		if got := c.run(); !reflect.DeepEqual(got, want) {
			return nil, fmt.Errorf("%s gives a different answer from sequential", c.name)
		}
	}
	if w.check != nil {
		if err := w.check(); err != nil {
			return nil, err
		}
	}
	samples := make([][]sample, len(w.contenders))
	for range runs {
		for i, c := range w.contenders {
			s, err := timeOne(c)
			if err != nil {
				return nil, err
			}
			samples[i] = append(samples[i], s)
		}
	}
	rs := make([]result, len(w.contenders))
	for i, c := range w.contenders {
		s := samples[i]
		rs[i] = result{
			Workload:      w.name,
			Contender:     c.name,
			MedianNs:      int64(median(s, func(x sample) float64 { return float64(x.d) })),
			AllocsPerTask: median(s, func(x sample) float64 { return float64(x.allocs) }) / float64(w.tasks),
			PeakHeapBytes: uint64(median(s, func(x sample) float64 { return float64(x.peak) })),
			External:      c.external != nil,
		}
		for _, x := range s {
			rs[i].runs = append(rs[i].runs, x.d)
		}
	}
	base := float64(rs[1].MedianNs)
	for i := range rs {
		rs[i].Ratio = float64(rs[i].MedianNs) / base
	}
	return rs, nil
}

func median(s []sample, of func(sample) float64) float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = of(x)
	}
	return medianOf(v)
}

// medianOf returns the median of v, which it sorts.
func medianOf(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// heapMetric is the heap memory occupied by objects, live or not yet swept.
const heapMetric = "/memory/classes/heap/objects:bytes"

// timeOne runs a contender once, after a GC, measuring its wall time, the
// allocations it made and the peak of the heap while it ran; an external
// one measures its time itself.
func timeOne(c contender) (sample, error) {
	if c.external != nil {
		d, err := c.external()
		return sample{d: d}, err
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go samplePeak(stop, peak)
	start := time.Now()
	c.run()
	d := time.Since(start)
	close(stop)
	runtime.ReadMemStats(&after)
	return sample{d: d, allocs: after.Mallocs - before.Mallocs, peak: <-peak}, nil
}

// samplePeak reads the heap every millisecond until stop closes, then sends
// the highest reading.
func samplePeak(stop <-chan struct{}, peak chan<- uint64) {
	s := []metrics.Sample{{Name: heapMetric}}
	var high uint64
	read := func() {
		metrics.Read(s)
		high = max(high, s[0].Value.Uint64())
	}
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	read()
	for {
		select {
		case <-t.C:
			read()
		case <-stop:
			read()
			peak <- high
			return
		}
	}
}

func printTable(w *workload, rs []result) {
	fmt.Printf("\n%s: %s\n", w.name, w.about)
	width := len("contender")
	for _, r := range rs {
		width = max(width, len(r.Contender))
	}
	fmt.Printf("  %-*s  %12s  %10s  %11s  %10s\n", width, "contender", "median", "x baseline", "allocs/task", "peak heap")
	for _, r := range rs {
		allocs, peak := fmt.Sprintf("%.3f", r.AllocsPerTask), bytesString(r.PeakHeapBytes)
		if r.External {
			allocs, peak = "-", "-"
		}
		fmt.Printf("  %-*s  %12s  %10.2f  %11s  %10s\n", width, r.Contender, time.Duration(r.MedianNs).Round(time.Microsecond), r.Ratio, allocs, peak)
	}
}

// minSpeedup is how much faster than sequential a baseline must be for a
// ratio to it to mean anything: on 2 cores, the best is about 2.
const minSpeedup = 1.5

// baselineCheck says whether the workload's baseline is at least minSpeedup
// times faster than sequential. A slower one means the workload is too small
// or the baseline is wrong, and that beating it proves nothing.
// At quick sizes it says so: they are too small to judge a baseline.
func baselineCheck(w *workload, rs []result, quick bool) string {
	speedup := float64(rs[0].MedianNs) / float64(rs[1].MedianNs)
	switch {
	case quick:
		return fmt.Sprintf("  check: none at quick sizes, too small to judge (the baseline's speed-up over sequential is %.2fx)", speedup)
	case w.exempt != "":
		return fmt.Sprintf("  check: exempt, %s; the baseline's speed-up over sequential is %.2fx", w.exempt, speedup)
	case speedup < minSpeedup:
		return fmt.Sprintf("  check: FLAGGED, the baseline's speed-up over sequential is only %.2fx (%.1fx expected): the workload is too small or the baseline is wrong, and beating it proves nothing", speedup, minSpeedup)
	default:
		return fmt.Sprintf("  check: ok, the baseline's speed-up over sequential is %.2fx", speedup)
	}
}

func bytesString(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	default:
		return fmt.Sprintf("%.0f KiB", float64(b)/(1<<10))
	}
}
