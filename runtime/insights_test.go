package mpire_test

import (
	"context"
	"strings"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

func TestInsightsRecordWhereTimeWent(t *testing.T) {
	p, _ := newPool(t, spec{
		init: func(context.Context, mpire.WorkerID, *state) error { time.Sleep(5 * time.Millisecond); return nil },
		task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
			d := 50 * time.Microsecond // long enough to be timed one by one
			if x == 17 {
				d = 60 * time.Millisecond // the longest task, by a wide margin
			}
			time.Sleep(d)
			return x, nil
		},
	}, mpire.WithJobs(2), mpire.WithInsights())
	if _, err := p.Map(ctx, ints(40)); err != nil {
		t.Fatal(err)
	}
	in := p.Insights()
	if len(in.Workers) != 2 || in.CompletedTasks() != 40 {
		t.Fatalf("insights: %d workers, %d tasks", len(in.Workers), in.CompletedTasks())
	}
	if len(in.TopTasks) != 5 || in.TopTasks[0].Index != 17 || in.TopTasks[0].Args != "x=17" || in.TopTasks[0].Tasks != 1 || in.TopTasks[0].Duration < 60*time.Millisecond {
		t.Fatalf("top tasks = %+v", in.TopTasks)
	}
	for i := 1; i < len(in.TopTasks); i++ {
		if in.TopTasks[i].Duration > in.TopTasks[i-1].Duration {
			t.Fatalf("top tasks not longest first: %+v", in.TopTasks)
		}
	}
	if in.TotalInit < 5*time.Millisecond || in.TotalWorking < 60*time.Millisecond {
		t.Fatalf("init %v, working %v", in.TotalInit, in.TotalWorking)
	}
	if in.Total != in.TotalStartUp+in.TotalInit+in.TotalWaiting+in.TotalWorking+in.TotalExit {
		t.Fatal("Total is not the sum of the phases")
	}
	report := in.String()
	for _, want := range []string{"WorkerPool insights", "Total number of tasks completed: 40", "Total working time: 0:00:00.", "ratio:", "Stats per worker", "Worker 1: n_completed_tasks=", "Top 5 longest tasks", "Task index: 17, Arguments: x=17"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestInsightsAreEmptyWhenNotEnabled(t *testing.T) {
	p, _ := newPool(t, spec{})
	if _, err := p.Map(ctx, ints(10)); err != nil {
		t.Fatal(err)
	}
	if in := p.Insights(); len(in.Workers) != 0 || in.Total != 0 {
		t.Fatalf("insights without WithInsights: %+v", in)
	}
}

func TestInsightsTimeTinyTasksInGroups(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 5000 {
			time.Sleep(60 * time.Millisecond) // far longer than any stall
		}
		return x, nil
	}}, mpire.WithJobs(1), mpire.WithInsights())
	if _, err := p.Map(ctx, ints(10_000), mpire.WithChunkSize(1000)); err != nil {
		t.Fatal(err)
	}
	in := p.Insights()
	if in.CompletedTasks() != 10_000 {
		t.Fatalf("%d tasks completed", in.CompletedTasks())
	}
	top := in.TopTasks[0]
	// The slow task is the top entry, alone or in a group that holds it.
	if top.Duration < 60*time.Millisecond || top.Index > 5000 || top.Index+top.Tasks <= 5000 {
		t.Fatalf("top entry %+v does not hold task 5000", top)
	}
	if top.Tasks > 1 && !strings.Contains(in.String(), "timed together") {
		t.Fatalf("the report does not say tasks were timed together:\n%s", in)
	}
}
