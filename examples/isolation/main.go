// Isolation: tasks run in worker processes, so a task that takes its
// process down (os.Exit in a library, the OOM killer, a crash in C code, a
// stack overflow) fails only its own call. The program goes on, and the pool gives the slot
// a new process.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"

	mpire "github.com/mpire-go/mpire/runtime"
)

//go:generate go run github.com/mpire-go/mpire/cmd/mpiregen

// Parse parses a record. Two records are poison: one makes it exit the
// process, as a library calling os.Exit or log.Fatal would; the other has
// its process killed, as the OOM killer would. No recover catches either.
//
//mpire:task portable
func Parse(record string) (int, error) {
	switch record {
	case "exit":
		os.Exit(3)
	case "kill":
		self, err := os.FindProcess(os.Getpid())
		if err == nil {
			err = self.Kill()
		}
		return 0, err
	}
	return strconv.Atoi(record)
}

func main() {
	// Worker processes run this same binary, from package initialisation:
	// main never runs in them.
	pool := NewParsePool(mpire.WithProcesses(), mpire.WithJobs(2))
	defer pool.Close()

	ctx := context.Background()
	records := []string{"1", "22", "exit", "333", "kill", "4444", "x"}
	results := make([]*mpire.AsyncResult[int], len(records))
	for i, r := range records {
		results[i] = pool.ApplyAsync(ctx, r)
	}
	for i, res := range results {
		n, err := res.Get()
		switch {
		case errors.Is(err, mpire.ErrWorkerDied):
			// The message goes on with the last lines of the process's
			// stderr: its first line is enough here.
			first, _, _ := strings.Cut(err.Error(), "\n")
			fmt.Printf("%-11q its worker process died: %s\n", records[i], first)
		case err != nil:
			fmt.Printf("%-11q failed: %v\n", records[i], errors.Unwrap(err))
		default:
			fmt.Printf("%-11q parsed: %d\n", records[i], n)
		}
	}

	// The pool goes on, on fresh processes.
	all, err := pool.Map(ctx, []string{"5", "6", "7"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("then:", all)
}
