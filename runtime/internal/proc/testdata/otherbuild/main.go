// Command otherbuild serves the tests' task from another build than the
// test binary's, which a parent must refuse.
package main

import (
	"context"

	"github.com/mpire-go/mpire/runtime/internal/proc"
)

type handler struct{}

func (handler) Init(context.Context, int, []byte) error { return nil }

func (handler) Run(_ context.Context, _ int, args []byte) ([]byte, int, error) {
	return args, len(args) / 8, nil
}

func (handler) Exit(context.Context, int) ([]byte, error) { return nil, nil }

func init() { proc.Serve("proc-test", handler{}) }

func main() {}
