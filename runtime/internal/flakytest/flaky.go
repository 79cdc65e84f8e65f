// Package flakytest is a portable task for the tests of retries in worker
// processes and on a cluster: it fails as its argument says, a given number
// of times, in a given way, and counts its runs in files of a directory,
// which every process sees. Importing it registers the task, as generated
// code registers a portable task.
package flakytest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// How is how a task fails.
type How int

const (
	Error     How = iota // returns ErrUnlucky
	Panic                // panics with ErrUnlucky's text
	Goexit               // ends its goroutine: its worker dies
	Exit                 // exits its process with status 7
	Permanent            // returns mpire.Permanent(ErrUnlucky)
)

// Always is a number of failures that never ends.
const Always = 9

// ErrUnlucky is the error of a failing task.
var ErrUnlucky = errors.New("unlucky")

// Arg is the argument of the task of that index that fails times times
// (Always: every time), in the way how says, and then returns Result(index).
func Arg(index, times int, how How) int { return index*100 + times*10 + int(how) }

// Ok is the argument of the task of that index that never fails.
func Ok(index int) int { return Arg(index, 0, Error) }

// Result is what the task of that index returns when it succeeds.
func Result(index int) int { return index * index }

// Runs returns how many times the task of that index ran with dir.
func Runs(dir string, index int) int {
	fi, err := os.Stat(filepath.Join(dir, strconv.Itoa(index)))
	if err != nil {
		return 0
	}
	return int(fi.Size())
}

// task runs the task of argument x, counting its runs in dir.
func task(dir string, x int) (int, error) {
	index, times, how := x/100, x/10%10, How(x%10)
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(index)), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, mpire.Permanent(err)
	}
	_, err = f.Write([]byte{1})
	f.Close()
	if err != nil {
		return 0, mpire.Permanent(err)
	}
	if times != Always && Runs(dir, index) > times {
		return Result(index), nil
	}
	switch how {
	case Panic:
		panic(ErrUnlucky.Error())
	case Goexit:
		runtime.Goexit()
	case Exit:
		os.Exit(7)
	case Permanent:
		return 0, mpire.Permanent(ErrUnlucky)
	}
	return 0, ErrUnlucky
}

// Pool is a pool of the task.
type Pool = mpireimpl.Pool[struct{}, int, int, struct{}]

// NewPool returns a pool of the task counting its runs in dir.
func NewPool(dir string, opts ...mpire.Option) *Pool {
	fn := funcOf(dir)
	fn.Portable = &portable
	return mpireimpl.NewPool(fn, opts...)
}

// funcOf is what generated code builds for the task with its shared
// object, the directory.
func funcOf(dir string) mpireimpl.Func[struct{}, int, int, struct{}] {
	return mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "flaky",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if out[n], err = task(dir, args[n]); err != nil {
					return n, err
				}
			}
			return n, nil
		},
		Format: func(a *int) string { return mpireimpl.FormatArgs("x", *a) },
		Shared: func(b []byte) []byte { return append(b, dir...) },
	}
}

// AppendInts appends xs to b as portable codecs write a []int: its length
// as a uvarint, then each int as a varint.
func AppendInts(b []byte, xs []int) []byte {
	b = binary.AppendUvarint(b, uint64(len(xs)))
	for _, x := range xs {
		b = binary.AppendVarint(b, int64(x))
	}
	return b
}

// ReadInts appends to xs the ints that AppendInts wrote at the start of b.
// It returns an error when b is truncated or its length is more than the
// bytes of b could hold.
func ReadInts(b []byte, xs []int) ([]int, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return xs, errors.New("bad length")
	}
	b = b[k:]
	for range n {
		x, k := binary.Varint(b)
		if k <= 0 {
			return xs, errors.New("bad int")
		}
		xs, b = append(xs, int(x)), b[k:]
	}
	return xs, nil
}

// portable is the hand-written form of the codecs that mpiregen writes for
// a portable task.
var portable = mpireimpl.Portable[struct{}, int, int, struct{}]{
	Task:       "github.com/mpire-go/mpire/runtime/internal/flakytest.flaky",
	AppendArgs: AppendInts,
	ReadArgs:   ReadInts,
	AppendResults: func(b []byte, out []int) []byte {
		return AppendInts(b, out)
	},
	ReadResults: func(b []byte, out []int) error {
		got, err := ReadInts(b, out[:0])
		if err == nil && len(got) != len(out) {
			err = fmt.Errorf("%d results for %d tasks", len(got), len(out))
		}
		return err
	},
	AppendExit: func(b []byte, _ *struct{}) []byte { return b },
	ReadExit:   func([]byte, *struct{}) error { return nil },
	Child: func(shared []byte) (mpireimpl.Func[struct{}, int, int, struct{}], error) {
		return funcOf(string(shared)), nil
	},
}

func init() { mpireimpl.ServePortable(&portable) }

// A Method runs tasks with one of a pool's methods: one call, or one Apply
// per task. MapUnordered's and IMapUnordered's results are sorted.
type Method struct {
	Name string
	Run  func(p *Pool, ctx context.Context, args []int, opts ...mpire.CallOption) ([]int, error)
}

// Methods are the methods of a pool, each as a Method.
var Methods = []Method{
	{"Map", func(p *Pool, ctx context.Context, args []int, opts ...mpire.CallOption) ([]int, error) {
		return p.Map(ctx, args, opts...)
	}},
	{"MapUnordered", func(p *Pool, ctx context.Context, args []int, opts ...mpire.CallOption) ([]int, error) {
		got, err := p.MapUnordered(ctx, args, opts...)
		slices.Sort(got)
		return got, err
	}},
	{"IMap", func(p *Pool, ctx context.Context, args []int, opts ...mpire.CallOption) ([]int, error) {
		return collect(p.IMap(ctx, slices.Values(args), opts...))
	}},
	{"IMapUnordered", func(p *Pool, ctx context.Context, args []int, opts ...mpire.CallOption) ([]int, error) {
		got, err := collect(p.IMapUnordered(ctx, slices.Values(args), opts...))
		slices.Sort(got)
		return got, err
	}},
	{"Apply", func(p *Pool, ctx context.Context, args []int, opts ...mpire.CallOption) ([]int, error) {
		var out []int
		for _, x := range args {
			r, err := p.Apply(ctx, x, opts...)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}},
	{"ApplyAsync", func(p *Pool, ctx context.Context, args []int, opts ...mpire.CallOption) ([]int, error) {
		var rs []*mpire.AsyncResult[int]
		for _, x := range args {
			rs = append(rs, p.ApplyAsync(ctx, x, opts...))
		}
		var out []int
		for _, r := range rs {
			v, err := r.Get()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}},
}

// collect reads a sequence up to its first error.
func collect(seq iter.Seq2[int, error]) ([]int, error) {
	var out []int
	for r, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}
