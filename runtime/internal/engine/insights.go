package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// topTasks is how many of the longest tasks insights keep, as in MPIRE.
const topTasks = 5

// maxArgsLen bounds the formatted arguments kept for a top task.
const maxArgsLen = 120

// Insights tells where a pool's workers spent their time (MPIRE's worker
// insights). Get it from a pool made WithInsights.
type Insights struct {
	Workers  []WorkerInsights // one per worker slot
	TopTasks []TaskInsight    // the longest tasks, longest first
	// Totals over all workers per phase, and of all phases.
	TotalStartUp, TotalInit, TotalWaiting, TotalWorking, TotalExit, Total time.Duration
}

// WorkerInsights is the time one worker slot spent in each phase.
type WorkerInsights struct {
	ID             WorkerID
	CompletedTasks int
	// StartUp is the time from the start of the pool's workers to this
	// worker's first wait for work; Waiting is the time it waited for work.
	StartUp, Init, Waiting, Working, Exit time.Duration
	// Retries is how many of its tasks' runs failed and were to run again
	// (WithRetries).
	Retries int
}

// TaskInsight is one of the longest tasks.
//
// Tasks are timed one by one when they last longer than about ten
// microseconds (pieceTime). Shorter ones are timed a few together, so that
// insights cost about 1% even for the tiniest tasks; such an entry has
// Tasks > 1 and names the first task of the group.
type TaskInsight struct {
	Duration time.Duration
	WorkerID WorkerID
	Index    int    // position in the input (of the group's first task)
	Args     string // formatted arguments, shortened when long
	Tasks    int    // tasks timed together: 1, or more for very short tasks
}

// insightsRecorder holds the statistics of every worker slot of a pool.
type insightsRecorder struct {
	mu      sync.Mutex // guards the slice; each Stats guards itself
	workers []*Stats
}

func newInsightsRecorder(jobs int) *insightsRecorder {
	r := &insightsRecorder{workers: make([]*Stats, jobs)}
	for i := range r.workers {
		r.workers[i] = newWorkerStats(WorkerID(i))
	}
	return r
}

// reset clears the statistics; called when calls start on an idle pool.
func (r *insightsRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, w := range r.workers {
		r.workers[i] = newWorkerStats(w.id)
	}
}

// Stats are the insights of one worker slot, written by its executor and
// lifecycle and read by snapshot. A nil *Stats records nothing, so that
// workers need not test for insights, except where a method says so.
//
// A worker writes its Stats once per run of tasks (a chunk), and when a
// task is one of its longest so far, never per task: the counters of a run
// are summed in the worker's own variables first, so that no memory that
// another worker's Stats may share is written in the hot loop.
type Stats struct {
	id                                    WorkerID
	startUp, init, waiting, working, exit atomic.Int64
	completed                             atomic.Int64
	retries                               atomic.Int64

	// Its worker's only.
	topMin time.Duration // the shortest top task once there are topTasks
	epoch  time.Time     // origin of clock

	mu  sync.Mutex
	top []TaskInsight
}

// pieceTime is how long a timed piece of tasks should last. A piece costs
// one clock reading and one call of Func.Run: about 50 ns where the clock is
// read through the vDSO, 100 ns and more under a hypervisor's clock and
// load. Ten microseconds of work per piece keeps that at about 1%. Tasks
// that last longer are timed one by one, as MPIRE times each task, and
// their durations in TopTasks are exact. Shorter ones are timed together,
// and such a TaskInsight is the group (Tasks > 1): the duration of one task
// of 50 ns would be the clock's noise, while a group that took far longer
// than the others, because one of its tasks did, still stands out.
const pieceTime = 10 * time.Microsecond

// maxPiece bounds a piece, so that a burst of slow tasks after fast ones is
// soon timed one by one again. 512 tasks of 20 ns are a piece of 10 µs.
const maxPiece = 512

func newWorkerStats(id WorkerID) *Stats {
	return &Stats{id: id, epoch: time.Now()}
}

// TopMin returns the shortest duration that makes a task one of the top
// tasks; s must not be nil.
func (s *Stats) TopMin() time.Duration { return s.topMin }

// Clock reads the monotonic clock alone, at half the cost of time.Now.
func (s *Stats) Clock() time.Duration { return time.Since(s.epoch) }

