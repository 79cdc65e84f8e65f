// Task functions whose signatures do not fit.
package signatures

import (
	"context"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Model is a worker state.
type Model struct{}

// StateNotPointer takes the state by value.
//
//mpire:task state=Model
func StateNotPointer(m Model, x int) int { return x }

// CtxLast takes its context after its arguments.
//
//mpire:task
func CtxLast(x int, ctx context.Context) int { return x }

// IDBeforeCtx takes the worker id before the context.
//
//mpire:task
func IDBeforeCtx(id mpire.WorkerID, ctx context.Context, x int) int { return x }

// NoArgs has nothing to work on.
//
//mpire:task state=Model
func NoArgs(ctx context.Context, m *Model) int { return 0 }

// Generic cannot be a task.
//
//mpire:task
func Generic[T any](x T) T { return x }

// NoResult returns nothing.
//
//mpire:task
func NoResult(x int) {}

// OnlyError returns only an error.
//
//mpire:task
func OnlyError(x int) error { return nil }

// ThreeResults returns too much.
//
//mpire:task
func ThreeResults(x int) (int, int, error) { return x, x, nil }

// A function named _ cannot be called.
//
//mpire:task
func _(x int) int { return x }

// Dataset is a shared object.
type Dataset struct{ rows []int }

// SharedValue takes the shared object by value, while shared= says it is
// a pointer.
//
//mpire:task shared=*Dataset
func SharedValue(ds Dataset, i int) int { return ds.rows[i] }

// SharedPointer takes the shared object by pointer, while shared= says it
// is a value.
//
//mpire:task shared=Dataset
func SharedPointer(ds *Dataset, i int) int { return ds.rows[i] }

// use refers to the pools of refused tasks: only the tasks' own
// diagnostics are printed, never that their pools are undefined.
func use() { _, _ = NewStateNotPointerPool, NewGenericPool }
