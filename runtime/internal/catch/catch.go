// Package catch runs the user's code so that nothing it does can take the
// runtime down with it: a panic becomes an outcome with its stack, and so
// does runtime.Goexit, which no deferred call can stop.
//
// Every place where the runtime calls code it did not write (task, init and
// exit functions, String methods, codecs, progress writers) goes through Do
// or Apart, as sourcegraph/conc's panics.Catcher does for panics.
package catch

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// An Outcome is how a function run by Do or Apart ended. The zero Outcome
// is a function that returned.
type Outcome struct {
	Panicked bool   // it panicked with Value
	Value    any    // the value given to panic
	Stack    []byte // the panicking goroutine's stack
	Goexited bool   // it ended its goroutine with runtime.Goexit
}

// OK reports whether the function returned.
func (o Outcome) OK() bool { return !o.Panicked && !o.Goexited }

// Err returns nil when the function returned, else an error that says how
// it ended.
func (o Outcome) Err() error {
	switch {
	case o.Panicked:
		return fmt.Errorf("panic: %v", o.Value)
	case o.Goexited:
		return ErrGoexit
	}
	return nil
}

// ErrGoexit is Outcome.Err of a function that called runtime.Goexit: its
// text completes a sentence whose subject is the function.
var ErrGoexit = goexitError{}

type goexitError struct{}

func (goexitError) Error() string { return "ended its goroutine (runtime.Goexit, as t.FailNow does)" }

// Do runs f on the calling goroutine and returns how it ended. A panic is
// recovered. A runtime.Goexit cannot be: it goes on ending the goroutine
// once the deferred calls above Do have run. So Do first calls goexited,
// from its own deferred call, for the owner of the goroutine to take over (a
// worker replaces its goroutine there); goexited may be nil when a Goexit
// must simply end the goroutine. A panic recovered while f ended its
// goroutine does not stop the Goexit either, and is reported as one.
func Do(f func(), goexited func(Outcome)) (o Outcome) {
	returned := false
	defer func() {
		if !returned && goexited != nil {
			goexited(Outcome{Goexited: true})
		}
	}()
	o = try(f)
	returned = true
	return o
}

// try runs f, recovering a panic.
func try(f func()) (o Outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = Outcome{Panicked: true, Value: v, Stack: debug.Stack()}
		}
	}()
	f()
	return o
}

// Apart runs f on a goroutine of its own and waits for it: a Goexit there
// is an outcome like any other, and the caller's goroutine goes on. It costs
// a goroutine, so it is for the runtime's rare paths: formatting a failed
// task's arguments, codecs, a worker's init and exit.
func Apart(f func()) Outcome {
	done := make(chan Outcome, 1)
	go func() {
		o := Outcome{Goexited: true} // unless Do returns
		defer func() { done <- o }()
		o = Do(f, nil)
	}()
	return <-done
}

// CheckError returns err when the runtime can read it as it will: its Error
// method, and its chain through Unwrap, Is and As, which errors.Is walks on
// a worker's goroutine. When one of them panics, it returns an error that
// says so, of err's text when Error returned, with no chain: a broken error
// fails its task, not the program. One that ends its goroutine ends the
// caller's, as any function of the user's does.
func CheckError(err error) error {
	if err == nil {
		return nil
	}
	text, read := "", false
	o := Do(func() {
		text, read = err.Error(), true
		var target *brokenError
		errors.Is(err, errNothing)
		errors.As(err, &target)
	}, nil)
	switch {
	case !o.Panicked:
		return err
	case read:
		return &brokenError{fmt.Sprintf("%s (its chain is not kept: reading it panicked: %v)", text, o.Value)}
	}
	return &brokenError{fmt.Sprintf("an error of type %T whose Error method panicked: %v", err, o.Value)}
}

// errNothing is matched by no error: errors.Is walks a whole chain to find
// it.
var errNothing = errors.New("nothing")

// A brokenError stands for an error whose Error method or chain panicked.
type brokenError struct{ text string }

func (e *brokenError) Error() string { return e.text }
