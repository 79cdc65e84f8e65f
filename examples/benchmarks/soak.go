package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// soakWorkload is the -workload that runs the soak.
const soakWorkload = "soak"

// The soak (-workload soak) runs kept-alive pools for long, as services do,
// and says whether anything grows: the heap, the resident set, goroutines,
// open descriptors, and those of the worker processes.
type soakSizes struct {
	calls        int // Map calls of callTasks tiny tasks on goroutines
	applies      int // Apply calls on worker processes
	clusterTasks int // tasks through the cluster, in Map calls of callTasks
}

var (
	fullSoak  = soakSizes{calls: 10_000_000, applies: 1_000_000, clusterTasks: 1_000_000}
	quickSoak = soakSizes{calls: 20_000, applies: 2_000, clusterTasks: 12_800}
)

// A usage is what the soak watches, at one moment.
type usage struct {
	heap, rss          uint64 // live heap after a GC; this process's resident set
	goroutines, fds    int
	childRSS, childFDs uint64 // summed over this process's children
}

// soakSteps is how many times a phase reports its usage: every 10%.
const soakSteps = 10

// soakPhase is one long run: step runs it for calls [from, to).
type soakPhase struct {
	about  string
	n      int
	step   func(from, to int) error
	warmUp time.Duration // steps run this long before the first figures
	// atLeast, when not 0, makes the phase last about that long after its
	// warm-up, at the warm-up's pace, when its n steps would take less.
	atLeast time.Duration
}

// dedupWindow is how long a JetStream server keeps a message id, to drop a
// message published twice: the work stream's Duplicates window, JetStream's
// default, which cluster.Deploy keeps (a chunk's publication is retried,
// and a cancelled one published again, within it).
//
// The embedded server, which runs in this process, holds more than the
// window's ids, and lets them go in a sawtooth: nats-server (2.15) frees an
// id from its map once the window passed, but keeps it in its array of ids,
// in arrival order, until that array's capacity exceeds three times the
// window's ids, and only then copies the live ones to a new array. Its
// memory rises for two to three windows before it first falls, then rises
// from the window's ids to about three times them and falls again, every
// one and a half to two windows (a heap profile diffed after the window
// shows nothing else growing: nats-server's storeMsgIdLocked, getMsgId and
// the ids' entries). The cluster's phase therefore warms up past the first
// fall, and then runs long enough for each half to hold two periods of the
// sawtooth: the highest figure of each half is then a peak of it.
const dedupWindow = 2 * time.Minute

const (
	dedupWarmUp = 4 * dedupWindow // the cluster's phase runs this long before it measures
	dedupHalves = 6 * dedupWindow // and then at least this long: two periods of the sawtooth in each half
)

func runSoak(quick bool) error {
	sz := fullSoak
	if quick {
		sz = quickSoak
	}
	in := indexes(callTasks)
	want := make([]int, len(in))
	for i, x := range in {
		want[i] = Tiny(x)
	}
	check := func(got []int, err error) error {
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("wrong results")
		}
		return nil
	}
	mapCalls := func(p *TinyPool) func(from, to int) error {
		return func(from, to int) error {
			for range to - from {
				if err := check(p.Map(ctxBackground, in)); err != nil {
					return err
				}
			}
			return nil
		}
	}

	goroutines := NewTinyPool(mpire.WithKeepAlive())
	defer goroutines.Close()
	processes := NewTinyPool(mpire.WithProcesses(), mpire.WithKeepAlive())
	defer processes.Close()
	clustered := NewTinyPool(onCluster(), mpire.WithJobs(clusterJobs), mpire.WithKeepAlive())
	defer clustered.Close()
	warmUp, atLeast := dedupWarmUp, dedupHalves
	if quick {
		warmUp, atLeast = 0, 0
	}
	phases := []soakPhase{
		{fmt.Sprintf("%d Map calls of %d tiny tasks on one kept-alive pool", sz.calls, callTasks), sz.calls, mapCalls(goroutines), 0, 0},
		{fmt.Sprintf("%d Apply calls on a kept-alive pool of worker processes", sz.applies), sz.applies, func(from, to int) error {
			for i := from; i < to; i++ {
				if r, err := processes.Apply(ctxBackground, i); err != nil || r != Tiny(i) {
					return fmt.Errorf("Apply(%d) = %d, %v; want %d", i, r, err, Tiny(i))
				}
			}
			return nil
		}, 0, 0},
		{fmt.Sprintf("%d tasks through the cluster, in Map calls of %d", sz.clusterTasks, callTasks), sz.clusterTasks / callTasks, mapCalls(clustered), warmUp, atLeast},
	}
	grew := false
	for _, ph := range phases {
		ok, err := soak(ph)
		if err != nil {
			return err
		}
		grew = grew || !ok
	}
	if grew {
		return fmt.Errorf("something grew during the soak")
	}
	return nil
}

