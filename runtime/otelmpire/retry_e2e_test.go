package otelmpire_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	mpire "github.com/mpire-go/mpire/runtime"
)

// flakyOnce fails the first attempt of each task in fail, and succeeds
// after.
func flakyOnce(fail ...int) func(context.Context, int) (int, error) {
	var mu sync.Mutex
	failed := map[int]bool{}
	return func(_ context.Context, x int) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		if slices.Contains(fail, x) && !failed[x] {
			failed[x] = true
			return 0, errors.New("flaky")
		}
		return x, nil
	}
}

// TestRetriesOfACallAreCountedLoggedAndOnItsSpan holds the scheduler to
// telling its observers of each retry it decides: WithRetries, run for
// real, not an observer called by hand.
func TestRetriesOfACallAreCountedLoggedAndOnItsSpan(t *testing.T) {
	r := newRecorded(t)
	var logs bytes.Buffer
	xs := make([]int, 20)
	for i := range xs {
		xs[i] = i
	}
	ys, err := mpire.Map(context.Background(), xs, flakyOnce(3, 11, 17),
		mpire.WithJobs(2), mpire.WithChunkSize(4), mpire.WithRetries(2), mpire.WithRetryBackoff(0, 0),
		r.instrument(), mpire.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil || len(ys) != 20 || ys[17] != 17 {
		t.Fatalf("Map: %v, %v", ys, err)
	}
	if n, _ := r.sum(t, "mpire.retries"); n != 3 {
		t.Errorf("mpire.retries: %d, want 3", n)
	}
	if n := strings.Count(logs.String(), `msg="mpire: task retried"`); n != 3 {
		t.Errorf("%d retries logged, want 3: %s", n, logs.String())
	}
	var retried []int64
	calls := 0
	for _, s := range r.spans.GetSpans() {
		if _, ok := attr(s, "mpire.method"); !ok {
			continue
		}
		calls++
		for _, e := range s.Events {
			if e.Name == "mpire.retry" {
				set := attribute.NewSet(e.Attributes...)
				v, _ := set.Value("mpire.index")
				retried = append(retried, v.AsInt64())
			}
		}
	}
	if calls != 1 {
		t.Fatalf("%d call spans: %v", calls, r.names())
	}
	slices.Sort(retried)
	if !slices.Equal(retried, []int64{3, 11, 17}) {
		t.Errorf("mpire.retry events of indexes %v, want [3 11 17]", retried)
	}
}

// TestATaskRetriedIntoSuccessIsNotAFailedTask holds mpire.tasks to the
// call's counts: a task whose retry succeeded completed, and did not fail,
// as the call's result and its progress bar say.
func TestATaskRetriedIntoSuccessIsNotAFailedTask(t *testing.T) {
	r := newRecorded(t)
	xs := make([]int, 20)
	for i := range xs {
		xs[i] = i
	}
	if _, err := mpire.Map(context.Background(), xs, flakyOnce(3, 11, 17),
		mpire.WithJobs(2), mpire.WithChunkSize(4), mpire.WithRetries(2), mpire.WithRetryBackoff(0, 0), r.instrument()); err != nil {
		t.Fatal(err)
	}
	completed, _ := r.sum(t, "mpire.tasks", attribute.String("mpire.outcome", "completed"))
	failed, _ := r.sum(t, "mpire.tasks", attribute.String("mpire.outcome", "failed"))
	if completed != 20 || failed != 0 {
		t.Errorf("mpire.tasks: %d completed, %d failed; the call's 20 tasks all completed", completed, failed)
	}
}

// TestATaskThatFailsEveryAttemptIsFailedOnce holds mpire.tasks to the
// call's counts when retries run out: each task that failed for good
// (kept, WithContinueOnError) is one failed task, whatever its attempts,
// and each attempt after the first is a retry.
func TestATaskThatFailsEveryAttemptIsFailedOnce(t *testing.T) {
	r := newRecorded(t)
	xs := make([]int, 20)
	for i := range xs {
		xs[i] = i
	}
	_, err := mpire.Map(context.Background(), xs, func(_ context.Context, x int) (int, error) {
		if x == 5 || x == 13 {
			return 0, errors.New("always")
		}
		return x, nil
	}, mpire.WithJobs(2), mpire.WithChunkSize(4), mpire.WithRetries(2), mpire.WithRetryBackoff(0, 0),
		mpire.WithContinueOnError(), r.instrument())
	if n := len(mpire.TaskErrors(err)); n != 2 {
		t.Fatalf("%d failed tasks: %v", n, err)
	}
	completed, _ := r.sum(t, "mpire.tasks", attribute.String("mpire.outcome", "completed"))
	failed, _ := r.sum(t, "mpire.tasks", attribute.String("mpire.outcome", "failed"))
	retries, _ := r.sum(t, "mpire.retries")
	if completed != 18 || failed != 2 || retries != 4 {
		t.Errorf("mpire.tasks: %d completed, %d failed, %d retries; want 18, 2 and 4", completed, failed, retries)
	}
}