// NextPiece sizes the next piece from the duration d of the last one, of
// tasks tasks, so that it lasts about pieceTime; with no task completed it
// keeps piece.
func NextPiece(d time.Duration, tasks, piece int) int {
	if tasks == 0 {
		return piece
	}
	mean := d / time.Duration(tasks)
	switch {
	case mean >= pieceTime:
		return 1
	case mean <= 0:
		return maxPiece
	default:
		return min(maxPiece, int(pieceTime/mean)+1)
	}
}

// AddStartUp records the time a worker took to start.
func (s *Stats) AddStartUp(d time.Duration) {
	if s != nil {
		s.startUp.Add(int64(d))
	}
}

func (s *Stats) addInit(d time.Duration) {
	if s != nil {
		s.init.Add(int64(d))
	}
}

// Now reads the clock for a later addWaitingSince or AddTask; it costs
// nothing without insights.
func (s *Stats) Now() time.Duration {
	if s == nil {
		return 0
	}
	return s.Clock()
}

// addWaitingSince records the time waited for work since begin.
func (s *Stats) addWaitingSince(begin time.Duration) {
	if s != nil {
		s.waiting.Add(int64(s.Clock() - begin))
	}
}

// AddTask records tasks timed together since begin, starting at index, and
// keeps them among the top tasks if they are; args formats their arguments
// only then.
func (s *Stats) AddTask(begin time.Duration, id WorkerID, index, tasks int, args func() string) {
	if s == nil {
		return
	}
	d := s.Clock() - begin
	s.AddWorking(d, tasks)
	if d > s.topMin {
		s.AddTop(TaskInsight{Duration: d, WorkerID: id, Index: index, Args: args(), Tasks: tasks})
	}
}

func (s *Stats) addRetry() {
	if s != nil {
		s.retries.Add(1)
	}
}

func (s *Stats) addExit(d time.Duration) {
	if s != nil {
		s.exit.Add(int64(d))
	}
}

// AddWorking records tasks completed in d. s must not be nil.
func (s *Stats) AddWorking(d time.Duration, tasks int) {
	s.working.Add(int64(d))
	s.completed.Add(int64(tasks))
}

// AddTop keeps t among the top tasks if it is one. s must not be nil.
func (s *Stats) AddTop(t TaskInsight) {
	if len(t.Args) > maxArgsLen {
		t.Args = t.Args[:maxArgsLen-3] + "..."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.top = insertTop(s.top, t)
	if len(s.top) == topTasks {
		s.topMin = s.top[topTasks-1].Duration
	}
}

// insertTop inserts t into top, longest first, keeping at most topTasks.
func insertTop(top []TaskInsight, t TaskInsight) []TaskInsight {
	i, _ := slices.BinarySearchFunc(top, t, func(a, b TaskInsight) int {
		return -int(a.Duration - b.Duration)
	})
	top = slices.Insert(top, i, t)
	if len(top) > topTasks {
		top = top[:topTasks]
	}
	return top
}

// stats returns the statistics of worker slot id.
func (r *insightsRecorder) stats(id WorkerID) *Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.workers[id]
}

func (r *insightsRecorder) snapshot() Insights {
	r.mu.Lock()
	defer r.mu.Unlock()
	var in Insights
	for _, s := range r.workers {
		w := WorkerInsights{
			ID:             s.id,
			CompletedTasks: int(s.completed.Load()),
			StartUp:        time.Duration(s.startUp.Load()),
			Init:           time.Duration(s.init.Load()),
			Waiting:        time.Duration(s.waiting.Load()),
			Working:        time.Duration(s.working.Load()),
			Exit:           time.Duration(s.exit.Load()),
			Retries:        int(s.retries.Load()),
		}
		in.Workers = append(in.Workers, w)
		in.TotalStartUp += w.StartUp
		in.TotalInit += w.Init
		in.TotalWaiting += w.Waiting
		in.TotalWorking += w.Working
		in.TotalExit += w.Exit
		s.mu.Lock()
		for _, t := range s.top {
			in.TopTasks = insertTop(in.TopTasks, t)
		}
		s.mu.Unlock()
	}
	in.Total = in.TotalStartUp + in.TotalInit + in.TotalWaiting + in.TotalWorking + in.TotalExit
	return in
}

// CompletedTasks is the number of tasks completed by all workers.
func (in Insights) CompletedTasks() int {
	n := 0
	for _, w := range in.Workers {
		n += w.CompletedTasks
	}
	return n
}

// PhaseStats is one phase of insights over all workers.
type PhaseStats struct {
	Name  string        `json:"name"`
	Total time.Duration `json:"total"`
	Mean  time.Duration `json:"mean"`
	Std   time.Duration `json:"std"`
	Ratio float64       `json:"ratio"` // percent of Total
}

