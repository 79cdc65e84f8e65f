package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/proc"
)

// An Endpoint is one worker outside this process, spoken to in bytes made by
// the task's codecs: a child process (*proc.Child), or a worker slot's
// window on a cluster. Requests come one at a time.
type Endpoint interface {
	// Init prepares the worker with the encoded shared object.
	Init(ctx context.Context, shared []byte) (proc.Reply, error)
	// Run runs a chunk: its first index, its task time limit and its
	// encoded arguments, as a proc.Handler's Run reads them.
	Run(ctx context.Context, args []byte) (proc.Reply, error)
	// Exit stops the worker; the reply's payload is 0, or 1 and the
	// encoded exit value.
	Exit(ctx context.Context) (proc.Reply, error)
	// Kill ends the worker at once: the request in flight returns.
	Kill()
	// Dead is closed once the worker has ended.
	Dead() <-chan struct{}
	// Err says why the worker ended; nil while it serves.
	Err() error
	// Close ends the worker, giving it grace to finish by itself.
	Close(grace time.Duration) error
}

// EndpointConfig says which worker an Endpoint is.
type EndpointConfig struct {
	Task   string // Portable.Task
	Schema string // the fingerprint of the task's encoding: both sides must agree
	Worker int    // the worker slot
	CPUs   []int  // the CPUs to pin the worker to; nil when not pinned
}

// A Remote starts the endpoints of a pool's worker slots: Settings.Remote,
// set by a pool option (WithProcesses, or a cluster's).
type Remote interface {
	// String names the option that set it, for errors.
	String() string
	// Start starts the endpoint of one worker slot.
	Start(ctx context.Context, cfg EndpointConfig) (Endpoint, error)
	// MaxPayload is the largest request the endpoints take, in bytes; 0
	// when there is no limit. A larger chunk is split.
	MaxPayload() int
	// Queued reports that a request may wait in a queue before a worker
	// takes it: the task time limit is then the worker's alone, since this
	// side cannot tell waiting from running.
	Queued() bool
	// Check returns why the remote cannot serve a pool or a call with these
	// settings; nil when it can. exitValues tells that the task's exit
	// function returns a value to collect.
	Check(s *Settings, exitValues bool) error
}

// processes is the Remote of WithProcesses: child processes of this binary.
type processes struct{}

func (processes) Start(ctx context.Context, cfg EndpointConfig) (Endpoint, error) {
	return proc.Start(ctx, proc.Config{Task: cfg.Task, Worker: cfg.Worker, CPUs: cfg.CPUs})
}

func (processes) MaxPayload() int { return 0 }

func (processes) Queued() bool { return false }

func (processes) String() string { return "WithProcesses" }

func (processes) Check(*Settings, bool) error { return nil }

// A PortableTask is a portable task as a cluster worker serves it: in bytes,
// with no type parameters.
type PortableTask interface {
	// Schema is the fingerprint of the task's encoding.
	Schema() string
	// NewWorker returns a fresh worker of the task: Init, then runs, then
	// Exit, with the same Run payloads as a worker process.
	NewWorker() PortableWorker
}

// A PortableWorker is one worker of a portable task, served in bytes.
type PortableWorker interface {
	proc.Handler
	// Died reports what the last Run did when a task ended the goroutine
	// that called it with runtime.Goexit: the encoded results of the tasks
	// completed before, their number, and the error naming the task.
	Died() (results []byte, n int, err error)
}

type portableTask[St, A, R, E any] struct{ pt *Portable[St, A, R, E] }

func (t portableTask[St, A, R, E]) Schema() string { return schemaOf(t.pt) }

func (t portableTask[St, A, R, E]) NewWorker() PortableWorker {
	return &childHandler[St, A, R, E]{pt: t.pt}
}

// portables holds every portable task linked into this binary, by
// Portable.Task: what ServePortable registered.
var portables sync.Map

// PortableTasks returns the portable tasks linked into this binary, by
// name.
func PortableTasks() map[string]PortableTask {
	m := map[string]PortableTask{}
	portables.Range(func(k, v any) bool {
		m[k.(string)] = v.(PortableTask)
		return true
	})
	return m
}

// schemaOf returns the fingerprint of pt's encoding: a hash of its task's
// name and of its Schema or, without one, of the structure of its types,
// which is what decides whether two builds' codecs agree.
func schemaOf[St, A, R, E any](pt *Portable[St, A, R, E]) string {
	var b strings.Builder
	b.WriteString(pt.Task)
	b.WriteByte('\n')
	if pt.Schema != "" {
		b.WriteString(pt.Schema)
	} else {
		for _, t := range []reflect.Type{reflect.TypeFor[St](), reflect.TypeFor[A](), reflect.TypeFor[R](), reflect.TypeFor[E]()} {
			describeType(&b, t, map[reflect.Type]bool{})
			b.WriteByte('\n')
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:12])
}

// describeType writes the structure of t: kinds, element types, struct
// fields with their names and tags, and the names of named types.
func describeType(b *strings.Builder, t reflect.Type, seen map[reflect.Type]bool) {
	if t.Name() != "" {
		fmt.Fprintf(b, "%s.%s=", t.PkgPath(), t.Name())
		if seen[t] {
			return
		}
		seen[t] = true
	}
	b.WriteString(t.Kind().String())
	switch t.Kind() {
	case reflect.Array:
		fmt.Fprintf(b, "[%d]", t.Len())
		describeType(b, t.Elem(), seen)
	case reflect.Slice, reflect.Pointer:
		b.WriteByte(' ')
		describeType(b, t.Elem(), seen)
	case reflect.Map:
		b.WriteByte('[')
		describeType(b, t.Key(), seen)
		b.WriteByte(']')
		describeType(b, t.Elem(), seen)
	case reflect.Struct:
		b.WriteByte('{')
		for i := range t.NumField() {
			f := t.Field(i)
			fmt.Fprintf(b, "%s %q ", f.Name, f.Tag)
			describeType(b, f.Type, seen)
			b.WriteByte(';')
		}
		b.WriteByte('}')
	case reflect.Interface:
		methods := make([]string, t.NumMethod())
		for i := range methods {
			methods[i] = t.Method(i).Name
		}
		sort.Strings(methods)
		fmt.Fprintf(b, "%v", methods)
	}
}
