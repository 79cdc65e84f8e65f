// Package remote runs a pool's workers outside this process: in worker
// processes (package proc) or on a cluster (package cluster). Both sides
// are here. On the pool's side, an Executor speaks to an Endpoint in the
// messages of package wire, with bytes made by the task's generated codecs.
// On the worker's side, a Server answers those messages with the same
// Lifecycle and goroutine executor as a pool in one process.
package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/engine"
	"github.com/mpire-go/mpire/runtime/internal/local"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// An Endpoint is one worker outside this process: a child process, or a
// worker slot's window on a cluster. Requests come one at a time. Each
// method's error is the transport's: the worker died or was killed
// (wrapping engine.ErrWorkerDied), a limit was reached (engine.ErrTimeout),
// or ctx ended before the worker was reached; what the worker's function
// did is in the reply.
type Endpoint interface {
	// Init prepares the worker with the encoded shared object; limit (> 0)
	// bounds the request.
	Init(ctx context.Context, limit time.Duration, shared []byte) (wire.Reply, error)
	// Run runs a chunk. limit (> 0) bounds the request as a whole, when the
	// endpoint can tell running from waiting for a worker; each task's
	// own limit is in the request, for the worker to enforce. When the
	// worker died in the run, the reply may hold, with the error, the
	// tasks that completed before (N and their results): the error is then
	// the failure of the task after them.
	Run(ctx context.Context, limit time.Duration, req *wire.Request) (wire.Reply, error)
	// Exit stops the worker; the reply's payload is the encoded exit value,
	// empty when there is none.
	Exit(ctx context.Context, limit time.Duration) (wire.Reply, error)
	// Close ends the worker, giving it grace to finish by itself.
	Close(grace time.Duration)
	// Alive reports whether the worker may still serve: false once it
	// died or was killed, even while idle.
	Alive() bool
}

// EndpointConfig says which worker an Endpoint is.
type EndpointConfig struct {
	Task   string // Portable.Task
	Schema string // the fingerprint of the task's encoding: both sides must agree
	Worker int    // the worker slot
	CPUs   []int  // the CPUs to pin the worker to; nil when not pinned
}

// A Remote starts the endpoints of a pool's worker slots: set by a pool
// option (WithProcesses, or a cluster's).
type Remote interface {
	engine.Remote
	// Start starts the endpoint of one worker slot; ctx bounds the start.
	Start(ctx context.Context, cfg EndpointConfig) (Endpoint, error)
	// MaxPayload is the largest request the endpoints take, in bytes; 0
	// when there is no limit. A larger chunk is split.
	MaxPayload() int
}

// NewExecutor is the engine.NewExecutor of pools of portable tasks: their
// workers are goroutines of this process, or, when the pool's settings say
// so, worker processes or a Remote's.
func NewExecutor[St, A, R, E any](fn *engine.Func[St, A, R, E], cfg engine.ExecutorConfig) engine.Executor[St, A, R, E] {
	switch s := cfg.Settings; {
	case s.Processes:
		return newExecutor(fn, Processes, cfg)
	case s.Remote != nil:
		return newExecutor(fn, s.Remote.(Remote), cfg)
	}
	return local.New(fn, cfg)
}

// A PortableTask is a portable task as a cluster worker serves it: in bytes,
// with no type parameters.
type PortableTask interface {
	// Schema is the fingerprint of the task's encoding.
	Schema() string
	// NewServer returns a server of a fresh worker of the task, in slot
	// worker, with the encoded shared object; obs, when not nil, observes
	// its worker's life and its traced runs.
	NewServer(worker int, shared []byte, obs engine.Observer) (*Server, error)
}

type portableTask[St, A, R, E any] struct{ pt *engine.Portable[St, A, R, E] }

func (t portableTask[St, A, R, E]) Schema() string { return schemaOf(t.pt) }

func (t portableTask[St, A, R, E]) NewServer(worker int, shared []byte, obs engine.Observer) (*Server, error) {
	return newServer(t.pt, worker, shared, obs)
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
func schemaOf[St, A, R, E any](pt *engine.Portable[St, A, R, E]) string {
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
		// Its spelling, not reflect's Method, whose use anywhere in a
		// program keeps every exported method of every type in its binary.
		// (The one interface that crosses is error.)
		b.WriteString(t.String())
	}
}