// Phases returns the total, mean, standard deviation and ratio of each phase:
// start up, init, waiting, working and exit.
func (in Insights) Phases() []PhaseStats {
	phases := []struct {
		name  string
		total time.Duration
		of    func(WorkerInsights) time.Duration
	}{
		{"start up", in.TotalStartUp, func(w WorkerInsights) time.Duration { return w.StartUp }},
		{"init", in.TotalInit, func(w WorkerInsights) time.Duration { return w.Init }},
		{"waiting", in.TotalWaiting, func(w WorkerInsights) time.Duration { return w.Waiting }},
		{"working", in.TotalWorking, func(w WorkerInsights) time.Duration { return w.Working }},
		{"exit", in.TotalExit, func(w WorkerInsights) time.Duration { return w.Exit }},
	}
	out := make([]PhaseStats, len(phases))
	for i, ph := range phases {
		mean, std := meanStd(in.Workers, ph.of)
		out[i] = PhaseStats{Name: ph.name, Total: ph.total, Mean: mean, Std: std, Ratio: ratio(ph.total, in.Total)}
	}
	return out
}

// String formats the insights as MPIRE's report: totals with mean, standard
// deviation and ratio per phase, one line per worker, and the top tasks; or
// that insights are off, for a pool made without WithInsights.
func (in Insights) String() string {
	if len(in.Workers) == 0 {
		// A pool records insights for each worker slot, or not at all.
		return "WorkerPool insights: off; make the pool with mpire.WithInsights() to record them\n"
	}
	var b strings.Builder
	b.WriteString("WorkerPool insights\n-------------------\n")
	fmt.Fprintf(&b, "Total number of tasks completed: %d\n", in.CompletedTasks())
	retries := 0
	for _, w := range in.Workers {
		retries += w.Retries
	}
	if retries > 0 {
		fmt.Fprintf(&b, "Total number of retries: %d\n", retries)
	}
	for _, ph := range in.Phases() {
		fmt.Fprintf(&b, "Total %s time: %s (mean: %s, std: %s, ratio: %.1f%%)\n",
			ph.Name, formatDuration(ph.Total), formatDuration(ph.Mean), formatDuration(ph.Std), ph.Ratio)
	}
	fmt.Fprintf(&b, "Total time: %s\n", formatDuration(in.Total))
	if in.Total > 0 && ratio(in.TotalWorking, in.Total) < 80 {
		b.WriteString("Efficiency warning: working ratio is < 80%!\n")
	}
	b.WriteString("\nStats per worker\n----------------\n")
	for _, w := range in.Workers {
		fmt.Fprintf(&b, "Worker %d: n_completed_tasks=%d, start_up=%s, init=%s, waiting=%s, working=%s, exit=%s",
			w.ID, w.CompletedTasks, formatDuration(w.StartUp), formatDuration(w.Init),
			formatDuration(w.Waiting), formatDuration(w.Working), formatDuration(w.Exit))
		if retries > 0 {
			fmt.Fprintf(&b, ", retries=%d", w.Retries)
		}
		b.WriteByte('\n')
	}
	if len(in.TopTasks) > 0 {
		b.WriteString("\nTop 5 longest tasks\n-------------------\n")
		for i, t := range in.TopTasks {
			group := ""
			if t.Tasks > 1 {
				group = fmt.Sprintf(" (and the next %d, timed together)", t.Tasks-1)
			}
			fmt.Fprintf(&b, "%d. Time: %s, Worker ID: %d, Task index: %d%s, Arguments: %s\n",
				i+1, formatDuration(t.Duration), t.WorkerID, t.Index, group, t.Args)
		}
	}
	return b.String()
}

func meanStd(ws []WorkerInsights, of func(WorkerInsights) time.Duration) (mean, std time.Duration) {
	if len(ws) == 0 {
		return 0, 0
	}
	var sum float64
	for _, w := range ws {
		sum += float64(of(w))
	}
	m := sum / float64(len(ws))
	var sq float64
	for _, w := range ws {
		d := float64(of(w)) - m
		sq += d * d
	}
	return time.Duration(m), time.Duration(math.Sqrt(sq / float64(len(ws))))
}

func ratio(part, total time.Duration) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(part) / float64(total)
}

// formatDuration writes d as MPIRE does, h:mm:ss, with microseconds:
// 0:00:00.091234s.
func formatDuration(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("%d:%02d:%02d.%06ds", us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000)
}
