package dashboard

import (
	"cmp"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// The statuses of a call.
const (
	statusRunning   = "running"
	statusCompleted = "completed"
	statusFailed    = "failed"
	statusCancelled = "cancelled"
	statusLost      = "lost" // its program stopped reporting while it ran
)

// A CallReport is what a dashboard shows of one call: the rows of its page
// and the records of its JSON endpoint, /api/calls.
type CallReport struct {
	ID      string  `json:"id"`      // unique across processes and hosts: a random token of the process and the call's number
	Program Program `json:"program"` // the program that made the call
	Title   string  `json:"title"`   // the progress bar's title (WithProgressBarTitle)
	Func    string  `json:"func"`    // the task function
	FuncPos string  `json:"funcPos"` // where it is declared: import path, file and line
	CallPos string  `json:"callPos"` // where the call was made, in the same form
	Done    int64   `json:"done"`    // tasks completed
	Total   int64   `json:"total"`   // tasks in all; -1 when unknown
	// Status is running, completed, failed, cancelled, or lost: the call
	// was running when its program, in another process, stopped reporting.
	Status   string     `json:"status"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished"` // nil until the call ends
	// LastHeard is when the last report of a call of another process came.
	LastHeard *time.Time    `json:"lastHeard,omitempty"`
	Error     string        `json:"error"`           // why the call failed
	Stack     []Frame       `json:"stack,omitempty"` // the stack of a panic, the user's frames first
	Insights  *InsightsView `json:"insights"`        // nil without WithInsights
	// Retries counts the runs of tasks that failed and ran again
	// (WithRetries); Failed the tasks that failed for good in a call
	// WithContinueOnError, and FailedTasks describes the first 20 of them
	// to fail, in input order.
	Retries     int64        `json:"retries"`
	Failed      int          `json:"failed"`
	FailedTasks []FailedTask `json:"failedTasks,omitempty"`
}

// A FailedTask is a task that failed for good in a call
// WithContinueOnError.
type FailedTask struct {
	Index    int    `json:"index"`
	Args     string `json:"args"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
}

// failures fills in what a call's progress says of its retries and
// failed tasks.
func (rep *CallReport) failures(p *engine.Progress) {
	rep.Retries = p.Retries()
	n, first := p.Failed()
	rep.Failed, rep.FailedTasks = n, nil
	for _, te := range first {
		rep.FailedTasks = append(rep.FailedTasks, FailedTask{Index: te.Index, Args: te.Args, Attempts: te.Attempts, Error: engine.FormatValue(te.Err)})
	}
	slices.SortFunc(rep.FailedTasks, func(a, b FailedTask) int { return cmp.Compare(a.Index, b.Index) })
}

// Program tells which process made a call.
type Program struct {
	Name string `json:"name"` // the executable's name
	PID  int    `json:"pid"`
	Host string `json:"host"`
}

// A Frame is one function of a panic's stack.
type Frame struct {
	Func     string `json:"func"`
	Pos      string `json:"pos"`                // import path, file and line, as CallReport's positions
	Internal bool   `json:"internal,omitempty"` // mpire's, Go's runtime's or generated code's: folded on the page
}

// InsightsView is the dashboard's form of mpire.Insights.
type InsightsView struct {
	CompletedTasks int                    `json:"completedTasks"`
	Total          time.Duration          `json:"total"`
	Phases         []engine.PhaseStats    `json:"phases"`
	Workers        []mpire.WorkerInsights `json:"workers"`
	TopTasks       []mpire.TaskInsight    `json:"topTasks"`
}

func viewOf(p *engine.Progress) *InsightsView {
	in, ok := p.Insights()
	if !ok {
		return nil
	}
	return &InsightsView{CompletedTasks: in.CompletedTasks(), Total: in.Total, Phases: in.Phases(), Workers: in.Workers, TopTasks: in.TopTasks}
}

// The bounds of a report, so that a dashboard's memory stays bounded
// whatever the programs reporting to it send: at most maxCalls reports of
// at most maxReportSize bytes of JSON each, holding at most maxReportSize
// bytes once decoded and bounded, and maxRemoteBytes for all the calls of
// other processes.
const (
	maxCalls       = 1000
	maxReportSize  = 64 << 10
	maxRemoteBytes = 16 << 20
	maxText        = 256 // a name or a position
	maxError       = 4 << 10
	maxFrames      = 48
	maxWorkers     = 128
	maxTopTasks    = 5
	maxPhases      = 5
	maxFailedTasks = 20
)

// bound cuts what a report may hold down to the bounds above. What it cuts
// it copies: a string or a slice cut in place would keep alive the whole of
// what a report decoded (a 64 KiB report of empty objects decodes to
// megabytes of workers).
func (rep *CallReport) bound() {
	for _, s := range rep.texts() {
		*s = cut(*s, maxText)
	}
	rep.Error = cut(rep.Error, maxError)
	rep.Stack = keep(rep.Stack, maxFrames)
	for i := range rep.Stack {
		rep.Stack[i].Func, rep.Stack[i].Pos = cut(rep.Stack[i].Func, maxText), cut(rep.Stack[i].Pos, maxText)
	}
	rep.FailedTasks = keep(rep.FailedTasks, maxFailedTasks)
	for i := range rep.FailedTasks {
		rep.FailedTasks[i].Args, rep.FailedTasks[i].Error = cut(rep.FailedTasks[i].Args, maxText), cut(rep.FailedTasks[i].Error, maxText)
	}
	if in := rep.Insights; in != nil {
		in.Phases = keep(in.Phases, maxPhases)
		in.Workers = keep(in.Workers, maxWorkers)
		in.TopTasks = keep(in.TopTasks, maxTopTasks)
		for i := range in.Phases {
			in.Phases[i].Name = cut(in.Phases[i].Name, maxText)
		}
		for i := range in.TopTasks {
			in.TopTasks[i].Args = cut(in.TopTasks[i].Args, maxText)
		}
	}
}

// texts returns the short strings of a report: names and positions.
func (rep *CallReport) texts() []*string {
	return []*string{&rep.ID, &rep.Program.Name, &rep.Program.Host, &rep.Title, &rep.Func, &rep.FuncPos, &rep.CallPos, &rep.Status}
}

// keep returns at most the first n elements of s, in an array of their own
// when s's is larger.
func keep[T any](s []T, n int) []T {
	if cap(s) <= n {
		return s
	}
	kept := make([]T, min(len(s), n))
	copy(kept, s)
	return kept
}

// size returns the bytes a report holds: its own, its strings' and the
// whole arrays of its slices.
func (rep *CallReport) size() int {
	n := int(unsafe.Sizeof(*rep)) + len(rep.Error)
	for _, s := range rep.texts() {
		n += len(*s)
	}
	for _, t := range []*time.Time{rep.Finished, rep.LastHeard} {
		if t != nil {
			n += int(unsafe.Sizeof(*t))
		}
	}
	n += cap(rep.Stack) * int(unsafe.Sizeof(Frame{}))
	for _, f := range rep.Stack {
		n += len(f.Func) + len(f.Pos)
	}
	n += cap(rep.FailedTasks) * int(unsafe.Sizeof(FailedTask{}))
	for _, f := range rep.FailedTasks {
		n += len(f.Args) + len(f.Error)
	}
	if in := rep.Insights; in != nil {
		n += int(unsafe.Sizeof(*in)) + cap(in.Phases)*int(unsafe.Sizeof(engine.PhaseStats{})) +
			cap(in.Workers)*int(unsafe.Sizeof(mpire.WorkerInsights{})) + cap(in.TopTasks)*int(unsafe.Sizeof(mpire.TaskInsight{}))
		for _, p := range in.Phases {
			n += len(p.Name)
		}
		for _, t := range in.TopTasks {
			n += len(t.Args)
		}
	}
	return n
}

// cut shortens s to at most n bytes, marking the cut; a rune cut in two is
// dropped.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-len("…")], "") + "…"
}

// finish records how a call ended in its report.
func (rep *CallReport) finish(done int64, err error, now time.Time) {
	rep.Done, rep.Finished = done, &now
	switch {
	case err == nil:
		rep.Status = statusCompleted
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		rep.Status, rep.Error = statusCancelled, err.Error()
	default:
		rep.Status, rep.Error = statusFailed, err.Error()
		var pe *mpire.PanicError
		if errors.As(err, &pe) {
			rep.Stack = userFirst(parseStack(pe.Stack))
		}
	}
}

// parseStack reads the frames of a goroutine's stack as debug.Stack prints
// it: a function line, then its file and line indented by a tab.
func parseStack(stack []byte) []Frame {
	var frames []Frame
	lines := strings.Split(string(stack), "\n")
	for i := 0; i+1 < len(lines); i++ {
		fn, at := lines[i], lines[i+1]
		if fn == "" || strings.HasPrefix(fn, "goroutine ") || !strings.HasPrefix(at, "\t") {
			continue
		}
		i++
		// "created by example.com/pkg.f in goroutine 1"; "pkg.f(0x1, ...)".
		name, created := strings.CutPrefix(fn, "created by ")
		if created {
			name, _, _ = strings.Cut(name, " in goroutine ")
		} else if p := strings.LastIndexByte(name, '('); p > 0 {
			name = name[:p]
		}
		// "\t/path/file.go:12 +0x1d"
		at = strings.TrimPrefix(at, "\t")
		at, _, _ = strings.Cut(at, " +0x")
		file, lineStr, _ := cutLast(at, ":")
		line, _ := strconv.Atoi(lineStr)
		f := Frame{Func: name, Pos: engine.Position(name, file, line), Internal: internal(name, file)}
		if created {
			f.Func = "created by " + name
		}
		frames = append(frames, f)
	}
	return frames
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// internal reports whether a frame is not the user's: mpire's, generated
// code's, or that of Go's runtime and testing packages.
func internal(function, file string) bool {
	if engine.Internal(function, file) {
		return true
	}
	for _, pkg := range []string{"runtime.", "runtime/", "testing."} {
		if strings.HasPrefix(function, pkg) {
			return true
		}
	}
	return false
}

// userFirst drops the frames that caught the panic (the recovering
// function, debug.Stack and the runtime's panic machinery, above the
// panic(...) frame), so that the stack begins at the line that panicked.
func userFirst(frames []Frame) []Frame {
	for i := len(frames) - 1; i >= 0; i-- {
		if frames[i].Func == "panic" || frames[i].Func == "runtime.gopanic" {
			return frames[i+1:]
		}
	}
	return frames
}

// self is this process: the program on the reports of its calls, the
// random token that makes the IDs of its calls unique among every process
// reporting to one dashboard, whatever their hosts or containers, and the
// secret that proves its reports its own (the token is the secret's hash).
var self = func() (s struct {
	program Program
	token   string
	secret  string
}) {
	s.program.Name = filepath.Base(os.Args[0])
	s.program.PID = os.Getpid()
	s.program.Host, _ = os.Hostname()
	s.secret = randomHex(32)
	s.token = tokenOf(s.secret)
	return s
}()
