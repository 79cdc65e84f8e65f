package otelmpire_test

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/engine"
)

func count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func TestIMapAndCancelledCallsEndTheirSpans(t *testing.T) {
	r := newRecorded(t)
	id := func(_ context.Context, x int) (int, error) { return x, nil }
	got := 0
	for _, err := range mpire.IMap(context.Background(), count(1000), id, mpire.WithJobs(2), mpire.WithChunkSize(10), r.instrument()) {
		if err != nil {
			t.Fatal(err)
		}
		if got++; got == 25 {
			break // the work stops; the call ends
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err := mpire.Map(ctx, []int{1, 2, 3, 4}, func(ctx context.Context, x int) (int, error) {
		cancel()
		<-ctx.Done()
		return 0, ctx.Err()
	}, mpire.WithJobs(2), r.instrument())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Map: %v", err)
	}
	var calls []string
	for _, s := range r.spans.GetSpans() {
		if _, ok := attr(s, "mpire.method"); ok {
			calls = append(calls, s.Name)
			if s.Status.Code != codes.Error || !strings.Contains(s.Status.Description, "canceled") {
				t.Errorf("%s: status %+v, want the cancellation", s.Name, s.Status)
			}
		}
	}
	if len(calls) != 2 {
		t.Fatalf("calls' spans %v, want 2: %v", calls, r.names())
	}
	if n, _ := r.sum(t, "mpire.calls.active"); n != 0 {
		t.Errorf("mpire.calls.active: %d", n)
	}
	if n, _ := r.sum(t, "mpire.workers.busy"); n != 0 {
		t.Errorf("mpire.workers.busy: %d", n)
	}
}

// TestRetriesAreCountedAndLogged holds what the observers do with a retry,
// which the scheduler tells them of.
func TestRetriesAreCountedAndLogged(t *testing.T) {
	r := newRecorded(t)
	var logs bytes.Buffer
	obs, others := engine.ObserverOf([]engine.Option{r.instrument(), mpire.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))})
	if obs == nil || others {
		t.Fatalf("ObserverOf: %v, others %v", obs, others)
	}
	ctx := obs.Call(context.Background(), &engine.ObservedCall{Task: "t", Method: "Map", Tasks: 3, Jobs: 1, Where: "goroutines"})
	obs.Retry(ctx, engine.ObservedRetry{Task: "t", Worker: 0, Index: 2, Attempt: 2, Err: errors.New("flaky")})
	obs.CallEnd(ctx, &engine.ObservedCall{Task: "t"}, 3, nil)
	if n, _ := r.sum(t, "mpire.retries", attribute.String("mpire.task", "t")); n != 1 {
		t.Errorf("mpire.retries: %d", n)
	}
	call := r.one(t, "t")
	i := slices.IndexFunc(call.Events, func(e sdktrace.Event) bool { return e.Name == "mpire.retry" })
	if i < 0 || !has(attribute.NewSet(call.Events[i].Attributes...), []attribute.KeyValue{attribute.Int("mpire.index", 2), attribute.Int("mpire.attempt", 2)}) {
		t.Errorf("the call's events: %v", call.Events)
	}
	for _, want := range []string{"level=INFO", `msg="mpire: task retried"`, "task=t", "index=2", "attempt=2", "error=flaky"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s: %s", want, logs.String())
		}
	}
}
