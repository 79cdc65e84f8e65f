package mpire_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// A task past its time limit, in the log: a Warn record with the task, the
// worker and the index. (The handler leaves out the time, so that the
// output is the same on every run.)
func ExampleWithLogger() {
	logs := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	slow := func(ctx context.Context, d time.Duration) (int, error) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		return 0, ctx.Err()
	}
	mpire.Map(context.Background(), []time.Duration{0, time.Hour}, slow,
		mpire.WithJobs(1), mpire.WithTaskTimeout(50*time.Millisecond), mpire.WithLogger(logs))
	// Output:
	// level=WARN msg="mpire: time limit reached" task=runtime_test.ExampleWithLogger.func2 worker=0 phase=task index=1 error="time limit reached: still running after 50ms"
}
