// Init and exit functions of every allowed shape: any of the task's
// leading parameters in order, possibly none, through aliases too; init
// returning error or nothing, exit returning (E, error), E, error or
// nothing, with E a struct, a func or an anonymous struct.
package main

import (
	"context"
	"errors"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Shared is the shared object of every task here.
type Shared struct{ Base int }

// State is the worker state of every task here.
type State struct{ V int }

// Aliases of the leading parameters' types.
type (
	Ctx    = context.Context
	ID     = mpire.WorkerID
	StateP = *State
)

// None has hooks that take nothing and return nothing.
//
//mpire:task shared=*Shared state=State init=initNone exit=exitNone
func None(ctx context.Context, id mpire.WorkerID, s *Shared, st *State, x int) int { return x + st.V }

func initNone() {}
func exitNone() {}

// All has hooks that take every leading parameter.
//
//mpire:task shared=*Shared state=State init=initAll exit=exitAll
func All(ctx context.Context, id mpire.WorkerID, s *Shared, st *State, x int) int { return x + st.V }

func initAll(ctx context.Context, id mpire.WorkerID, s *Shared, st *State) error {
	st.V = s.Base
	return ctx.Err()
}

func exitAll(ctx context.Context, id mpire.WorkerID, s *Shared, st *State) (int, error) {
	return st.V, nil
}

// Aliased spells the leading parameters through aliases, in the task and
// in its hooks.
//
//mpire:task shared=*Shared state=State init=initAliased exit=exitAliased
func Aliased(ctx Ctx, id ID, s *Shared, st StateP, x int) int { return x + st.V }

func initAliased(ctx Ctx, st StateP)      { st.V = 20 }
func exitAliased(id ID) string            { return fmt.Sprint("worker ", id) }
func exitStruct(st *State) (State, error) { return *st, nil }

// Counted sums into the worker's state; its exit returns the state.
//
//mpire:task state=State exit=exitStruct
func Counted(st *State, x int) int {
	st.V += x
	return x
}

// Func's exit returns a func.
//
//mpire:task state=State exit=exitFunc
func Func(st *State, x int) int { return x }

func exitFunc() (func() int, error) { return func() int { return 5 }, nil }

// Anon's exit returns an anonymous struct.
//
//mpire:task state=State exit=exitAnon
func Anon(st *State, x int) int { return x }

func exitAnon() struct{ A, B int } { return struct{ A, B int }{1, 2} }

// OnlyError's exit returns error, with a named result.
//
//mpire:task state=State exit=exitErr
func OnlyError(st *State, x int) int { return x }

func exitErr() (err error) { return errors.New("exit failed") }

// Failing's init fails.
//
//mpire:task state=State init=initFail exit=exitNamed
func Failing(st *State, x int) int { return x }

func initFail() error               { return errors.New("init failed") }
func exitNamed() (n int, err error) { return 1, nil }

func main() {
	ctx := context.Background()
	s := &Shared{Base: 10}
	one := mpire.WithJobs(1)
	fmt.Println(NewNonePool(s, one).Apply(ctx, 1))
	all := NewAllPool(s, one)
	fmt.Println(all.Apply(ctx, 1))
	fmt.Println(all.ExitResults())
	aliased := NewAliasedPool(s, one)
	fmt.Println(aliased.Apply(ctx, 1))
	fmt.Println(aliased.ExitResults())
	counted := NewCountedPool(one)
	fmt.Println(counted.Map(ctx, []int{1, 2, 3}))
	fmt.Println(counted.ExitResults())
	fn := NewFuncPool(one)
	fmt.Println(fn.Apply(ctx, 1))
	fmt.Println(fn.ExitResults()[0]())
	anon := NewAnonPool(one)
	fmt.Println(anon.Apply(ctx, 1))
	fmt.Println(anon.ExitResults())
	fmt.Println(NewOnlyErrorPool(one).Apply(ctx, 1))
	failing := NewFailingPool(one)
	fmt.Println(failing.Apply(ctx, 1))
	fmt.Println(failing.ExitResults())
}
