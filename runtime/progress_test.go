package mpire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/schollz/progressbar/v3"

	mpire "github.com/mpire-go/mpire/runtime"
)

// syncBuffer is a bytes.Buffer safe for the progress bar's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressBarShowsTheFullCount(t *testing.T) {
	var out syncBuffer
	p, _ := newPool(t, spec{})
	if _, err := p.Map(ctx, ints(500), mpire.WithProgressBarWriter(&out), mpire.WithProgressBarTitle("squares")); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "squares") || !strings.Contains(s, "100%") || !strings.Contains(s, "500/500") {
		t.Fatalf("progress bar output:\n%q", s)
	}
}

func TestProgressBarCountsUpWithoutATotal(t *testing.T) {
	var out syncBuffer
	p, _ := newPool(t, spec{})
	if _, err := collect(p.IMap(ctx, slices.Values(ints(300)), mpire.WithProgressBarWriter(&out))); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "300") {
		t.Fatalf("progress bar output:\n%q", s)
	}
}

func TestProgressBarShowsAFailure(t *testing.T) {
	var out syncBuffer
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 5 {
			return 0, errors.New("bad")
		}
		return x, nil
	}}, mpire.WithJobs(1))
	if _, err := p.Map(ctx, ints(100), mpire.WithChunkSize(1), mpire.WithProgressBarWriter(&out)); err == nil {
		t.Fatal("no error")
	}
	if s := out.String(); !strings.Contains(s, "failed") || strings.Contains(s, "100%") {
		t.Fatalf("progress bar output after a failure:\n%q", s)
	}
}

// frames splits a bar's output into its frames.
func frames(out string) []string {
	var fs []string
	for _, f := range strings.FieldsFunc(out, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if f = strings.TrimRight(f, " "); f != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// slowTask sleeps ms milliseconds per task, so that frames are drawn while
// the call runs.
func slowTask(ms int) spec {
	return spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-ctx.Done():
		}
		return x, nil
	}}
}

func TestProgressBarFrames(t *testing.T) {
	p, _ := newPool(t, slowTask(10), mpire.WithJobs(2))
	cases := []struct {
		name  string
		run   func(w *syncBuffer) error
		final string // a pattern of how the last frame begins
	}{
		{"known length", func(w *syncBuffer) error {
			_, err := p.Map(ctx, ints(30), mpire.WithProgressBarWriter(w), mpire.WithProgressBarTitle("sq"))
			return err
		}, `sq 100% \|█{30}\| \(30/30, \d+ tasks/s\) \[`},
		{"unknown length", func(w *syncBuffer) error {
			_, err := collect(p.IMap(ctx, slices.Values(ints(30)), mpire.WithProgressBarWriter(w)))
			return err
		}, `[|/\\-]  \(30, \d+ tasks/s\) \[`},
		{"iterable length beyond the input", func(w *syncBuffer) error {
			_, err := collect(p.IMap(ctx, slices.Values(ints(30)), mpire.WithIterableLen(1000), mpire.WithProgressBarWriter(w)))
			return err
		}, ` 100% \|█{30}\| \(30/30, `},
		{"iterable length short of the input", func(w *syncBuffer) error {
			_, err := collect(p.IMap(ctx, slices.Values(ints(60)), mpire.WithIterableLen(30), mpire.WithProgressBarWriter(w)))
			return err
		}, ` 100% \|█{30}\| `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			if err := tc.run(&out); err != nil {
				t.Fatal(err)
			}
			fs := frames(out.String())
			last := fs[len(fs)-1]
			if !regexp.MustCompile("^" + tc.final).MatchString(last) {
				t.Errorf("last frame %q, want it to begin %q", last, tc.final)
			}
			if s := out.String(); !strings.HasSuffix(s, "\n") || !strings.HasSuffix(strings.TrimRight(s, " \n"), "]") {
				t.Errorf("the bar does not end its line: %q", out.String())
			}
			for _, f := range fs[:len(fs)-1] {
				if strings.Contains(f, "100%") {
					t.Errorf("frame %q shows 100%% before the end", f)
				}
			}
			for _, f := range fs {
				if strings.Contains(f, "/-") || strings.Contains(f, "?") || strings.Contains(f, "NaN") || strings.Contains(f, "Inf") {
					t.Errorf("frame %q has a stray mark", f)
				}
			}
		})
	}
}

// eta matches the elapsed time and the time left of a frame: "[4s:5s]".
var eta = regexp.MustCompile(`\[\w+:\w+\]`)

func TestProgressBarOfAFailureHasNoETA(t *testing.T) {
	var out syncBuffer
	g := newGate()
	p, _ := newPool(t, spec{task: func(ctx context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 50 {
			g.wait() // hold the failure until frames with an ETA were drawn
			return 0, errors.New("bad")
		}
		return x, nil
	}}, mpire.WithJobs(2))
	go func() {
		for !eta.MatchString(out.String()) {
			time.Sleep(time.Millisecond)
		}
		g.open()
	}()
	if _, err := p.Map(ctx, ints(100), mpire.WithChunkSize(1), mpire.WithProgressBarWriter(&out)); err == nil {
		t.Fatal("no error")
	}
	fs := frames(out.String())
	last := fs[len(fs)-1]
	if !strings.HasPrefix(last, "(failed) ") || eta.MatchString(last) || strings.Contains(last, "100%") {
		t.Fatalf("last frame after a failure: %q", last)
	}
}

