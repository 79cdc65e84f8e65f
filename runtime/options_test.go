package mpire_test

import (
	"strings"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

func TestConstructorPanicsOnInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		opt  mpire.Option
		want string
	}{
		{mpire.WithJobs(-1), "WithJobs(-1)"},
		{mpire.WithChunkSize(0), "WithChunkSize(0)"},
		{mpire.WithNSplits(-3), "WithNSplits(-3)"},
		{mpire.WithMaxTasksActive(0), "WithMaxTasksActive(0)"},
		{mpire.WithWorkerLifespan(0), "WithWorkerLifespan(0)"},
		{mpire.WithIterableLen(-1), "WithIterableLen(-1)"},
		{mpire.WithTaskTimeout(0), "WithTaskTimeout(0s)"},
		{mpire.WithWorkerInitTimeout(-time.Second), "WithWorkerInitTimeout(-1s)"},
		{mpire.WithWorkerExitTimeout(0), "WithWorkerExitTimeout(0s)"},
		{mpire.WithCPUIDs(), "WithCPUIDs()"},
		{mpire.WithCPUIDs(-2), "CPU id -2"},
		{mpire.WithCPUSets([]int{}), "empty"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tc.want) {
					t.Fatalf("panic %q does not name %q", msg, tc.want)
				}
			}()
			newPool(t, spec{}, tc.opt)
		})
	}
}

func TestWrongNumberOfCPUSetsPanics(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "3 CPU sets for 2 workers") {
			t.Fatalf("panic %q", msg)
		}
	}()
	newPool(t, spec{}, mpire.WithJobs(2), mpire.WithCPUIDs(0, 0, 0))
}

func TestPoolOptionsAreNotCallOptions(t *testing.T) {
	for name, opt := range map[string]mpire.Option{
		"WithJobs":       mpire.WithJobs(2),
		"WithKeepAlive":  mpire.WithKeepAlive(),
		"WithOrderTasks": mpire.WithOrderTasks(),
		"WithInsights":   mpire.WithInsights(),
		"WithCPUIDs":     mpire.WithCPUIDs(0),
		"WithCPUSets":    mpire.WithCPUSets([]int{0}),
	} {
		if _, ok := opt.(mpire.CallOption); ok {
			t.Errorf("%s is a CallOption: given to a call, it would compile", name)
		}
	}
}

func TestInvalidCallOptionsAreErrors(t *testing.T) {
	p, _ := newPool(t, spec{})
	for _, tc := range []struct {
		opt  mpire.CallOption
		want string
	}{
		{mpire.WithChunkSize(0), "WithChunkSize(0)"},
		{mpire.WithNSplits(-1), "WithNSplits(-1)"},
		{mpire.WithMaxTasksActive(0), "WithMaxTasksActive(0)"},
		{mpire.WithTaskTimeout(-time.Second), "WithTaskTimeout(-1s)"},
	} {
		if _, err := p.Map(ctx, ints(3), tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Map = %v, want an error naming %q", err, tc.want)
		}
		if _, err := p.Apply(ctx, 3, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Apply = %v, want an error naming %q", err, tc.want)
		}
		if _, err := collect(p.IMap(ctx, func(func(int) bool) {}, tc.opt)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("IMap = %v, want an error naming %q", err, tc.want)
		}
	}
}

func TestCallOptionsOverrideThePoolsOnlyForThatCall(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(1), mpire.WithWorkerLifespan(1), mpire.WithChunkSize(1))
	if _, err := p.Map(ctx, ints(10), mpire.WithWorkerLifespan(100)); err != nil {
		t.Fatal(err)
	}
	if n := len(p.ExitResults()); n != 1 {
		t.Fatalf("%d worker lives with a lifespan of 100 for this call, want 1", n)
	}
	if _, err := p.Map(ctx, ints(10)); err != nil {
		t.Fatal(err)
	}
	if n := len(p.ExitResults()); n != 10 {
		t.Fatalf("%d worker lives with the pool's lifespan of 1, want 10", n)
	}
}
