package engine

import (
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressInterval is how often a progress bar is redrawn. Workers only add
// to an atomic counter; the bar reads it at this pace, so even the tiniest
// tasks pay nothing for it, and progressbar is never called per task.
const progressInterval = 100 * time.Millisecond

// A line fits the terminal, or defaultColumns when the writer is not one:
// the bar's cells shrink from barWidth down to minBarWidth, then the
// description is cut, down to minTitle columns.
const (
	defaultColumns = 80
	barWidth       = 30
	minBarWidth    = 10
	minTitle       = 8
	fitSlack       = 3 // columns left for the figures to grow into
)

// drawing serialises the frames of every progress bar: calls running at
// once may share a writer (os.Stderr above all), and a frame is written
// whole, never interleaved with another bar's.
var drawing sync.Mutex

// A monitor follows a call made with a progress bar: it draws the bar and
// keeps the call's record on dashboards.
type monitor struct {
	bar     *bar
	watched Watched   // the call on dashboards; nil without one
	shown   *Progress // the counters dashboards read
	stop    chan struct{}
	ended   chan struct{}
}

// startProgress starts following the call, if it asked for a progress bar;
// total is the number of tasks, or -1 when unknown.
func (c *call[St, A, R, E]) startProgress(total int) *monitor {
	c.observeCall(total)
	o := c.s.Progress
	if o == nil {
		return nil
	}
	now := time.Now()
	m := &monitor{
		bar:  newBar(o, int64(max(total, -1))),
		stop: make(chan struct{}), ended: make(chan struct{}),
	}
	if w := currentWatcher(); w != nil {
		m.shown = &Progress{insights: c.p.insights}
		c.shown = m.shown
		m.watched = w.Watch(CallInfo{
			Func:    c.p.fn.Name,
			FuncPos: c.p.fn.Pos,
			CallPos: callerPos(),
			Title:   o.Title,
			Total:   int64(max(total, -1)),
			Started: now,
		}, m.shown)
	}
	m.bar.start()
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
			m.bar.update(n)
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
	m.bar.end(done, err)
}

// The phases of a bar, which decide what the runtime's defaults show.
const (
	barRunning   = iota
	barCompleted // the call ended without an error
	barFailed
)

// A bar draws a call's progress with github.com/schollz/progressbar/v3, in
// the manner of tqdm, one line redrawn in place:
//
//	squares  42% |████████████                  | (420/1000, 98 tasks/s) [4s:5s]
//
// and, without a known total, a count: "/ squares (420, 98 tasks/s) [4s]".
//
// The library renders each frame into a recorder, never onto the writer
// itself: the bar then writes the frame whole, in one Write under one lock
// shared by all bars, so that bars of calls running at once on one writer
// never interleave (progressbar writes a frame in pieces), and the runtime
// keeps what progressbar cannot know about the writer: its width, and where
// the line ends.
//
// Only the goroutine that follows the call, and then the one that ends it,
// use a bar; progressbar runs no goroutine of its own for it.
type bar struct {
	w     io.Writer
	title string
	total int64                // -1: unknown, or 0; the bar counts up
	style []progressbar.Option // the user's, after the runtime's defaults
	pb    *progressbar.ProgressBar
	rec   recorder
	cols  func() int // the terminal's width

	phase   int
	counted bool   // a task was done: show the rate and the time left
	base    string // the description before the runtime decorates it
	fitted  int    // the width the line was fitted to; 0: not yet
	cells   int    // the bar's width, narrowed to fit; 0: as configured
	keep    int    // the columns kept of the description; 0: all

	width  int  // of the longest line written, to blank what a shorter one leaves
	drawn  bool // a frame was written
	broken bool // its writer panicked: draw no more
}

// newBar makes the bar of a call; total is the number of tasks, or -1 when
// unknown.
func newBar(o *ProgressOptions, total int64) *bar {
	b := &bar{w: o.W, title: o.Title, total: total, style: o.Style}
	if total <= 0 {
		// Without a total there is no fraction to show; with a total of 0,
		// 0/0 is not one either: both count up.
		b.total = -1
	}
	b.cols = func() int { return columns(b.w) }
	// progressbar starts a goroutine of its own, which would outlive the
	// call, to turn the spinner of a bar of unknown length when a spinner
	// interval is set (OptionSetSpinnerChangeInterval). It does so only in
	// the constructor: a bar of unknown length is therefore made with a
	// length of 1 and told its length after, so that the interval still
	// sets the spinner's pace, from the frames this bar draws.
	length := max(b.total, 1)
	b.pb = progressbar.NewOptions64(length, append(append(b.defaults(), b.style...), b.sink()...)...)
	b.pb.StartWithoutRender() // the clock starts with the call: the rate is right from the first frame
	b.base = b.pb.State().Description
	b.configure()
	if b.total < 0 {
		b.pb.ChangeMax64(-1)
	}
	return b
}

// defaults are the runtime's options for the bar in its phase; the user's
// come after them.
func (b *bar) defaults() []progressbar.Option {
	opts := []progressbar.Option{
		progressbar.OptionSetDescription(b.title),
		progressbar.OptionSetWidth(barWidth),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("tasks"),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		// Before the first task is done, the time left is not known: tqdm
		// shows "?", progressbar would show 0s.
		progressbar.OptionSetPredictTime(b.counted && b.phase == barRunning),
		// Without a total, "420" rather than "420/-".
		progressbar.OptionShowTotalBytes(b.total >= 0),
	}
	if b.counted {
		opts = append(opts, progressbar.OptionShowIts())
	}
	return opts
}

// sink are the options the runtime needs to own the line: the user's may
// not change them.
func (b *bar) sink() []progressbar.Option {
	return []progressbar.Option{
		progressbar.OptionSetWriter(&b.rec),
		// The runtime blanks the line itself.
		progressbar.OptionUseANSICodes(false),
	}
}

// configure applies the runtime's defaults, the user's options and then
// what the runtime must decide, and extra, to the bar. progressbar's options
// are setters, so applying them all again is how the bar changes its phase
// and keeps the user's word on everything else.
func (b *bar) configure(extra ...progressbar.Option) {
	opts := append(append(b.defaults(), b.style...), b.sink()...)
	desc := b.base
	if b.keep > 0 {
		desc = cut(desc, b.keep)
	}
	switch b.phase {
	case barFailed:
		desc = strings.TrimLeft(desc+" (failed)", " ")
		fallthrough
	case barCompleted:
		// The last frame is drawn whatever the throttle.
		opts = append(opts, progressbar.OptionThrottle(0))
	}
	if b.phase == barFailed {
		// It stopped: no time is left.
		opts = append(opts, progressbar.OptionSetPredictTime(false), progressbar.OptionSetElapsedTime(true))
	}
	opts = append(opts, progressbar.OptionSetDescription(desc))
	if b.cells > 0 {
		opts = append(opts, progressbar.OptionSetWidth(b.cells))
	}
	for _, o := range append(opts, extra...) {
		o(b.pb)
	}
}

// start draws the first frame.
func (b *bar) start() {
	b.rec.reset()
	b.pb.RenderBlank()
	b.show("")
}

// update draws a frame for done tasks while the call runs.
func (b *bar) update(done int64) {
	if b.total > 0 {
		// Until the call ends, it is not done, whatever the count says.
		done = min(done, b.total-1)
	}
	if done > 0 && !b.counted {
		b.counted = true
		b.configure()
	}
	b.rec.reset()
	b.pb.Set64(done)
	b.show("")
}

// end draws the last frame: the full count on success; on failure, the
// count reached, the failure and no time left.
func (b *bar) end(done int64, err error) {
	b.phase = barCompleted
	if err != nil {
		b.phase = barFailed
	}
	b.counted = done > 0
	empty := b.total > 0 && done == 0 && err == nil
	if empty {
		// Nothing to fill: the input was empty, shorter than
		// WithIterableLen said. The bar counts, 0.
		b.total = -1
	}
	b.configure()
	if empty {
		b.pb.ChangeMax64(-1)
	}
	b.rec.reset()
	switch {
	case err != nil:
		b.pb.Set64(done)
		if !b.pb.IsFinished() {
			b.pb.Exit()
		}
	case b.total > 0:
		if done != b.total {
			// WithIterableLen said more than the input held.
			b.pb.ChangeMax64(done)
		}
		b.pb.Finish()
	default:
		b.pb.Set64(done)
		b.pb.Finish()
	}
	b.show("\n")
}

// show writes the frame progressbar drew since the recorder was reset, if
// it drew one, followed by end: a newline after the last frame. A bar that
// progressbar cleared at the end (OptionClearOnFinish) is blanked instead.
func (b *bar) show(end string) {
	line, ok := b.frame()
	var frame string
	switch {
	case ok:
		line, n := b.fit(line)
		frame = "\r" + line + strings.Repeat(" ", max(b.width-n, 0)) + end
		b.width = max(b.width, n)
	case end == "" || !b.drawn:
		return
	case b.rec.wrote:
		frame = "\r" + strings.Repeat(" ", b.width) + "\r"
	default:
		frame = end // nothing new to draw: the line drawn last ends
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
	b.drawn = true
	io.WriteString(b.w, frame)
}

// frame returns the line progressbar drew since the recorder was reset,
// and whether it drew one: a throttled or hidden bar draws none.
func (b *bar) frame() (string, bool) {
	s := b.pb.String()
	if !b.rec.wrote || b.rec.last != s {
		return "", false
	}
	return strings.TrimRight(strings.TrimPrefix(s, "\r"), " "), true
}

// fit returns the line, redrawn narrower if it is wider than the terminal:
// a line that wraps cannot be redrawn in place. The bar's cells go first,
// down to minBarWidth, then the description, down to minTitle columns, each
// by a few columns more than needed, so that the line does not narrow again
// at every frame as its figures grow. A bar narrowed stays narrow; a
// terminal resized starts again.
func (b *bar) fit(line string) (string, int) {
	line, n := b.shrink(line)
	if n > b.fitted {
		// Narrower than the narrowest bar the cells and the title make
		// (a terminal of 40 columns): the line is cut.
		line = cutLine(line, b.fitted)
		n = visibleWidth(line)
	}
	return line, n
}

// shrink narrows the bar's cells, then its title, for the terminal's width,
// which it records in fitted, and returns the line redrawn and its width.
func (b *bar) shrink(line string) (string, int) {
	cols := b.cols()
	if cols != b.fitted {
		b.fitted = cols
		if b.cells > 0 || b.keep > 0 {
			b.cells, b.keep = 0, 0
			line = b.redraw(line)
		}
	}
	n := visibleWidth(line)
	for range 3 {
		over := n - cols
		if over <= 0 {
			break
		}
		switch {
		case b.total > 0 && (b.cells == 0 || b.cells > minBarWidth):
			// The line without cells measures what they may take.
			cells := b.cells
			if cells == 0 {
				cells = n - visibleWidth(b.redraw(line, progressbar.OptionSetWidth(0)))
			}
			b.cells = max(cells-over-fitSlack, min(minBarWidth, cells), 1)
		case b.keep == 0 || b.keep > minTitle:
			desc := b.base
			if b.keep > 0 {
				desc = cut(desc, b.keep)
			}
			keep := max(visibleWidth(desc)-over-fitSlack, minTitle)
			if keep >= visibleWidth(desc) {
				return line, n // nothing left to cut
			}
			b.keep = keep
		default:
			return line, n
		}
		line = b.redraw(line)
		n = visibleWidth(line)
	}
	return line, n
}

// redraw has progressbar draw the frame again, with extra options, and
// returns its line; line when progressbar drew nothing.
func (b *bar) redraw(line string, extra ...progressbar.Option) string {
	b.configure(append(extra, progressbar.OptionThrottle(0))...)
	b.rec.reset()
	b.pb.Describe(b.pb.State().Description)
	b.configure()
	if l, ok := b.frame(); ok {
		return l
	}
	return line
}

// A recorder takes what progressbar writes, to look at, never to show.
type recorder struct {
	last  string
	wrote bool
}

func (r *recorder) reset() { r.last, r.wrote = "", false }

func (r *recorder) WriteString(s string) (int, error) {
	r.last, r.wrote = s, true
	return len(s), nil
}

func (r *recorder) Write(p []byte) (int, error) { return r.WriteString(string(p)) }

// ansi matches the escape sequences of colours, which take no column.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[a-zA-Z]`)

// visibleWidth returns how many columns s takes on a terminal.
func visibleWidth(s string) int {
	if strings.IndexByte(s, '\x1b') >= 0 {
		s = ansi.ReplaceAllString(s, "")
	}
	n := 0
	for _, r := range s {
		// Most of a frame: printable ASCII and the blocks bars are made
		// of, a column each. Anything else asks uniseg, which is slower.
		if r < 0x20 || r > 0x7e && (r < 0x2580 || r > 0x259f) {
			return uniseg.StringWidth(s)
		}
		n++
	}
	return n
}

// cutLine returns a frame cut to n columns, an ellipsis marking the cut;
// its colour codes are kept whole and, when it has any, it ends with a
// reset, so that what follows the cut is not coloured.
func cutLine(s string, n int) string {
	if visibleWidth(s) <= n {
		return s
	}
	var out strings.Builder
	w, coloured := 0, false
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			if loc := ansi.FindStringIndex(s[i:]); loc != nil && loc[0] == 0 {
				out.WriteString(s[i : i+loc[1]])
				coloured = true
				i += loc[1]
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		rw := uniseg.StringWidth(string(r))
		if w+rw > n-1 {
			break
		}
		out.WriteString(s[i : i+size])
		w += rw
		i += size
	}
	if n > 0 {
		out.WriteString("…")
	}
	if coloured {
		out.WriteString("\x1b[0m")
	}
	return out.String()
}

// cut returns s cut to n columns, an ellipsis marking the cut.
func cut(s string, n int) string {
	if uniseg.StringWidth(s) <= n {
		return s
	}
	w := 0
	for i, r := range s {
		w += uniseg.StringWidth(string(r))
		if w > n-1 {
			return s[:i] + "…"
		}
	}
	return s
}

// columns returns the width of the terminal w writes to, or defaultColumns.
func columns(w io.Writer) int {
	n := 0
	if f, ok := w.(*os.File); ok {
		// Through the raw descriptor: File.Fd would make f blocking.
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) {
				if width, _, err := term.GetSize(int(fd)); err == nil {
					n = width
				}
			})
		}
	}
	if n <= 0 {
		return defaultColumns
	}
	return n
}

// CheckBarOptions returns what is wrong with options of progressbar: the
// library panics on some when a bar is made, and refuses to draw with
// others.
func CheckBarOptions(opts []progressbar.Option) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	probe := progressbar.NewOptions64(1, append(slices.Clip(opts),
		progressbar.OptionSetWriter(io.Discard),
		progressbar.OptionSetVisibility(true),
		progressbar.OptionSetRenderBlankState(false),
	)...)
	return probe.Add(0)
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
