package engine

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/schollz/progressbar/v3"
)

// frameWriter keeps every Write apart: a frame is one Write.
type frameWriter struct{ writes []string }

func (w *frameWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// lines returns the frames written, without the carriage return that
// starts them, the blanks that pad them and the newline that ends the last.
func (w *frameWriter) lines() []string {
	ls := make([]string, len(w.writes))
	for i, f := range w.writes {
		ls[i] = strings.TrimRight(strings.TrimPrefix(f, "\r"), " \n")
	}
	return ls
}

// testBar makes a bar that writes to a frameWriter as if on a terminal of
// cols columns. The test is its clock: a frame is drawn when it says.
func testBar(total int64, title string, cols int, style ...progressbar.Option) (*bar, *frameWriter) {
	w := &frameWriter{}
	b := newBar(&ProgressOptions{W: w, Title: title, Style: style}, total)
	b.cols = func() int { return cols }
	return b, w
}

// Parts of frames whose figures depend on the clock: a rate, an elapsed
// time, a time left.
const (
	rate = `\d+ tasks/(s|min|hr)`
	dur  = `(\d+h)?(\d+m)?\d+s`
)

// frameRE builds a regular expression for a whole frame from a pattern
// where RATE and DUR stand for the clock's figures, SPIN for a spinner, PART
// for cells of any width, CUT for a title cut, and the rest is literal.
func frameRE(pattern string) *regexp.Regexp {
	q := regexp.QuoteMeta(pattern)
	for _, r := range [][2]string{
		{"RATE", rate}, {"DUR", dur}, {"SPIN", `[|/\\-]`}, {"PART", `█*\s*`}, {"CUT", `a long[^…]*…`},
	} {
		q = strings.ReplaceAll(q, r[0], r[1])
	}
	return regexp.MustCompile("^" + q + "$")
}

func TestBarFrames(t *testing.T) {
	fail := errors.New("bad")
	cases := []struct {
		name    string
		total   int64
		title   string
		updates []int64
		done    int64
		err     error
		want    []string // every frame written, in order
	}{
		{"known total", 1000, "sq", []int64{0, 420}, 1000, nil, []string{
			"sq   0% |                              | (0/1000) [DUR]",
			"sq   0% |                              | (0/1000) [DUR]",
			"sq  42% |████████████                  | (420/1000, RATE) [DUR:DUR]",
			"sq 100% |██████████████████████████████| (1000/1000, RATE) [DUR]",
		}},
		{"all counted, not ended", 10, "", []int64{10}, 10, nil, []string{
			"   0% |                              | (0/10) [DUR]",
			"  90% |███████████████████████████   | (9/10, RATE) [DUR:DUR]",
			" 100% |██████████████████████████████| (10/10, RATE) [DUR]",
		}},
		{"completed short of its length", 10, "", []int64{3}, 7, nil, []string{
			"   0% |                              | (0/10) [DUR]",
			"  30% |█████████                     | (3/10, RATE) [DUR:DUR]",
			" 100% |██████████████████████████████| (7/7, RATE) [DUR]",
		}},
		{"nothing done of a known length", 10, "sq", nil, 0, nil, []string{
			"sq   0% |                              | (0/10) [DUR]",
			"SPIN sq (0) [DUR]",
		}},
		{"failed", 10, "sq", []int64{2}, 4, fail, []string{
			"sq   0% |                              | (0/10) [DUR]",
			"sq  20% |██████                        | (2/10, RATE) [DUR:DUR]",
			"sq (failed)  40% |████████████                  | (4/10, RATE) [DUR]",
		}},
		{"failed before a task was done", 10, "", nil, 0, fail, []string{
			"   0% |                              | (0/10) [DUR]",
			"(failed)   0% |                              | (0/10) [DUR]",
		}},
		{"failed after every task", 4, "", nil, 4, fail, []string{
			"   0% |                              | (0/4) [DUR]",
			"(failed) 100% |██████████████████████████████| (4/4, RATE) [DUR]",
		}},
		{"unknown total", -1, "sq", []int64{0, 420}, 500, nil, []string{
			"SPIN sq (0) [DUR]",
			"SPIN sq (0) [DUR]",
			"SPIN sq (420, RATE) [DUR]",
			"SPIN sq (500, RATE) [DUR]",
		}},
		{"unknown total, failed", -1, "sq", []int64{420}, 500, fail, []string{
			"SPIN sq (0) [DUR]",
			"SPIN sq (420, RATE) [DUR]",
			"SPIN sq (failed) (500, RATE) [DUR]",
		}},
		{"total of 0", 0, "sq", []int64{0}, 0, nil, []string{
			"SPIN sq (0) [DUR]",
			"SPIN sq (0) [DUR]",
			"SPIN sq (0) [DUR]",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, w := testBar(tc.total, tc.title, 80)
			b.start()
			for _, n := range tc.updates {
				b.update(n)
			}
			b.end(tc.done, tc.err)
			got := w.lines()
			if len(got) != len(tc.want) {
				t.Fatalf("%d frames, want %d:\n%q", len(got), len(tc.want), w.writes)
			}
			for i, re := range tc.want {
				if !frameRE(re).MatchString(got[i]) {
					t.Errorf("frame %d:\ngot  %q\nwant %q", i, got[i], re)
				}
			}
			for i, f := range w.writes {
				if !strings.HasPrefix(f, "\r") || strings.Contains(f[1:], "\r") {
					t.Errorf("frame %d is not one line redrawn in place: %q", i, f)
				}
				if end := strings.HasSuffix(f, "\n"); end != (i == len(w.writes)-1) {
					t.Errorf("frame %d of %d ends its line: %v", i, len(w.writes), end)
				}
			}
		})
	}
}

// TestBarFitsTheTerminal draws lines that would be too wide: the bar's cells
// narrow, then the title is cut.
func TestBarFitsTheTerminal(t *testing.T) {
	long := strings.TrimSpace(strings.Repeat("a long title ", 4))
	cases := []struct {
		name  string
		cols  int
		title string
		total int64
		want  string // the frame of 40 tasks done
	}{
		{"wide enough", 140, long, 100,
			long + "  40% |████████████                  | (40/100, RATE) [DUR:DUR]"},
		{"the cells narrow", 115, long, 100,
			long + "  40% |PART| (40/100, RATE) [DUR:DUR]"},
		{"the title is cut", 70, long, 100,
			"CUT  40% |████      | (40/100, RATE) [DUR:DUR]"},
		{"unknown width", 0, long, 100,
			"CUT  40% |████      | (40/100, RATE) [DUR:DUR]"},
		{"a count, cut", 50, long, -1,
			"SPIN CUT (40, RATE) [DUR]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b *bar
			var w *frameWriter
			cols := tc.cols
			if cols == 0 {
				// A writer that is not a terminal: 80 columns.
				w = &frameWriter{}
				b = newBar(&ProgressOptions{W: w, Title: tc.title}, tc.total)
				cols = defaultColumns
			} else {
				b, w = testBar(tc.total, tc.title, cols)
			}
			b.start()
			b.update(40)
			b.end(40, errors.New("bad"))
			for _, l := range w.lines() {
				if n := visibleWidth(l); n > cols {
					t.Errorf("%d columns on a terminal of %d: %q", n, cols, l)
				}
			}
			if got := w.lines()[1]; !frameRE(tc.want).MatchString(got) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestBarStyle: the user's options come after the runtime's defaults.
func TestBarStyle(t *testing.T) {
	b, w := testBar(10, "title", 80,
		progressbar.OptionSetTheme(progressbar.ThemeASCII),
		progressbar.OptionSetWidth(10),
		progressbar.OptionSetDescription("styled"),
		progressbar.OptionSetPredictTime(false),
	)
	b.start()
	b.update(4)
	b.end(10, nil)
	want := []string{
		"styled   0% [..........] (0/10) [DUR]",
		"styled  40% [===>......] (4/10, RATE) [DUR]",
		"styled 100% [==========] (10/10, RATE) [DUR]",
	}
	for i, l := range w.lines() {
		if i >= len(want) || !frameRE(want[i]).MatchString(l) {
			t.Errorf("frame %d: %q", i, l)
		}
	}
}

// TestBarThrottle: between the first frame and the last, the throttle
// decides.
func TestBarThrottle(t *testing.T) {
	b, w := testBar(100, "", 80, progressbar.OptionThrottle(time.Hour))
	b.start()
	for n := range int64(50) {
		b.update(n)
	}
	b.end(50, errors.New("bad"))
	if got := w.lines(); len(got) != 2 || !strings.HasPrefix(got[1], "(failed)  50%") {
		t.Errorf("frames: %q", got)
	}
}

// TestBarClearOnFinish: a bar that progressbar clears leaves a blank line.
func TestBarClearOnFinish(t *testing.T) {
	b, w := testBar(10, "", 80, progressbar.OptionClearOnFinish())
	b.start()
	b.update(5)
	b.end(10, nil)
	last := w.writes[len(w.writes)-1]
	if last != "\r"+strings.Repeat(" ", visibleWidth(w.lines()[1]))+"\r" {
		t.Errorf("frames: %q", w.writes)
	}
}

func TestBarHidden(t *testing.T) {
	b, w := testBar(10, "", 80, progressbar.OptionSetVisibility(false))
	b.start()
	b.update(5)
	b.end(10, nil)
	if len(w.writes) != 0 {
		t.Errorf("a hidden bar wrote %q", w.writes)
	}
}

// TestBarSpinnerInterval: progressbar turns a spinner on an interval with
// a goroutine of its own; the bar keeps it from starting one (goleak
// watches).
func TestBarSpinnerInterval(t *testing.T) {
	b, w := testBar(-1, "", 80, progressbar.OptionSetSpinnerChangeInterval(time.Millisecond))
	b.start()
	b.end(3, nil)
	if got := w.lines(); len(got) != 2 || !frameRE("SPIN  (3, RATE) [DUR]").MatchString(got[1]) {
		t.Errorf("frames: %q", got)
	}
}

// TestBarsShareAWriter draws bars at once on one writer that is not safe
// for concurrent use (the race detector watches): every Write is one whole
// frame.
func TestBarsShareAWriter(t *testing.T) {
	w := &frameWriter{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			b := newBar(&ProgressOptions{W: w, Title: strings.Repeat("x", i)}, 100)
			b.start()
			for n := range int64(100) {
				b.update(n)
			}
			b.end(100, nil)
		})
	}
	wg.Wait()
	whole := regexp.MustCompile(`^\rx* +\d+% \|[█ ]+\| \(\d+/100(, ` + rate + `)?\) \[[^\]]+\] *\n?$`)
	ends := 0
	for _, f := range w.writes {
		if !whole.MatchString(f) {
			t.Errorf("not a whole frame: %q", f)
		}
		if strings.HasSuffix(f, "\n") {
			ends++
		}
	}
	if ends != 8 {
		t.Errorf("%d last frames of 8", ends)
	}
}

func TestCheckBarOptions(t *testing.T) {
	cases := []struct {
		name string
		opts []progressbar.Option
		want string // in the error; "" for none
	}{
		{"none", nil, ""},
		{"a theme", []progressbar.Option{progressbar.OptionSetTheme(progressbar.ThemeASCII)}, ""},
		{"a spinner out of range", []progressbar.Option{progressbar.OptionSpinnerType(99)}, "invalid spinner type"},
		{"two spinners", []progressbar.Option{progressbar.OptionSpinnerType(3), progressbar.OptionSpinnerCustom([]string{"a"})}, "cannot be used together"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckBarOptions(tc.opts)
			if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"squares", 8, "squares"},
		{"squares", 7, "squares"},
		{"squares", 5, "squa…"},
		{"日本語のタイトル", 7, "日本語…"},
	}
	for _, tc := range cases {
		if got := cut(tc.s, tc.n); got != tc.want || visibleWidth(got) > tc.n {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// BenchmarkBar measures what a bar costs a call, whatever its number of
// tasks: made, its first frame, one redraw and its last frame.
func BenchmarkBar(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		bar, _ := testBar(1000, "squares", 120)
		bar.start()
		bar.update(420)
		bar.end(1000, nil)
	}
}

// TestBarNeverWiderThanAVeryNarrowTerminal: on terminals narrower than the
// narrowest bar the cells and a cut title make (40 columns, say), no frame
// is wider than the terminal, with the runtime's defaults or the user's
// style, colours included: a line that wraps cannot be redrawn in place.
func TestBarNeverWiderThanAVeryNarrowTerminal(t *testing.T) {
	long := "a title too long for any narrow terminal"
	styles := map[string][]progressbar.Option{
		"defaults": nil,
		"styled": {
			progressbar.OptionSetTheme(progressbar.ThemeASCII),
			progressbar.OptionSetWidth(60),
			progressbar.OptionSetDescription("[cyan]a long coloured description[reset]"),
			progressbar.OptionEnableColorCodes(true),
		},
	}
	for name, style := range styles {
		for _, cols := range []int{50, 40, 30, 20} {
			for _, total := range []int64{1000, -1} {
				for _, fail := range []error{nil, errors.New("bad")} {
					b, w := testBar(total, long, cols, style...)
					b.start()
					b.update(420)
					b.end(1000, fail)
					for _, l := range w.lines() {
						if n := visibleWidth(l); n > cols {
							t.Errorf("%s, total %d, err %v: %d columns on a terminal of %d: %q", name, total, fail, n, cols, l)
						}
						if strings.Count(l, "\x1b[") > 0 && !strings.HasSuffix(l, "\x1b[0m") {
							t.Errorf("%s: a coloured frame does not end with a reset: %q", name, l)
						}
					}
				}
			}
		}
	}
}
