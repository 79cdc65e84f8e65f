//go:build unix

package mpire_test

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/creack/pty"

	mpire "github.com/mpire-go/mpire/runtime"
)

// frameRE is a frame of a bar with a known total, as a terminal shows it.
var frameRE = regexp.MustCompile(`^tty +(\d+)% \|[█ ]{30}\| \((\d+)/40(, (\d+) tasks/(s|min|hr))?\) \[\w+(:\w+)?\]$`)

// onTerminal runs a call that draws its bar on a pseudo-terminal of cols
// columns (0: of unknown width) and returns the frames the terminal
// received.
func onTerminal(t *testing.T, cols uint16, call func(tty *os.File) error) []string {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pseudo-terminal:", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 24, Cols: cols}); err != nil {
		t.Skip("no size for the pseudo-terminal:", err)
	}
	read := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx) // until the terminal closes
		read <- b
	}()
	err = call(tty)
	tty.Close()
	got := <-read
	if err != nil {
		t.Fatal(err)
	}
	// The terminal turns "\n" into "\r\n".
	out := string(bytes.TrimSuffix(got, []byte("\r\n")))
	fs := strings.Split(strings.TrimPrefix(out, "\r"), "\r")
	if len(fs) < 2 {
		t.Fatalf("frames: %q", out)
	}
	for i, f := range fs {
		fs[i] = strings.TrimRight(f, " ")
	}
	return fs
}

// TestProgressBarOnATerminal draws a bar on a pseudo-terminal and reads
// back what the terminal received, frame by frame.
func TestProgressBarOnATerminal(t *testing.T) {
	// 40 tasks of at least 10 ms on 2 workers: no more than 200 tasks a
	// second, ever.
	p, _ := newPool(t, slowTask(10), mpire.WithJobs(2))
	fs := onTerminal(t, 0, func(tty *os.File) error {
		_, err := p.Map(ctx, ints(40), mpire.WithProgressBarWriter(tty), mpire.WithProgressBarTitle("tty"))
		return err
	})
	last := 0
	for i, f := range fs {
		if n := utf8.RuneCountInString(f); n > 80 {
			t.Errorf("frame %q is %d columns wide: it wraps on an 80-column terminal", f, n)
		}
		m := frameRE.FindStringSubmatch(f)
		if m == nil {
			t.Errorf("frame %d is malformed: %q", i, f)
			continue
		}
		pct, _ := strconv.Atoi(m[1])
		done, _ := strconv.Atoi(m[2])
		if done < last {
			t.Errorf("frame %q goes back from %d", f, last)
		}
		last = done
		if (pct == 100) != (i == len(fs)-1) {
			t.Errorf("frame %d of %d shows %d%%: %q", i+1, len(fs), pct, f)
		}
		if m[5] == "s" {
			if rate, _ := strconv.ParseFloat(m[4], 64); rate > 200 {
				t.Errorf("frame %q claims %.0f tasks/s, more than 2 workers can do", f, rate)
			}
		}
	}
	if last != 40 {
		t.Errorf("the last frame shows %d tasks done of 40", last)
	}
}

// TestProgressBarOnANarrowTerminal: on a terminal of 60 columns, the bar's
// cells narrow and a long title is cut, so that no frame wraps.
func TestProgressBarOnANarrowTerminal(t *testing.T) {
	p, _ := newPool(t, slowTask(10), mpire.WithJobs(2))
	title := "a title too long for a terminal of sixty columns"
	fs := onTerminal(t, 60, func(tty *os.File) error {
		_, err := p.Map(ctx, ints(40), mpire.WithProgressBarWriter(tty), mpire.WithProgressBarTitle(title))
		return err
	})
	narrow := regexp.MustCompile(`^a title[^…]*… +\d+% \|[█ ]{10}\| \(\d+/40`)
	for _, f := range fs {
		if n := utf8.RuneCountInString(f); n > 60 {
			t.Errorf("frame %q is %d columns wide: it wraps on a 60-column terminal", f, n)
		}
		if !narrow.MatchString(f) {
			t.Errorf("frame %q: want a title cut and 10 cells", f)
		}
	}
}
