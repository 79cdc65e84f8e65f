package catch

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDo(t *testing.T) {
	if o := Do(func() {}, nil); !o.OK() || o.Err() != nil {
		t.Errorf("a function that returns: %+v, %v", o, o.Err())
	}
	o := Do(func() { panic("boom") }, nil)
	if !o.Panicked || o.Value != "boom" || !strings.Contains(string(o.Stack), "catch.TestDo") {
		t.Errorf("a panic: %+v", o)
	}
	if o.Err() == nil || !strings.Contains(o.Err().Error(), "boom") {
		t.Errorf("a panic's error: %v", o.Err())
	}
}

// TestDoGoexit checks that a Goexit is reported to goexited before the
// goroutine ends, and that deferred calls above Do still run.
func TestDoGoexit(t *testing.T) {
	got := make(chan Outcome, 1)
	deferred := make(chan bool, 1)
	go func() {
		defer func() { deferred <- true }()
		Do(runtime.Goexit, func(o Outcome) { got <- o })
		t.Error("Do returned after a Goexit")
	}()
	if o := <-got; !o.Goexited {
		t.Errorf("a Goexit: %+v", o)
	}
	<-deferred
	// A panic recovered while the goroutine ends does not stop the Goexit:
	// goexited still hears of it.
	go func() {
		defer func() { deferred <- true }()
		Do(func() {
			defer func() { recover() }()
			defer func() { panic("while exiting") }()
			runtime.Goexit()
		}, func(o Outcome) { got <- o })
	}()
	if o := <-got; !o.Goexited || !errors.Is(o.Err(), ErrGoexit) {
		t.Errorf("a Goexit: %+v", o)
	}
	<-deferred
}

func TestApart(t *testing.T) {
	if o := Apart(runtime.Goexit); !o.Goexited {
		t.Errorf("a Goexit apart: %+v", o)
	}
	if o := Apart(func() { panic(errors.New("x")) }); !o.Panicked {
		t.Errorf("a panic apart: %+v", o)
	}
	ran := false
	if o := Apart(func() { ran = true }); !o.OK() || !ran {
		t.Errorf("a function apart: %+v, ran %v", o, ran)
	}
	// A function that panics while it ends its goroutine.
	o := Apart(func() {
		defer func() { panic("while exiting") }()
		runtime.Goexit()
	})
	if !o.Goexited {
		t.Errorf("a panic recovered during a Goexit, which goes on: %+v", o)
	}
}

type unwrapPanics struct{}

func (unwrapPanics) Error() string { return "the text" }
func (unwrapPanics) Unwrap() error { panic("Unwrap") }

type errorPanics struct{}

func (errorPanics) Error() string { panic("Error") }

// TestCheckError: an error the runtime can read is kept as it is; one
// whose chain or text panics is replaced by one that says so.
func TestCheckError(t *testing.T) {
	wrapped := fmt.Errorf("outer: %w", io.EOF)
	if got := CheckError(wrapped); got != wrapped {
		t.Errorf("CheckError(%v) = %v, want it unchanged", wrapped, got)
	}
	if CheckError(nil) != nil {
		t.Error("CheckError(nil) is not nil")
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{unwrapPanics{}, "the text (its chain is not kept: reading it panicked: Unwrap)"},
		{fmt.Errorf("outer: %w", unwrapPanics{}), "outer: the text (its chain is not kept: reading it panicked: Unwrap)"},
		{errorPanics{}, "an error of type catch.errorPanics whose Error method panicked: Error"},
	} {
		got := CheckError(tc.err)
		if got.Error() != tc.want {
			t.Errorf("CheckError(%T) = %q, want %q", tc.err, got, tc.want)
		}
		errors.Is(got, io.EOF) // must not panic
	}
}
