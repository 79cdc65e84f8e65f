package engine

import (
	"math"
	"testing"
	"time"
)

func TestBackoffDoublesWithJitterUpToMax(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	for failed, nominal := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 1000: time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b.wait(failed)
			if d < nominal/2 || d > nominal {
				t.Fatalf("after %d failures: waits %v, want between %v and %v", failed, d, nominal/2, nominal)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("after %d failures: only %d different waits in 200: no jitter", failed, len(seen))
		}
	}
	if d := (Backoff{}).wait(math.MaxInt); d != 0 {
		t.Errorf("no backoff waits %v", d)
	}
	if d := (Backoff{Initial: time.Duration(math.MaxInt64 / 3), Max: time.Duration(math.MaxInt64)}).wait(100); d < 0 {
		t.Errorf("a huge backoff overflows to %v", d)
	}
}
