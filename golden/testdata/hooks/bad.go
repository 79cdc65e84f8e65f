// init= and exit= functions that are missing or do not fit.
package hooks

import "context"

// Model is a worker state.
type Model struct{}

// Missing names an init that does not exist.
//
//mpire:task state=Model init=load
func Missing(m *Model, x int) int { return x }

func badParam(m *Model, extra int) error { return nil }

// BadInitParam has an init with a parameter that is not a leading one.
//
//mpire:task state=Model init=badParam
func BadInitParam(m *Model, x int) int { return x }

func badInitResult(ctx context.Context) int { return 0 }

// BadInitResult has an init that returns a value.
//
//mpire:task init=badInitResult
func BadInitResult(x int) int { return x }

func badExitResult() (int, int) { return 0, 0 }

// BadExitResult has an exit that returns two values.
//
//mpire:task exit=badExitResult
func BadExitResult(x int) int { return x }

func genericExit[T any]() T { var t T; return t }

// GenericExit has a generic exit.
//
//mpire:task exit=genericExit
func GenericExit(x int) int { return x }

// VarInit names a variable.
//
//mpire:task init=notAFunc
func VarInit(x int) int { return x }

var notAFunc = 3

func finish() {}

// MistypedExit mistypes its exit function.
//
//mpire:task exit=fnish
func MistypedExit(x int) int { return x }
