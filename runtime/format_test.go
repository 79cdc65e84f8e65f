package mpire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

func TestPanicErrorReadsOnOneLine(t *testing.T) {
	p, _ := newPool(t, spec{task: func(_ context.Context, _ mpire.WorkerID, _ *state, x int) (int, error) {
		if x == 3 {
			panic("boom\nsecond line")
		}
		return x, nil
	}})
	_, err := p.Map(ctx, ints(10))
	var pe *mpire.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PanicError inside", err)
	}
	if want := "at index 3 with arguments (x=3): panic: boom second line"; !strings.HasSuffix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Error() = %q, want one line ending %q", err.Error(), want)
	}
	for _, verb := range []string{"%v", "%s"} {
		if s := fmt.Sprintf(verb, err); s != err.Error() {
			t.Errorf("%s prints %q, want the message alone", verb, s)
		}
	}
	if s := fmt.Sprintf("%q", pe); s != `"panic: boom second line"` {
		t.Errorf("%%q prints %s", s)
	}
	// %+v adds the stack, which names the task's own frame.
	for _, e := range []error{err, pe} {
		s := fmt.Sprintf("%+v", e)
		msg, stack, ok := strings.Cut(s, "\n\n")
		if !ok || msg != e.Error() || !strings.Contains(stack, "TestPanicErrorReadsOnOneLine") || !strings.Contains(stack, "goroutine ") {
			t.Errorf("%%+v of %T prints:\n%s", e, s)
		}
	}
	if s := fmt.Sprintf("%+v", errors.New("plain")); s != "plain" {
		t.Errorf("%%+v of a plain error: %q", s)
	}
}

func TestFormatArgsNamesStructFields(t *testing.T) {
	type point struct{ X, Y int }
	type box struct {
		Min, Max point
		Tag      string
	}
	cases := []struct {
		args []any
		want string
	}{
		{[]any{"x", 7, "y", 0}, "x=7, y=0"},
		{[]any{"s", "a b"}, `s="a b"`},
		{[]any{"p", point{1, 2}}, "p={X:1 Y:2}"},
		{[]any{"b", &box{point{0, 0}, point{3, 4}, "t"}}, "b=&{Min:{X:0 Y:0} Max:{X:3 Y:4} Tag:t}"},
		{[]any{"ps", []point{{1, 2}}}, "ps=[{X:1 Y:2}]"},
		{[]any{"x"}, ""},
	}
	for _, tc := range cases {
		if got := mpireimpl.FormatArgs(tc.args...); got != tc.want {
			t.Errorf("FormatArgs(%v) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// ExampleWithProgressBar draws a bar as the call runs. It goes to stderr
// unless WithProgressBarWriter says otherwise; here it goes to a buffer and
// the end of its last frame, the times, is cut off.
func ExampleWithProgressBar() {
	pool := newSquarePool(mpire.WithJobs(2))
	var bar bytes.Buffer
	squares, err := pool.Map(context.Background(), []int{1, 2, 3, 4, 5},
		mpire.WithProgressBarWriter(&bar), mpire.WithProgressBarTitle("squares"))
	frames := strings.Split(strings.TrimSpace(bar.String()), "\r")
	last, _, _ := strings.Cut(frames[len(frames)-1], ",")
	fmt.Println(squares, err)
	fmt.Println(last)
	// Output:
	// [1 4 9 16 25] <nil>
	// squares 100% |██████████████████████████████| (5/5
}
