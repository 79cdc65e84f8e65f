package mpire_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

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
