// Types of imported packages named like the variables of generated code
// (p, w, n, args, out, opts, ctx, err...): the variables take other names.
package main

import (
	"context"
	"fmt"

	"golden/import_names/a"
	"golden/import_names/args"
	"golden/import_names/ctx"
	"golden/import_names/err"
	"golden/import_names/id"
	"golden/import_names/n"
	"golden/import_names/opts"
	"golden/import_names/out"
	"golden/import_names/p"
	"golden/import_names/r"
	"golden/import_names/res"
	"golden/import_names/seq"
	"golden/import_names/state"
	"golden/import_names/w"
	"golden/import_names/x"
	"golden/import_names/yield"

	mpire "github.com/mpire-go/mpire/runtime"
)

// One has every leading parameter, of types of those packages.
//
//mpire:task shared=*p.T state=w.T init=setup exit=done
func One(c context.Context, wid mpire.WorkerID, sh *p.T, st *w.T, x0 n.T) (out.T, error) {
	st.V++
	return out.T{V: x0.V + sh.V + st.V}, nil
}

func setup(st *w.T) { st.V = 100 }

func done(st *w.T) (err.T, error) { return err.T{V: st.V}, nil }

// Many takes ten arguments, each of another of those packages.
//
//mpire:task
func Many(a0 a.T, a1 args.T, a2 ctx.T, a3 id.T, a4 opts.T, a5 r.T, a6 seq.T, a7 state.T, a8 x.T, a9 yield.T) res.T {
	return res.T{V: a0.V + a1.V + a2.V + a3.V + a4.V + a5.V + a6.V + a7.V + a8.V + a9.V}
}

// Single takes one.
//
//mpire:task
func Single(s state.T) args.T { return args.T{V: -s.V} }

func main() {
	bg := context.Background()
	pool := NewOnePool(&p.T{V: 10}, mpire.WithJobs(1))
	fmt.Println(pool.Map(bg, []n.T{{V: 1}, {V: 2}}))
	fmt.Println(pool.ExitResults())
	fmt.Println(NewManyPool().Apply(bg, a.T{V: 1}, args.T{V: 2}, ctx.T{V: 3}, id.T{V: 4}, opts.T{V: 5}, r.T{V: 6}, seq.T{V: 7}, state.T{V: 8}, x.T{V: 9}, yield.T{V: 10}))
	for v, e := range NewSinglePool().IMap(bg, func(y func(state.T) bool) { y(state.T{V: 5}) }) {
		fmt.Println(v, e)
	}
	fmt.Println(NewSinglePool().ApplyAsync(bg, state.T{V: 6}).Get())
}
