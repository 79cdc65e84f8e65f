//go:build unix

package mpire_test

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/creack/pty"

	mpire "github.com/mpire-go/mpire/runtime"
)

// frameRE is a frame of a bar with a known total, as a terminal shows it.
var frameRE = regexp.MustCompile(`^tty +(\d+)% \|[█▏▎▍▌▋▊▉ ]{30}\| (\d+)/40 \[\d\d:\d\d(<\d\d:\d\d)?(, ([\d.]+) tasks/s)?\]$`)

// TestProgressBarOnATerminal draws a bar on a pseudo-terminal and reads
// back what the terminal received, frame by frame.
func TestProgressBarOnATerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pseudo-terminal:", err)
	}
	defer ptmx.Close()
	read := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx) // until the terminal closes
		read <- b
	}()

	// 40 tasks of at least 10 ms on 2 workers: no more than 200 tasks a
	// second, ever.
	p, _ := newPool(t, slowTask(10), mpire.WithJobs(2))
	_, err = p.Map(ctx, ints(40), mpire.WithProgressBarWriter(tty), mpire.WithProgressBarTitle("tty"))
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
	last := 0
	for i, f := range fs {
		f = strings.TrimRight(f, " ")
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
		if m[5] != "" {
			if rate, _ := strconv.ParseFloat(m[5], 64); rate > 200 {
				t.Errorf("frame %q claims %.0f tasks/s, more than 2 workers can do", f, rate)
			}
		}
	}
	if last != 40 {
		t.Errorf("the last frame shows %d tasks done of 40", last)
	}
}
