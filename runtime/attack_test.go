package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// bug marks a test that shows a known defect: it is skipped, so that the
// suite stays green, unless MPIRE_ATTACK_BUGS=1 asks to see it fail.
func bug(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("MPIRE_ATTACK_BUGS") == "" {
		t.Skip("BUG: " + what)
	}
}

// bounded runs f and fails the test, with a dump of every goroutine, when it
// does not return within a generous bound: a hang, not a slow machine.
func bounded(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s hangs; goroutines:\n%s", what, buf)
	}
}

// stringer is an argument type whose String method, used when a failure or
// insights format the arguments, does what its field says.
type stringer struct {
	n    int
	kind string // "", "panic", "panic-twice", "goexit"
}

// panicky panics again when fmt formats it after a first panic: fmt gives
// up and re-panics.
type panicky struct{}

func (panicky) String() string { panic(panicky{}) }

func (s stringer) String() string {
	switch s.kind {
	case "panic":
		panic("String of a task argument")
	case "panic-twice":
		panic(panicky{})
	case "goexit":
		runtime.Goexit()
	}
	return fmt.Sprint("arg", s.n)
}

// newStringerPool builds, the way generated code does, a pool whose task
// fails on negative arguments, so that their String method runs.
func newStringerPool(opts ...mpire.Option) *mpireimpl.Pool[struct{}, stringer, int, int] {
	return mpireimpl.NewPool(mpireimpl.Func[struct{}, stringer, int, int]{
		Name: "stringy",
		Run: func(w *mpireimpl.Worker[struct{}], args []stringer, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if args[n].n < 0 {
					return n, errors.New("negative")
				}
				out[n] = args[n].n
			}
			return n, nil
		},
		Format: func(a *stringer) string { return mpireimpl.FormatArgs("s", *a) },
	}, opts...)
}

// TestAttackStringMethodPanicIsShown: a task fails on an argument whose
// String method panics; the failure is still reported.
func TestAttackStringMethodPanicIsShown(t *testing.T) {
	p := newStringerPool(mpire.WithJobs(2))
	_, err := p.Map(ctx, []stringer{{n: 1}, {n: -1, kind: "panic"}, {n: 3}})
	te := taskErr(t, err)
	if te.Index != 1 {
		t.Fatalf("TaskError %+v, want index 1", te)
	}
}

// TestAttackStringMethodGoexit: the String method of a failing task's
// argument ends the worker's goroutine while the failure is formatted.
func TestAttackStringMethodGoexit(t *testing.T) {
	bug(t, "Goexit in an argument's String method while a failure is formatted hangs the call and Close: "+
		"executor.died formats the same argument again inside slot.serve's deferred recovery, "+
		"which Goexits a second time before p.done and a new serve run")
	p := newStringerPool(mpire.WithJobs(2))
	var err error
	bounded(t, "Map", func() {
		_, err = p.Map(ctx, []stringer{{n: 1}, {n: -1, kind: "goexit"}, {n: 3}}, mpire.WithChunkSize(1))
	})
	if !errors.Is(err, mpire.ErrWorkerDied) {
		t.Errorf("Map = %v, want ErrWorkerDied", err)
	}
	bounded(t, "Close", func() { p.Close() })
}

// TestAttackStringMethodPanicsTwice: fmt re-panics when formatting a panic
// value panics too; formatting a failure must not kill the process.
func TestAttackStringMethodPanicsTwice(t *testing.T) {
	bug(t, "a String method that panics with a value whose String panics kills the process: "+
		"fmt re-panics, and executor.taskError formats arguments on the slot goroutine with no recover")
	p := newStringerPool(mpire.WithJobs(1))
	_, err := p.Map(ctx, []stringer{{n: -1, kind: "panic-twice"}})
	if err == nil {
		t.Fatal("Map succeeded")
	}
}

// Keep the imports used while tests are added.
var (
	_ = context.Background
	_ = math.MaxInt
	_ = slices.Values[[]int]
	_ sync.Mutex
	_ atomic.Int64
)

// TestAttackHugeIterableLen: WithIterableLen far beyond the input takes
// the inputs there are (MPIRE's min(n, inputs)).
func TestAttackHugeIterableLen(t *testing.T) {
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	for _, tc := range []struct {
		name string
		opts []mpire.CallOption
	}{
		{"1<<40", []mpire.CallOption{mpire.WithIterableLen(1 << 40)}},
		{"MaxInt/2 chunk 1", []mpire.CallOption{mpire.WithIterableLen(math.MaxInt / 2), mpire.WithChunkSize(1)}},
		{"MaxInt chunk 3", []mpire.CallOption{mpire.WithIterableLen(math.MaxInt), mpire.WithChunkSize(3)}},
	} {
		for _, ordered := range []bool{true, false} {
			var got []int
			var err error
			bounded(t, tc.name, func() {
				if ordered {
					got, err = collect(p.IMap(ctx, slices.Values(ints(7)), tc.opts...))
				} else {
					got, err = collect(p.IMapUnordered(ctx, slices.Values(ints(7)), tc.opts...))
					slices.Sort(got)
				}
			})
			if err != nil || !slices.Equal(got, squares(7)) {
				t.Errorf("%s ordered=%v: %v, %v", tc.name, ordered, got, err)
			}
		}
	}
}

// TestAttackIterableLenNearMaxInt: the default chunking of a huge
// WithIterableLen overflows its chunk length.
func TestAttackIterableLenNearMaxInt(t *testing.T) {
	bug(t, "IMap with WithIterableLen(math.MaxInt) (default chunking, or WithNSplits(2)) waits forever for "+
		"the bound on active tasks: chunking.maxLen computes (num+den-1)/den, which overflows to a negative "+
		"length, so feeder keeps the chunking (chunks of ~MaxInt/128) with a bound of jobs*1*2 tokens")
	p, _ := newPool(t, spec{}, mpire.WithJobs(2))
	for _, opts := range [][]mpire.CallOption{
		{mpire.WithIterableLen(math.MaxInt)},
		{mpire.WithIterableLen(math.MaxInt), mpire.WithNSplits(2)},
		{mpire.WithIterableLen(math.MaxInt), mpire.WithMaxTasksActive(2)},
	} {
		var got []int
		var err error
		bounded(t, "IMap", func() { got, err = collect(p.IMap(ctx, slices.Values(ints(7)), opts...)) })
		if err != nil || !slices.Equal(got, squares(7)) {
			t.Errorf("IMap = %v, %v", got, err)
		}
	}
}
