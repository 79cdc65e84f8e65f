package mpire

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressInterval is how often a progress bar is redrawn. Workers only add
// to an atomic counter; the bar reads it at this pace, so even the tiniest
// tasks pay nothing for it.
const progressInterval = 100 * time.Millisecond

type progressOptions struct {
	w     io.Writer
	title string
}

// WithProgressBar draws a progress bar on stderr: tasks done and total,
// percent, rate, elapsed time and ETA (MPIRE's progress_bar). With an iter.Seq
// input of unknown length (no WithIterableLen) it counts up. Calls with a
// progress bar also appear on dashboards (StartDashboard, ConnectDashboard).
func WithProgressBar() Option {
	return func(s *settings) { s.progressBar() }
}

// WithProgressBarWriter draws the progress bar on w instead of stderr. It
// implies WithProgressBar.
func WithProgressBarWriter(w io.Writer) Option {
	return func(s *settings) { s.progressBar().w = w }
}

// WithProgressBarTitle describes the progress bar with title. It implies
// WithProgressBar.
func WithProgressBarTitle(title string) Option {
	return func(s *settings) { s.progressBar().title = title }
}

func (s *settings) progressBar() *progressOptions {
	if s.progress == nil {
		s.progress = &progressOptions{w: os.Stderr}
	} else {
		copied := *s.progress // the pool's defaults are shared: never modify them
		s.progress = &copied
	}
	return s.progress
}

// A monitor follows a call made with a progress bar: it draws the bar and
// keeps the call's record on dashboards.
type monitor struct {
	bar     *progressbar.ProgressBar
	opts    *progressOptions
	total   int
	rec     *callRecord // nil without a dashboard
	connect string      // the dashboard of another process, if connected
	stop    chan struct{}
	ended   chan struct{}
}

// startProgress starts following the call, if it asked for a progress bar;
// total is the number of tasks, or -1 when unknown.
func (c *call[St, A, R, E]) startProgress(total int) *monitor {
	o := c.s.progress
	if o == nil {
		return nil
	}
	m := &monitor{opts: o, total: total, stop: make(chan struct{}), ended: make(chan struct{})}
	m.bar = progressbar.NewOptions64(int64(max(total, -1)),
		progressbar.OptionSetWriter(o.w),
		progressbar.OptionSetDescription(o.title),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("tasks"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(0),
		// Its own redraw goroutine would outlive the call; ours redraws.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.w) }),
	)
	if record, connect := board.watching(); record {
		m.connect = connect
		m.rec = &callRecord{done: &c.done, insights: c.p.insights, report: CallReport{
			Func:    c.p.fn.Name,
			FuncPos: c.p.fn.Pos,
			CallPos: callerPos(),
			Total:   int64(max(total, -1)),
			Status:  "running",
			Started: time.Now(),
		}}
		board.add(m.rec)
	}
	go m.follow(&c.done)
	return m
}

// follow redraws the bar, and reports to a connected dashboard, until the
// call ends.
func (m *monitor) follow(done *atomic.Int64) {
	defer close(m.ended)
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	lastReport := time.Now()
	for {
		select {
		case <-t.C:
			m.bar.Set64(done.Load())
			if m.connect != "" && time.Since(lastReport) >= reportInterval {
				send(m.connect, board.current(m.rec))
				lastReport = time.Now()
			}
		case <-m.stop:
			return
		}
	}
}

// finish draws the final state: the full count on success, the count reached
// and the failure otherwise.
func (m *monitor) finish(done int64, err error) {
	if m == nil {
		return
	}
	close(m.stop)
	<-m.ended
	if m.rec != nil {
		board.finish(m.rec, done, err)
		if m.connect != "" {
			send(m.connect, board.current(m.rec))
		}
	}
	if err != nil {
		m.bar.Describe(failedTitle(m.opts.title))
		m.bar.Set64(done)
		m.bar.Exit()
		return
	}
	m.bar.Set64(done)
	if m.total >= 0 {
		m.bar.Finish()
	} else {
		m.bar.Exit()
	}
}

func failedTitle(title string) string {
	if title == "" {
		return "failed"
	}
	return title + " (failed)"
}

// callerPos returns file:line of the user's code that made the call: the
// first frame outside this package and generated files.
func callerPos() string {
	pcs := make([]uintptr, 16)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		generated := strings.HasSuffix(f.File, "_gen.go")
		if !strings.HasPrefix(f.Function, "github.com/mpire-go/mpire/runtime.") && !generated && f.File != "" {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}
