package engine

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBarLine(t *testing.T) {
	cases := []struct {
		name    string
		title   string
		total   int64
		done    int64
		elapsed time.Duration
		state   int
		want    string
	}{
		{"first frame", "sq", 1000, 0, 0, barRunning,
			"sq   0% |                              | 0/1000 [00:00]"},
		{"running", "sq", 1000, 420, 4200 * time.Millisecond, barRunning,
			"sq  42% |████████████▌                 | 420/1000 [00:04<00:05, 100 tasks/s]"},
		{"slow", "", 10, 1, 4 * time.Second, barRunning,
			" 10% |███                           | 1/10 [00:04<00:36, 4.00 s/task]"},
		{"all counted, not ended", "", 10, 10, time.Second, barRunning,
			" 99% |█████████████████████████████▋| 10/10 [00:01, 10.0 tasks/s]"},
		{"completed", "", 10, 10, time.Second, barCompleted,
			"100% |██████████████████████████████| 10/10 [00:01, 10.0 tasks/s]"},
		{"completed short of its length", "", 10, 7, time.Second, barCompleted,
			"100% |██████████████████████████████| 7/7 [00:01, 7.0 tasks/s]"},
		{"past a wrong length", "", 10, 12, time.Second, barRunning,
			"12 tasks [00:01, 12.0 tasks/s]"},
		{"failed", "sq", 10, 4, time.Second, barFailed,
			"sq (failed)  40% |████████████                  | 4/10 [00:01, 4.0 tasks/s]"},
		{"unknown length", "sq", -1, 420, 2 * time.Hour, barRunning,
			"sq 420 tasks [2:00:00, 17.14 s/task]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := bar{title: tc.title, total: tc.total}
			if got := b.line(tc.done, tc.elapsed, tc.state); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestBarLineFitsEightyColumns(t *testing.T) {
	b := bar{title: strings.Repeat("a long title ", 10), total: 10_000_000}
	for _, state := range []int{barRunning, barFailed, barCompleted} {
		line := b.line(5_000_000, 30*time.Hour, state)
		if n := utf8.RuneCountInString(line); n > lineWidth {
			t.Errorf("%d columns: %q", n, line)
		}
	}
}
