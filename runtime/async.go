package mpire

import "github.com/mpire-go/mpire/runtime/internal/engine"

// A WorkerID identifies a worker slot, from 0 to jobs-1. It stays the same
// when the worker in that slot is restarted.
type WorkerID = engine.WorkerID

// An AsyncResult is the future result of a pool's ApplyAsync. Its methods,
// safe for concurrent use:
//
//	Get() (R, error)         // waits for the task and returns its result
//	Wait()                   // waits for the task
//	Done() <-chan struct{}   // closed when the task has finished
//	Ready() bool             // whether the task has finished
//	Successful() bool        // whether it has finished without error
type AsyncResult[R any] = engine.AsyncResult[R]
