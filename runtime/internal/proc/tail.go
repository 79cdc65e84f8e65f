package proc

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"sync"
)

// Bounds of what a tail keeps of a child's stderr.
const (
	tailLines   = 10
	tailLineLen = 512
)

// A tail forwards a child's stderr and keeps its last lines, and the last
// headline of a Go crash, whose dump is often longer than the lines kept.
type tail struct {
	w io.Writer

	mu      sync.Mutex
	lines   [tailLines]string // a ring: the next line goes to lines[n%tailLines]
	n       int
	partial []byte // the line being written
	fatal   string
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	t.w.Write(p) // the child's output must not stop because ours fails
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			t.add(p)
			break
		}
		t.add(p[:i])
		t.end()
		p = p[i+1:]
	}
	return n, nil
}

func (t *tail) add(p []byte) {
	if room := tailLineLen - len(t.partial); room > 0 {
		t.partial = append(t.partial, p[:min(room, len(p))]...)
	}
}

func (t *tail) end() {
	line := string(t.partial)
	t.partial = t.partial[:0]
	if strings.HasPrefix(line, "fatal error: ") || strings.HasPrefix(line, "panic: ") || isSignalCrash(line) {
		t.fatal = line
	}
	t.lines[t.n%tailLines] = line
	t.n++
}

// last returns the crash headline and the last lines, oldest first,
// including an unfinished last line.
func (t *tail) last() (fatal string, lines []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.partial) > 0 {
		t.end()
	}
	for i := max(0, t.n-tailLines); i < t.n; i++ {
		lines = append(lines, t.lines[i%tailLines])
	}
	return t.fatal, lines
}

// isSignalCrash tells whether line is the headline of the Go runtime's
// crash on a signal (runtime/signal_unix.go), "SIGSEGV: segmentation
// violation" for one sent by kill or a fault outside Go code.
func isSignalCrash(line string) bool {
	name, _, ok := strings.Cut(line, ": ")
	return ok && slices.Contains(crashSignals, name)
}

// crashSignals are the signals on which a Go program crashes, printing
// their name first, when it has no handler for them.
var crashSignals = []string{"SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGTRAP", "SIGABRT", "SIGQUIT", "SIGSYS", "SIGEMT", "SIGSTKFLT"}
