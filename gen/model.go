// Package gen reads the //mpire:task directives of a Go package and checks
// each task function, producing a model of it: plain data that the templates
// package turns into code. It reports every problem as a Diagnostic at its
// position in the source.
package gen

import (
	"go/token"
	"go/types"
)

// Package is the model of one package's tasks.
type Package struct {
	Name  string  // package name
	Path  string  // import path
	Dir   string  // directory
	Tasks []*Task // in source order
}

// Task is one task function and the names generated for it.
type Task struct {
	Func string         // the task function's name
	Pos  token.Position // the function's position

	Pool    string // the pool type: PredictPool
	New     string // its constructor: NewPredictPool
	ArgsTyp string // the struct of several arguments: PredictArgs; "" for one

	Leading   []Kind     // the leading parameters the function takes, in order
	Args      []Arg      // the task arguments; at least one
	Variadic  bool       // the last argument is variadic
	Result    types.Type // R
	ResultErr bool       // the function also returns an error
	Shared    types.Type // the shared= type; nil without it
	State     types.Type // the state= type T (the parameter is *T); nil without it
	Init      *Hook      // nil without init=
	Exit      *Hook      // nil without exit=
}

// Kind is one of the leading parameters of a task, init or exit function.
type Kind int

const (
	Ctx      Kind = iota + 1 // ctx context.Context
	WorkerID                 // id mpire.WorkerID
	Shared                   // the shared object
	State                    // the worker state, *T
)

func (k Kind) String() string {
	return [...]string{"", "ctx context.Context", "worker id mpire.WorkerID", "shared object", "worker state"}[k]
}

// Arg is one task argument.
type Arg struct {
	Name  string     // a parameter name for generated code: the function's own, or argN
	Field string     // its field in the Args struct
	Type  types.Type // for a variadic argument, the slice type
}

// Hook is an init or exit function.
type Hook struct {
	Func      string
	Leading   []Kind
	Result    types.Type // exit's E; nil when it returns none
	ResultErr bool       // it returns an error
}
