package main

// What `//mpire:task portable` makes of Square: the pool, and the codecs
// that carry its values between machines. Written by hand here, in the form
// the generator writes for a portable task.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// SquarePool runs Square on a pool of workers.
type SquarePool struct {
	pool *mpireimpl.Pool[struct{}, int, Result, struct{}]
}

var squareFunc = mpireimpl.Func[struct{}, int, Result, struct{}]{
	Name: "Square",
	Run: func(w *mpireimpl.Worker[struct{}], args []int, out []Result) (n int, err error) {
		defer w.Recover(&n, &err)
		for ; n < len(args) && !w.Stopped(); n++ {
			out[n] = Square(args[n])
		}
		return n, nil
	},
	Format: func(a *int) string { return mpireimpl.FormatArgs("x", *a) },
}

// NewSquarePool returns a pool running Square.
func NewSquarePool(opts ...mpire.Option) *SquarePool {
	fn := squareFunc
	fn.Portable = &squarePortable
	return &SquarePool{pool: mpireimpl.NewPool(fn, opts...)}
}

// Map runs Square on every argument; the results are in input order.
func (p *SquarePool) Map(ctx context.Context, args []int, opts ...mpire.CallOption) ([]Result, error) {
	return p.pool.Map(ctx, args, opts...)
}

// Close stops the pool's workers.
func (p *SquarePool) Close() error { return p.pool.Close() }

var squarePortable = mpireimpl.Portable[struct{}, int, Result, struct{}]{
	Task: "main.Square",
	AppendArgs: func(b []byte, args []int) []byte {
		b = binary.AppendUvarint(b, uint64(len(args)))
		for _, x := range args {
			b = binary.AppendVarint(b, int64(x))
		}
		return b
	},
	ReadArgs: func(b []byte, args []int) ([]int, error) {
		n, k := binary.Uvarint(b)
		b = b[max(k, 0):]
		for ; k > 0 && n > 0; n-- {
			var x int64
			if x, k = binary.Varint(b); k > 0 {
				args, b = append(args, int(x)), b[k:]
			}
		}
		if k <= 0 {
			return args, errors.New("malformed arguments")
		}
		return args, nil
	},
	AppendResults: func(b []byte, out []Result) []byte {
		b = binary.AppendUvarint(b, uint64(len(out)))
		for _, r := range out {
			b = binary.AppendVarint(b, int64(r.X))
			b = binary.AppendVarint(b, int64(r.Square))
			b = binary.AppendUvarint(b, uint64(len(r.Worker)))
			b = append(b, r.Worker...)
		}
		return b
	},
	ReadResults: func(b []byte, out []Result) error {
		n, k := binary.Uvarint(b)
		if k <= 0 || n != uint64(len(out)) {
			return fmt.Errorf("malformed results")
		}
		b = b[k:]
		for i := range out {
			x, k1 := binary.Varint(b)
			if k1 <= 0 {
				return errors.New("malformed results")
			}
			sq, k2 := binary.Varint(b[k1:])
			if k2 <= 0 {
				return errors.New("malformed results")
			}
			l, k3 := binary.Uvarint(b[k1+k2:])
			b = b[k1+k2+max(k3, 0):]
			if k3 <= 0 || uint64(len(b)) < l {
				return errors.New("malformed results")
			}
			out[i] = Result{X: int(x), Square: int(sq), Worker: string(b[:l])}
			b = b[l:]
		}
		return nil
	},
	AppendExit: func(b []byte, _ *struct{}) []byte { return b },
	ReadExit:   func([]byte, *struct{}) error { return nil },
	Child: func([]byte) (mpireimpl.Func[struct{}, int, Result, struct{}], error) {
		return squareFunc, nil
	},
}

func init() { mpireimpl.ServePortable(&squarePortable) }
