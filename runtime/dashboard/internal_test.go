package dashboard

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// receive records a batch on the board as the dashboard's handler does.
func receive(t *testing.T, b batch, now time.Time) {
	t.Helper()
	reports, err := b.reports()
	if err != nil {
		t.Fatal(err)
	}
	board.receive(b, reports, now)
}

func TestACallUnheardFromIsLost(t *testing.T) {
	secret := "the secret of lost1"
	token := tokenOf(secret)
	slow, quick := token+"-1", token+"-2"
	call, _ := json.Marshal(CallReport{ID: slow, Func: "Slow", Status: statusRunning, Total: 10, Done: 3, Started: time.Now().Add(-time.Minute)})
	done, _ := json.Marshal(CallReport{ID: quick, Func: "Quick", Status: statusCompleted, Started: time.Now().Add(-time.Minute)})
	b := batch{Token: token, Secret: secret, Program: Program{Name: "killed", PID: 7}, Calls: []json.RawMessage{call, done}}
	t.Cleanup(func() {
		board.mu.Lock()
		for _, id := range []string{slow, quick} {
			board.remoteBytes -= board.remote[id].size
			delete(board.remote, id)
		}
		board.mu.Unlock()
	})
	status := func() map[string]CallReport {
		m := map[string]CallReport{}
		for _, c := range board.calls() {
			m[c.ID] = c
		}
		return m
	}

	heard := time.Now().Add(-lostAfter - time.Second)
	receive(t, b, heard)
	got := status()
	if c := got[slow]; c.Status != statusLost || c.LastHeard == nil || !c.LastHeard.Equal(heard) || c.Done != 3 {
		t.Fatalf("a running call not heard from for %v: %+v", lostAfter+time.Second, c)
	}
	if c := got[quick]; c.Status != statusCompleted {
		t.Fatalf("an ended call is never lost: %+v", c)
	}

	// A heartbeat without any call brings the program's calls back.
	receive(t, batch{Token: token, Secret: secret, Program: b.Program}, time.Now())
	if c := status()[slow]; c.Status != statusRunning {
		t.Fatalf("a call of a program heard from again: %+v", c)
	}
}

// stackOfPanic is what debug.Stack gives in a deferred recover of a task
// that panicked, as mpire catches it.
const stackOfPanic = `goroutine 9 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/mpire-go/mpire/runtime/internal/engine.(*Worker[...]).Recover(0xc00001e0f0, 0xc00001e0f8, 0xc00001e100)
	/src/mpire/runtime/internal/engine/executor.go:47 +0x45
panic({0x5f2a40?, 0x6b6ae0?})
	/usr/local/go/src/runtime/panic.go:860 +0x13a
example.com/app.parse({0xc00001a0a8, 0x3})
	/home/me/app/parse.go:12 +0x9b
example.com/app.Work(...)
	/home/me/app/main.go:30
example.com/app.NewWorkPool.func1(0xc000114000, {0xc00012a000, 0x10, 0x10}, {0xc000130000, 0x10, 0x10})
	/home/me/app/mpire_gen.go:41 +0x1d0
github.com/mpire-go/mpire/runtime/internal/engine.(*goroutineExecutor[...]).run(0xc000114000)
	/src/mpire/runtime/internal/engine/executor.go:120 +0x2a5
created by github.com/mpire-go/mpire/runtime/internal/engine.(*Pool[...]).startWorkers in goroutine 1
	/src/mpire/runtime/internal/engine/pool.go:40 +0x1f4
`

func TestAPanicsStackBeginsWithTheUsersFrame(t *testing.T) {
	got := userFirst(parseStack([]byte(stackOfPanic)))
	want := []Frame{
		{"example.com/app.parse", "example.com/app/parse.go:12", false},
		{"example.com/app.Work", "example.com/app/main.go:30", false},
		{"example.com/app.NewWorkPool.func1", "example.com/app/mpire_gen.go:41", true},
		{"github.com/mpire-go/mpire/runtime/internal/engine.(*goroutineExecutor[...]).run", "github.com/mpire-go/mpire/runtime/internal/engine/executor.go:120", true},
		{"created by github.com/mpire-go/mpire/runtime/internal/engine.(*Pool[...]).startWorkers", "github.com/mpire-go/mpire/runtime/internal/engine/pool.go:40", true},
	}
	if len(got) != len(want) {
		t.Fatalf("frames:\n%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frame %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestCutKeepsRunesWhole(t *testing.T) {
	s := strings.Repeat("é", 300) // two bytes each
	c := cut(s, maxText)
	if len(c) > maxText || !strings.HasSuffix(c, "…") || strings.ToValidUTF8(c, "?") != c {
		t.Fatalf("cut to %d bytes: %q", len(c), c)
	}
	if cut("short", maxText) != "short" {
		t.Fatal("a short string was cut")
	}
}