// soak runs a phase, printing its usage every 10%, and says whether
// anything grew: whether the highest of each figure in the second half
// exceeds the highest of the first, which holds the warm-up, by more than
// noise. Memory held for a while and then let go (a cache with a TTL, a
// server's deduplication window) rises in the first half and stays; a leak
// keeps rising.
func soak(ph soakPhase) (ok bool, err error) {
	fmt.Printf("\nsoak: %s\n", ph.about)
	if ph.warmUp > 0 {
		calls := 0
		for start := time.Now(); time.Since(start) < ph.warmUp; calls++ {
			if err := ph.step(0, 1); err != nil {
				return false, err
			}
		}
		fmt.Printf("  warm-up: %d steps in %v, past the server's first release of message ids\n", calls, ph.warmUp)
		if paced := int(float64(calls) * float64(ph.atLeast) / float64(ph.warmUp)); paced > ph.n {
			fmt.Printf("  %d steps instead of %d: about %v at the warm-up's pace, for two periods of the server's sawtooth in each half\n", paced, ph.n, ph.atLeast)
			ph.n = paced
		}
	}
	fmt.Printf("  %5s  %10s  %10s  %10s  %5s  %12s  %12s\n", "done", "heap", "RSS", "goroutines", "fds", "children RSS", "children fds")
	var first, second usage
	for s := 1; s <= soakSteps; s++ {
		if err := ph.step((s-1)*ph.n/soakSteps, s*ph.n/soakSteps); err != nil {
			return false, err
		}
		u := measureUsage()
		fmt.Printf("  %4d%%  %10s  %10s  %10d  %5d  %12s  %12d\n", s*100/soakSteps, bytesString(u.heap),
			bytesString(u.rss), u.goroutines, u.fds, bytesString(u.childRSS), u.childFDs)
		if s <= soakSteps/2 {
			first = first.highest(u)
		} else {
			second = second.highest(u)
		}
	}
	if v := growth(first, second); v != "" {
		fmt.Println("  verdict: GROWS:", v)
		return false, nil
	}
	fmt.Println("  verdict: nothing grows (the highest figures of the second half are those of the first)")
	return true, nil
}

// highest returns the highest of each figure of u and v.
func (u usage) highest(v usage) usage {
	return usage{heap: max(u.heap, v.heap), rss: max(u.rss, v.rss), goroutines: max(u.goroutines, v.goroutines),
		fds: max(u.fds, v.fds), childRSS: max(u.childRSS, v.childRSS), childFDs: max(u.childFDs, v.childFDs)}
}

// growth names what grew from first to second beyond the noise of a GC's
// timing and the allocator's pages, or returns "".
func growth(first, second usage) string {
	var grew []string
	bytesGrew := func(name string, a, b, slack uint64) {
		if b > a+slack+a/10 {
			grew = append(grew, fmt.Sprintf("%s %s -> %s", name, bytesString(a), bytesString(b)))
		}
	}
	countGrew := func(name string, a, b uint64) {
		if b > a+2 {
			grew = append(grew, fmt.Sprintf("%s %d -> %d", name, a, b))
		}
	}
	bytesGrew("heap", first.heap, second.heap, 1<<20)
	bytesGrew("RSS", first.rss, second.rss, 8<<20)
	bytesGrew("children's RSS", first.childRSS, second.childRSS, 8<<20)
	countGrew("goroutines", uint64(first.goroutines), uint64(second.goroutines))
	countGrew("fds", uint64(first.fds), uint64(second.fds))
	countGrew("children's fds", first.childFDs, second.childFDs)
	return strings.Join(grew, ", ")
}

func measureUsage() usage {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	self := os.Getpid()
	u := usage{heap: ms.HeapAlloc, rss: rssOf(self), goroutines: runtime.NumGoroutine(), fds: int(fdsOf(self))}
	for _, pid := range childrenOf(self) {
		u.childRSS += rssOf(pid)
		u.childFDs += fdsOf(pid)
	}
	return u
}

// rssOf returns a process's resident set, from /proc (0 where there is none).
func rssOf(pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// fdsOf returns how many descriptors a process has open.
func fdsOf(pid int) uint64 {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return uint64(len(entries))
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// The fields after the command, which is in parentheses and may hold
		// anything: state, then the parent's pid.
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(data[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			if child, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
				kids = append(kids, child)
			}
		}
	}
	return kids
}
