package engine

import (
	"fmt"
	"io"
	"path"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progressInterval is how often a progress bar is redrawn. Workers only add
// to an atomic counter; the bar reads it at this pace, so even the tiniest
// tasks pay nothing for it.
const progressInterval = 100 * time.Millisecond

// barWidth is the number of cells of the bar itself.
const barWidth = 30

// drawing serialises the frames of every progress bar: calls running at
// once may share a writer (os.Stderr above all), and a frame is written
// whole, never interleaved with another bar's.
var drawing sync.Mutex

// A monitor follows a call made with a progress bar: it draws the bar and
// keeps the call's record on dashboards.
type monitor struct {
	bar     bar
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
	now := time.Now()
	m := &monitor{
		bar:  bar{w: o.W, title: o.Title, total: int64(max(total, -1)), start: now},
		stop: make(chan struct{}), ended: make(chan struct{}),
	}
	if w := currentWatcher(); w != nil {
		m.shown = &Progress{insights: c.p.insights}
		m.watched = w.Watch(CallInfo{
			Func:    c.p.fn.Name,
			FuncPos: c.p.fn.Pos,
			CallPos: callerPos(),
			Title:   o.Title,
			Total:   int64(max(total, -1)),
			Started: now,
		}, m.shown)
	}
	m.bar.draw(0, now, barRunning)
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
		case now := <-t.C:
			n := done.Load()
			m.bar.draw(n, now, barRunning)
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
	state := barCompleted
	if err != nil {
		state = barFailed
	}
	m.bar.draw(done, time.Now(), state)
}

// The states a bar is drawn in.
const (
	barRunning = iota
	barCompleted
	barFailed
)

// A bar draws a progress bar in the manner of tqdm, one line redrawn in
// place:
//
//	squares  42% |████████████▋                 | 420/1000 [00:04<00:05, 98.2 tasks/s]
//
// and, without a known total, a count: "squares 420 tasks [00:04, 98.2 tasks/s]".
type bar struct {
	w     io.Writer
	title string
	total int64 // -1 when unknown
	start time.Time
	width int // of the longest line drawn, to blank what a shorter one leaves
}

// draw writes one frame: "\r", the line, blanks over the rest of a longer
// previous line, and a newline once the call has ended.
func (b *bar) draw(done int64, now time.Time, state int) {
	line := b.line(done, now.Sub(b.start), state)
	n := len([]rune(line))
	frame := "\r" + line + strings.Repeat(" ", max(b.width-n, 0))
	b.width = max(b.width, n)
	if state != barRunning {
		frame += "\n"
	}
	drawing.Lock()
	defer drawing.Unlock()
	io.WriteString(b.w, frame) // a writer that fails loses the bar, not the call
}

// line formats a frame of the bar after elapsed.
func (b *bar) line(done int64, elapsed time.Duration, state int) string {
	var s strings.Builder
	if b.title != "" {
		s.WriteString(b.title + " ")
	}
	if state == barFailed {
		s.WriteString("(failed) ")
	}
	// A wrong WithIterableLen: at the end, the input decided the total; a
	// count past the total shows the total was wrong, and the bar counts up.
	total := b.total
	switch {
	case total < 0:
	case state == barCompleted:
		total = done
	case done > total:
		total = -1
	}
	rate := float64(done) / elapsed.Seconds()
	if total < 0 {
		fmt.Fprintf(&s, "%d tasks [%s", done, clock(elapsed))
	} else {
		frac := 1.0
		if total > 0 {
			frac = min(float64(done)/float64(total), 1)
		}
		if state == barRunning {
			// Until the call ends, it is not done, whatever the count says.
			frac = min(frac, 0.99)
		}
		fmt.Fprintf(&s, "%3d%% |%s| %d/%d [%s", int(100*frac), cells(frac), done, total, clock(elapsed))
		if state == barRunning && done > 0 && done < total {
			fmt.Fprintf(&s, "<%s", clock(time.Duration(float64(total-done)/rate*float64(time.Second))))
		}
	}
	if done > 0 && elapsed > 0 {
		s.WriteString(", " + rateString(rate))
	}
	s.WriteString("]")
	return s.String()
}

// cells draws the bar itself, in eighths of a cell.
func cells(frac float64) string {
	const eighths = " ▏▎▍▌▋▊▉"
	n := int(frac * barWidth * 8)
	full, part := n/8, n%8
	s := strings.Repeat("█", full)
	if full < barWidth {
		s += string([]rune(eighths)[part]) + strings.Repeat(" ", barWidth-full-1)
	}
	return s
}

// clock formats a duration as tqdm does: mm:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// rateString formats tasks per second, or seconds per task below one a
// second.
func rateString(rate float64) string {
	switch {
	case rate >= 100:
		return fmt.Sprintf("%.0f tasks/s", rate)
	case rate >= 1:
		return fmt.Sprintf("%.1f tasks/s", rate)
	default:
		return fmt.Sprintf("%.2f s/task", 1/rate)
	}
}

// callerPos returns where the user's code made the call: the first frame
// outside this module's runtime and generated files.
func callerPos() string {
	pcs := make([]uintptr, 16)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if !Internal(f.Function, f.File) && f.File != "" {
			return Position(f.Function, f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}

// Position formats where code is as mpiregen writes a task's position: the
// import path of its package, the file's name and the line,
// "example.com/app/main.go:12", the same on every machine. function is the
// full name of the function there, as runtime.Frame gives it; file the
// file's path.
func Position(function, file string, line int) string {
	// An external test package is in the directory of the package it tests.
	pkg := strings.TrimSuffix(packagePath(function), "_test")
	if pkg == "main" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Path != "" {
			pkg = bi.Path
		}
	}
	if pkg == "" {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return fmt.Sprintf("%s/%s:%d", pkg, path.Base(file), line)
}

// packagePath returns the import path in a function's full name:
// "example.com/app/pkg.(*T).Method" is in "example.com/app/pkg".
func packagePath(function string) string {
	slash := strings.LastIndexByte(function, '/')
	dot := strings.IndexByte(function[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return function[:slash+1+dot]
}

// Internal reports whether a frame, given by its function's full name and
// its file, is mpire's rather than the user's: in the runtime's own
// packages (mpire, mpireimpl and the internal ones) or in generated code.
func Internal(function, file string) bool {
	if strings.HasSuffix(file, "_gen.go") {
		return true
	}
	for _, pkg := range []string{"runtime.", "runtime/mpireimpl.", "runtime/internal/"} {
		if strings.HasPrefix(function, "github.com/mpire-go/mpire/"+pkg) {
			return true
		}
	}
	return false
}
