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
	"unicode/utf8"
)

// progressInterval is how often a progress bar is redrawn. Workers only add
// to an atomic counter; the bar reads it at this pace, so even the tiniest
// tasks pay nothing for it.
const progressInterval = 100 * time.Millisecond

// The bar fits in lineWidth columns, the width of the smallest usual
// terminal: its cells shrink from barWidth to minBarWidth to make room for
// long counts, and a title is cut to maxTitle, or down to minTitle.
const (
	lineWidth   = 80
	barWidth    = 30
	minBarWidth = 10
	maxTitle    = 24
	minTitle    = 8
)

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
	w      io.Writer
	title  string
	total  int64 // -1 when unknown
	start  time.Time
	width  int  // of the longest line drawn, to blank what a shorter one leaves
	broken bool // its writer panicked: draw no more
}

// draw writes one frame: "\r", the line, blanks over the rest of a longer
// previous line, and a newline once the call has ended.
func (b *bar) draw(done int64, now time.Time, state int) {
	line := b.line(done, now.Sub(b.start), state)
	n := utf8.RuneCountInString(line)
	frame := "\r" + line + strings.Repeat(" ", max(b.width-n, 0))
	b.width = max(b.width, n)
	if state != barRunning {
		frame += "\n"
	}
	drawing.Lock()
	defer drawing.Unlock()
	if b.broken {
		return
	}
	// A writer that fails, or even panics, loses the bar, not the call.
	defer func() {
		if recover() != nil {
			b.broken = true
		}
	}()
	io.WriteString(b.w, frame)
}

// line formats a frame of the bar after elapsed, in at most lineWidth
// columns when it can: a line that wraps on the terminal cannot be redrawn
// in place.
func (b *bar) line(done int64, elapsed time.Duration, state int) string {
	failed := ""
	if state == barFailed {
		failed = "(failed) "
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
	tail := "[" + clock(elapsed)
	if total >= 0 && state == barRunning && done > 0 && done < total {
		tail += "<" + clock(time.Duration(float64(total-done)/rate*float64(time.Second)))
	}
	if done > 0 && elapsed > 0 {
		tail += ", " + rateString(rate)
	}
	tail += "]"
	if total < 0 {
		return fmt.Sprintf("%s%s%d tasks %s", title(b.title, maxTitle), failed, done, tail)
	}
	frac := 1.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	if state == barRunning {
		// Until the call ends, it is not done, whatever the count says.
		frac = min(frac, 0.99)
	}
	count := fmt.Sprintf("| %d/%d ", done, total)
	rest := len(failed) + len("100% |") + len(count) + len(tail)
	t := title(b.title, min(maxTitle, max(lineWidth-rest-minBarWidth-1, minTitle)))
	width := min(max(lineWidth-rest-utf8.RuneCountInString(t), minBarWidth), barWidth)
	return fmt.Sprintf("%s%s%3d%% |%s%s%s", t, failed, int(100*frac), cells(frac, width), count, tail)
}

// title returns the bar's title, cut to n runes, and a space; nothing
// without a title.
func title(s string, n int) string {
	if s == "" {
		return ""
	}
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return s + " "
}

// cells draws the bar itself, width cells wide, in eighths of a cell.
func cells(frac float64, width int) string {
	const eighths = " ▏▎▍▌▋▊▉"
	n := int(frac * float64(width*8))
	full, part := n/8, n%8
	s := strings.Repeat("█", full)
	if full < width {
		s += string([]rune(eighths)[part]) + strings.Repeat(" ", width-full-1)
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
