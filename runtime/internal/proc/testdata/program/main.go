// Command program serves the tests' task from another build than the test
// binary's, which the test binary must refuse; with the argument "parent",
// it runs a chunk in a worker process of its own, to show that go run and
// built binaries work and that a worker never runs main.
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/proc"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

type handler struct{}

// Handle runs: it gives the square of each little-endian int64 and the
// worker's pid.
func (handler) Handle(_ context.Context, _ int, phase wire.Phase, args []byte, _ *proc.Ledger) []byte {
	var rep wire.Reply
	if phase == wire.PhaseRun {
		for i := 0; i+8 <= len(args); i += 8 {
			x := binary.LittleEndian.Uint64(args[i:])
			rep.Payload = binary.LittleEndian.AppendUint64(rep.Payload, x*x)
		}
		rep.Payload = binary.LittleEndian.AppendUint64(rep.Payload, uint64(os.Getpid()))
		rep.N = len(args) / 8
	}
	return wire.AppendReply(nil, &rep)
}

func init() { proc.Serve("proc-test", handler{}) }

func main() {
	fmt.Printf("main runs in %d\n", os.Getpid())
	if len(os.Args) < 2 || os.Args[1] != "parent" {
		return
	}
	ctx := context.Background()
	c, err := proc.Start(ctx, proc.Config{Task: "proc-test"})
	if err != nil {
		log.Fatal(err)
	}
	var args []byte
	for x := range uint64(4) {
		args = binary.LittleEndian.AppendUint64(args, x)
	}
	raw, err := c.Request(ctx, wire.PhaseRun, args)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := wire.ParseReply(raw, wire.PhaseRun, 4)
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < rep.N; i++ {
		fmt.Print(binary.LittleEndian.Uint64(rep.Payload[8*i:]), " ")
	}
	fmt.Printf("in %d\n", binary.LittleEndian.Uint64(rep.Payload[8*rep.N:]))
	if err := c.Close(time.Minute); err != nil {
		log.Fatal(err)
	}
}
