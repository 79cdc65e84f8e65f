package engine

import (
	"fmt"
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

// A monitor follows a call made with a progress bar: it draws the bar and
// keeps the call's record on dashboards.
type monitor struct {
	bar     *progressbar.ProgressBar
	opts    *ProgressOptions
	total   int
	watched Watched   // the call on dashboards; nil without one
	shown   *Progress // the counters dashboards read
	stop    chan struct{}
	ended   chan struct{}
}

// startProgress starts following the call, if it asked for a progress bar;
// total is the number of tasks, or -1 when unknown.
func (c *call[St, A, R, E]) startProgress(total int) *monitor {
	o := c.s.Progress
	if o == nil {
		return nil
	}
	m := &monitor{opts: o, total: total, stop: make(chan struct{}), ended: make(chan struct{})}
	m.bar = progressbar.NewOptions64(int64(max(total, -1)),
		progressbar.OptionSetWriter(o.W),
		progressbar.OptionSetDescription(o.Title),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("tasks"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(0),
		// Its own redraw goroutine would outlive the call; ours redraws.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.W) }),
	)
	if w := currentWatcher(); w != nil {
		m.shown = &Progress{insights: c.p.insights}
		m.watched = w.Watch(CallInfo{
			Func:    c.p.fn.Name,
			FuncPos: c.p.fn.Pos,
			CallPos: callerPos(),
			Title:   o.Title,
			Total:   int64(max(total, -1)),
			Started: time.Now(),
		}, m.shown)
	}
	go m.follow(&c.done)
	return m
}

// follow redraws the bar, and updates the counters dashboards read, until
// the call ends.
func (m *monitor) follow(done *atomic.Int64) {
	defer close(m.ended)
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			n := done.Load()
			m.bar.Set64(n)
			if m.shown != nil {
				m.shown.done.Store(n)
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
	if m.watched != nil {
		m.shown.done.Store(done)
		m.watched.Finished(done, err)
	}
	if err != nil {
		m.bar.Describe(failedTitle(m.opts.Title))
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
		if !inRuntime(f.Function) && !generated && f.File != "" {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}

// inRuntime reports whether a function belongs to the runtime's own
// packages: mpire, mpireimpl and the internal ones.
func inRuntime(function string) bool {
	for _, pkg := range []string{"runtime.", "runtime/mpireimpl.", "runtime/internal/"} {
		if strings.HasPrefix(function, "github.com/mpire-go/mpire/"+pkg) {
			return true
		}
	}
	return false
}
