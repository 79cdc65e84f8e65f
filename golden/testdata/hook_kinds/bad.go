// init= and exit= naming what cannot be a hook.
package hooks

import "fmt"

// State is the worker state.
type State struct{ V int }

func init() { fmt.Sprint() }

//mpire:task state=State init=init
func InitFunc(st *State, x int) int { return x }

func (s *State) reset() {}

//mpire:task state=State init=State.reset
func Method(st *State, x int) int { return x }

//mpire:task state=State init=fmt.Println
func Qualified(st *State, x int) int { return x }

//mpire:task state=State init=Itself
func Itself(st *State, x int) int { return x }

//mpire:task init=noState
func NoState(x int) int { return x }

func noState(st *State) {}

//mpire:task state=State exit=byValue
func ByValue(st *State, x int) int { return x }

func byValue(st State) {}

//mpire:task state=State exit=threeResults
func ThreeResults(st *State, x int) int { return x }

func threeResults(st *State) (int, error, error) { return 0, nil, nil }

//mpire:task state=State init=outOfOrder
func OutOfOrder(st *State, x int) int { return x }

func outOfOrder(st *State, extra int) {}
