package mpire

import "github.com/mpire-go/mpire/runtime/internal/engine"

// Insights tells where a pool's workers spent their time (MPIRE's worker
// insights): read it with the Insights method of a pool made WithInsights.
// Its fields:
//
//	Workers  []WorkerInsights // one per worker slot
//	TopTasks []TaskInsight    // the 5 longest tasks, longest first
//	TotalStartUp, TotalInit, TotalWaiting, TotalWorking, TotalExit, Total time.Duration
//
// Its String method formats MPIRE's report: totals with mean, standard
// deviation and ratio per phase, one line per worker, and the top tasks.
type Insights = engine.Insights

// WorkerInsights is the time one worker slot spent in each phase. Its fields:
//
//	ID                                    WorkerID
//	CompletedTasks                        int
//	StartUp, Init, Waiting, Working, Exit time.Duration
//	Retries                               int // runs of its tasks that failed and were to run again (WithRetries)
type WorkerInsights = engine.WorkerInsights

// TaskInsight is one of the longest tasks. Its fields:
//
//	Duration time.Duration
//	WorkerID WorkerID
//	Index    int    // position in the input (of the group's first task)
//	Args     string // formatted arguments, shortened when long
//	Tasks    int    // tasks timed together: 1, or more for very short tasks
//
// Tasks are timed one by one when they last longer than about ten
// microseconds, as MPIRE times each task: their durations are exact. Shorter
// ones are timed a few together, in pieces of about ten microseconds, one
// clock reading per piece, so that insights cost about 1% even for the
// tiniest tasks; such an entry is the group (Tasks > 1), named by its first
// task. The duration of a single task of a few nanoseconds would be the
// clock's noise; a group that took far longer than the others, because one
// of its tasks did, still stands out. Each worker sums its counters in its
// own variables and writes its share of the insights once per chunk, never
// per task.
type TaskInsight = engine.TaskInsight