// TestProgressBarsShareAWriter draws the bars of calls running at once on
// one writer that is not safe for concurrent use: the race detector watches.
func TestProgressBarsShareAWriter(t *testing.T) {
	var out bytes.Buffer
	p, _ := newPool(t, slowTask(1), mpire.WithJobs(2))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := p.Map(ctx, ints(50), mpire.WithProgressBarWriter(&out)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(out.String(), "(50/50, "); n != 4 {
		t.Fatalf("%d final frames of 4:\n%q", n, out.String())
	}
}

// TestProgressBarOptions styles the bar with progressbar's own options,
// given to a call and as a pool's default: the call's come last.
func TestProgressBarOptions(t *testing.T) {
	ascii := mpire.WithProgressBarOptions(progressbar.OptionSetTheme(progressbar.ThemeASCII), progressbar.OptionSetWidth(20))
	cases := []struct {
		name  string
		pool  []mpire.Option
		call  []mpire.CallOption
		final string // a pattern of how the last frame begins
	}{
		{"none", nil, nil, ` 100% \|█{30}\| \(30/30, `},
		{"a call's", nil, []mpire.CallOption{ascii}, ` 100% \[={20}\] \(30/30, `},
		{"a pool's", []mpire.Option{ascii}, nil, ` 100% \[={20}\] \(30/30, `},
		{"a pool's, then a call's", []mpire.Option{ascii}, []mpire.CallOption{
			mpire.WithProgressBarOptions(progressbar.OptionSetDescription("styled"), progressbar.OptionSetWidth(5)),
		}, `styled 100% \[={5}\] \(30/30, `},
		{"after the title", nil, []mpire.CallOption{
			mpire.WithProgressBarOptions(progressbar.OptionSetDescription("styled")), mpire.WithProgressBarTitle("title"),
		}, `styled 100% \|`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			p, _ := newPool(t, spec{}, tc.pool...)
			if _, err := p.Map(ctx, ints(30), append(tc.call, mpire.WithProgressBarWriter(&out))...); err != nil {
				t.Fatal(err)
			}
			fs := frames(out.String())
			if last := fs[len(fs)-1]; !regexp.MustCompile("^" + tc.final).MatchString(last) {
				t.Errorf("last frame %q, want it to begin %q", last, tc.final)
			}
		})
	}
}

// TestProgressBarOptionsRefused: options that progressbar refuses fail the
// call, or make the constructor panic, as other invalid options do.
func TestProgressBarOptionsRefused(t *testing.T) {
	bad := mpire.WithProgressBarOptions(progressbar.OptionSpinnerType(99))
	p, _ := newPool(t, spec{})
	if _, err := p.Map(ctx, ints(3), bad); err == nil || !strings.Contains(err.Error(), "WithProgressBarOptions: invalid spinner type") {
		t.Errorf("a call with a spinner type out of range: %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "WithProgressBarOptions") {
			t.Errorf("the constructor's panic: %v", r)
		}
	}()
	newPool(t, spec{}, bad)
}

// TestProgressBarOfNoTasks: a total of 0 counts up and never shows a
// percent, 99% least of all.
func TestProgressBarOfNoTasks(t *testing.T) {
	var out syncBuffer
	p, _ := newPool(t, spec{})
	if _, err := collect(p.IMap(ctx, slices.Values(ints(5)), mpire.WithIterableLen(0), mpire.WithProgressBarWriter(&out))); err != nil {
		t.Fatal(err)
	}
	fs := frames(out.String())
	if last := fs[len(fs)-1]; strings.Contains(out.String(), "%") || !strings.Contains(last, "(0)") {
		t.Errorf("frames: %q", fs)
	}
}

// countingWriter counts frames.
type countingWriter struct{ frames atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.frames.Add(1)
	return len(p), nil
}

// TestProgressBarDrawsOnATickNotPerTask: a call of many tiny tasks draws a
// first frame, one per tick of 100 ms and a last one, however many tasks
// end between two ticks. The bound counts the ticks the call's own duration
// allows, so a slow machine only raises it.
func TestProgressBarDrawsOnATickNotPerTask(t *testing.T) {
	var w countingWriter
	p, _ := newPool(t, spec{}, mpire.WithJobs(4))
	start := time.Now()
	if _, err := p.Map(ctx, ints(200_000), mpire.WithChunkSize(1), mpire.WithProgressBarWriter(&w)); err != nil {
		t.Fatal(err)
	}
	ticks := int64(time.Since(start) / (100 * time.Millisecond))
	if n := w.frames.Load(); n < 2 || n > ticks+2 {
		t.Errorf("%d frames for 200000 tasks in %d ticks", n, ticks)
	}
}

func TestInsightsOffWhenNotRecorded(t *testing.T) {
	p, _ := newPool(t, spec{})
	if _, err := p.Map(ctx, ints(10)); err != nil {
		t.Fatal(err)
	}
	if s := p.Insights().String(); !strings.Contains(s, "insights: off") || strings.Contains(s, "0:00:00") {
		t.Fatalf("insights of a pool without WithInsights:\n%s", s)
	}
}

// BenchmarkProgressBar maps tiny tasks without a bar and with one: the bar
// reads a counter ten times a second, so its cost per task is nil.
func BenchmarkProgressBar(b *testing.B) {
	in := ints(tinyTasks)
	for _, tc := range []struct {
		name string
		opts []mpire.CallOption
	}{
		{"off", nil},
		{"on", []mpire.CallOption{mpire.WithProgressBarWriter(io.Discard)}},
		{"styled", []mpire.CallOption{mpire.WithProgressBarWriter(io.Discard), mpire.WithProgressBarOptions(
			progressbar.OptionSetTheme(progressbar.ThemeASCII), progressbar.OptionEnableColorCodes(true),
			progressbar.OptionSetDescription("[cyan]tiny[reset]"),
		)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := tinyPool()
			defer p.Close()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Map(context.Background(), in, tc.opts...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tinyTasks), "ns/task")
		})
	}
}
