package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// ants starts a default pool of its own when it is loaded.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"))
}

func TestBaselineCheck(t *testing.T) {
	rs := func(seq, base time.Duration) []result {
		return []result{{MedianNs: int64(seq)}, {MedianNs: int64(base)}}
	}
	tests := []struct {
		name  string
		w     workload
		rs    []result
		quick bool
		want  string
	}{
		{"fast enough", workload{}, rs(2*time.Second, time.Second), false, "check: ok, the baseline's speed-up over sequential is 2.00x"},
		{"just enough", workload{}, rs(1500*time.Millisecond, time.Second), false, "check: ok"},
		{"too slow", workload{}, rs(1400*time.Millisecond, time.Second), false, "check: FLAGGED, the baseline's speed-up over sequential is only 1.40x"},
		{"slower than sequential", workload{}, rs(time.Second, 2*time.Second), false, "check: FLAGGED, the baseline's speed-up over sequential is only 0.50x"},
		{"consumer-bound", workload{exempt: "consumer-bound"}, rs(time.Second, time.Second), false, "check: exempt, consumer-bound"},
		{"quick", workload{}, rs(time.Second, 2*time.Second), true, "check: none at quick sizes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := baselineCheck(&tt.w, tt.rs, tt.quick); !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// fakePython writes a shell script that stands for the interpreter: it
// runs body, in which "$3" is the workload and "$4" its sizes (after "-c"
// and the script).
func fakePython(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPythonSide(t *testing.T) {
	// Answers each contender it is asked for with a time that names it,
	// after checking that it was given the workload and its sizes.
	python := fakePython(t, `[ "$3" = numerical ] && [ "$4" = '{"image":7}' ] || exit 3
echo ready
while read c; do
	case "$c" in
	sequential) echo 1.5 ;;
	mpire) echo 0.25 ;;
	*) exit 4 ;;
	esac
done`)
	p, err := startPython(python, t.TempDir(), "numerical", map[string]int{"image": 7})
	if err != nil {
		t.Fatal(err)
	}
	cs := p.contenders()
	want := map[string]time.Duration{"python: sequential": 1500 * time.Millisecond, "MPIRE (python)": 250 * time.Millisecond}
	for range 2 {
		for _, c := range cs {
			if d, err := c.external(); err != nil || d != want[c.name] {
				t.Errorf("%s: got %v, %v; want %v", c.name, d, err, want[c.name])
			}
		}
	}
	if err := p.close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

func TestPythonSideFails(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"before ready", `echo "no numpy" >&2; exit 1`, "stopped before its first timed run"},
		{"something else than ready", `echo hello`, "stopped before its first timed run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startPython(fakePython(t, tt.body), t.TempDir(), "init", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	t.Run("while timing", func(t *testing.T) {
		p, err := startPython(fakePython(t, `echo ready; read c; echo oops; read c`), t.TempDir(), "init", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.time("mpire"); err == nil {
			t.Error("a time that is not a number was taken")
		}
		if _, err := p.time("mpire"); err == nil {
			t.Error("a script that stopped answered")
		}
		p.close()
	})
	t.Run("no interpreter", func(t *testing.T) {
		if _, err := startPython(filepath.Join(t.TempDir(), "none"), t.TempDir(), "init", nil); err == nil {
			t.Error("a missing interpreter started")
		}
	})
}

func TestSoakVerdict(t *testing.T) {
	const mib = 1 << 20
	steady := usage{heap: 4 * mib, rss: 30 * mib, goroutines: 40, fds: 20, childRSS: 60 * mib, childFDs: 40}
	tests := []struct {
		name   string
		second func(u *usage)
		want   string // "" when nothing grows
	}{
		{"steady", func(*usage) {}, ""},
		{"noise", func(u *usage) { u.heap += mib / 2; u.rss += 4 * mib; u.goroutines += 2; u.childFDs++ }, ""},
		{"heap leak", func(u *usage) { u.heap *= 3 }, "heap 4.0 MiB -> 12.0 MiB"},
		{"RSS leak", func(u *usage) { u.rss += 20 * mib }, "RSS 30.0 MiB -> 50.0 MiB"},
		{"children's RSS", func(u *usage) { u.childRSS *= 2 }, "children's RSS 60.0 MiB -> 120.0 MiB"},
		{"goroutine leak", func(u *usage) { u.goroutines += 3 }, "goroutines 40 -> 43"},
		{"descriptor leak", func(u *usage) { u.fds += 10 }, "fds 20 -> 30"},
		{"children's descriptors", func(u *usage) { u.childFDs += 3 }, "children's fds 40 -> 43"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			second := steady
			tt.second(&second)
			got := growth(steady, second)
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("growth = %q, want %q", got, tt.want)
			}
		})
	}
	if got := (usage{heap: 1, fds: 9}).highest(usage{heap: 5, fds: 2}); got.heap != 5 || got.fds != 9 {
		t.Errorf("highest = %+v", got)
	}
}

func TestAgainstGenerated(t *testing.T) {
	ms := func(ds ...int) []time.Duration {
		var runs []time.Duration
		for _, d := range ds {
			runs = append(runs, time.Duration(d)*time.Millisecond)
		}
		return runs
	}
	// The machine slows down in the third run: the medians of the times
	// would say +20% for the closure, the runs' ratios say +10%.
	rs := []result{
		{Contender: "sequential", runs: ms(300, 300, 900)},
		{Contender: "mpire (generated)", runs: ms(200, 200, 600)},
		{Contender: "mpire (closure)", runs: ms(220, 240, 660)},
		{Contender: "mpire + insights", runs: ms(190, 180, 600)},
		{Contender: "mpire (processes)", runs: ms(400, 400, 1200)},
	}
	want := "  against mpire (generated), the median of the runs' ratios: closure +10.0%, insights -5.0%"
	if got := againstGenerated(nil, rs); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := againstGenerated(nil, rs[:2]); got != "" {
		t.Errorf("with nothing to compare: %q", got)
	}
	both := notes(againstGenerated, func(*workload, []result) string { return "" }, func(*workload, []result) string { return "  more" })
	if got := both(nil, rs); got != want+"\n  more" {
		t.Errorf("notes joined: %q", got)
	}
}
