package gen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
	"unicode"

	"golang.org/x/tools/go/packages"
)

// readTask checks the function fd under directive d and returns its model,
// or nil after reporting what is wrong.
func readTask(r *reporter, pkg *packages.Package, fd *ast.FuncDecl, d *directive) *Task {
	before := len(r.diags)
	name := fd.Name.Name
	if fd.Type.TypeParams != nil {
		r.errorf(fd.Name.Pos(), "generic function %s cannot be a task: a pool needs concrete types; call it from a non-generic function", name)
		return nil
	}
	fn, ok := pkg.TypesInfo.Defs[fd.Name].(*types.Func)
	if !ok {
		return nil // the type checker reported why
	}
	sig := fn.Type().(*types.Signature)

	t := &Task{Func: name, Pos: r.fset.Position(fd.Pos())}
	base := name
	if kv, ok := d.keys["name"]; ok {
		if !token.IsIdentifier(kv.value) {
			r.errorf(kv.pos, "name=%s is not a Go identifier", kv.value)
		}
		base = kv.value
	}
	t.Pool, t.New = base+"Pool", "New"+base+"Pool"
	if !token.IsExported(base) {
		t.New = "new" + upperFirst(base) + "Pool"
	}
	t.Shared = resolveType(r, pkg, fd, d, "shared")
	t.State = resolveType(r, pkg, fd, d, "state")
	if len(r.diags) > before {
		return nil
	}

	k := kinds{shared: t.Shared, state: t.State}
	t.Leading, t.Args = k.classify(r, fd, sig, name)
	if len(t.Args) == 0 && len(r.diags) == before {
		r.errorf(fd.Name.Pos(), "task %s has no task arguments: after its ctx, worker id, shared and state parameters it needs at least one", name)
	}
	t.Variadic = sig.Variadic()
	if len(t.Args) > 1 {
		t.ArgsTyp = base + "Args"
	}

	res := sig.Results()
	switch {
	case res.Len() == 1 && !isError(res.At(0).Type()):
		t.Result = res.At(0).Type()
	case res.Len() == 2 && isError(res.At(1).Type()):
		t.Result, t.ResultErr = res.At(0).Type(), true
	default:
		r.errorf(fd.Type.Func, "task %s returns %s: a task returns R or (R, error)", name, resultsString(res))
	}

	if kv, ok := d.keys["init"]; ok {
		t.Init = k.hook(r, pkg, kv, "init")
	}
	if kv, ok := d.keys["exit"]; ok {
		t.Exit = k.hook(r, pkg, kv, "exit")
	}
	if len(r.diags) > before {
		return nil
	}
	return t
}

// resolveType evaluates the type named by key= as seen from fd's file.
func resolveType(r *reporter, pkg *packages.Package, fd *ast.FuncDecl, d *directive, key string) types.Type {
	kv, ok := d.keys[key]
	if !ok {
		return nil
	}
	tv, err := types.Eval(pkg.Fset, pkg.Types, fd.Pos(), kv.value)
	switch {
	case err != nil:
		r.errorf(kv.pos, "%s=%s: %v", key, kv.value, stripPos(err))
		return nil
	case !tv.IsType():
		r.errorf(kv.pos, "%s=%s is not a type", key, kv.value)
		return nil
	case key == "state" && isPointer(tv.Type):
		r.errorf(kv.pos, "state=%s: name the state type itself; the worker state parameter is a pointer to it", kv.value)
		return nil
	}
	return tv.Type
}

// stripPos removes the position types.Eval puts before its messages, which
// points into the expression rather than the source.
func stripPos(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 && strings.Count(msg[:i], ":") >= 1 {
		return msg[i+2:]
	}
	return msg
}

// kinds recognizes the leading parameters of task, init and exit functions.
type kinds struct {
	shared, state types.Type
}

// of returns the kind of a parameter type, 0 for a task argument; badState
// is set for the state type without its pointer.
func (k kinds) of(t types.Type) (kind Kind, badState bool) {
	switch {
	case isNamed(t, "context", "Context"):
		return Ctx, false
	case isNamed(t, enginePath, "WorkerID"):
		return WorkerID, false
	case k.shared != nil && types.Identical(t, k.shared):
		return Shared, false
	case k.state != nil && isPointer(t) && types.Identical(t.(*types.Pointer).Elem(), k.state):
		return State, false
	case k.state != nil && types.Identical(t, k.state):
		return 0, true
	}
	return 0, false
}

// classify splits a task's parameters into its leading ones and its
// arguments, reporting parameters out of order.
func (k kinds) classify(r *reporter, fd *ast.FuncDecl, sig *types.Signature, fname string) (leading []Kind, args []Arg) {
	params := sig.Params()
	var last Kind
	for i := range params.Len() {
		p := params.At(i)
		kind, badState := k.of(p.Type())
		inArgs := len(args) > 0
		switch {
		case kind == Ctx || kind == WorkerID:
			if inArgs || kind <= last {
				r.errorf(p.Pos(), "parameter %s of %s is out of place: the order is ctx context.Context, id mpire.WorkerID, the shared object, the worker state, then the task arguments", paramName(p, i), fname)
				continue
			}
		case badState && !inArgs:
			r.errorf(p.Pos(), "state parameter %s of %s must be *%s, not %s", paramName(p, i), fname, typeString(k.state, p.Pkg()), typeString(k.state, p.Pkg()))
			continue
		case kind == State && kind <= last && !inArgs:
			r.errorf(p.Pos(), "parameter %s of %s: the worker state comes once, after the shared object", paramName(p, i), fname)
			continue
		case kind != 0 && kind > last && !inArgs:
			// A leading parameter in its place.
		default:
			kind = 0
		}
		if kind != 0 {
			leading = append(leading, kind)
			last = kind
			continue
		}
		args = append(args, Arg{Type: p.Type(), Name: p.Name()})
	}
	nameArgs(args)
	return leading, args
}

// nameArgs gives each argument a parameter name usable in generated code and
// an exported field name, both unique.
func nameArgs(args []Arg) {
	// Names the generated methods use for themselves.
	reserved := map[string]bool{"ctx": true, "opts": true, "p": true}
	fields := map[string]bool{}
	for i := range args {
		a := &args[i]
		unnamed := a.Name == "" || a.Name == "_"
		a.Field = upperFirst(a.Name)
		if unnamed || fields[a.Field] {
			a.Field = fmt.Sprintf("Arg%d", i)
		}
		fields[a.Field] = true
		if unnamed || reserved[a.Name] {
			a.Name = fmt.Sprintf("arg%d", i)
		}
	}
}

// hook checks the init or exit function named by kv.
func (k kinds) hook(r *reporter, pkg *packages.Package, kv keyValue, key string) *Hook {
	obj := pkg.Types.Scope().Lookup(kv.value)
	fn, ok := obj.(*types.Func)
	if !ok {
		r.errorf(kv.pos, "%s=%s: no function %s in package %s", key, kv.value, kv.value, pkg.Name)
		return nil
	}
	sig := fn.Type().(*types.Signature)
	if sig.TypeParams().Len() > 0 {
		r.errorf(fn.Pos(), "%s function %s cannot be generic", key, fn.Name())
		return nil
	}
	h := &Hook{Func: fn.Name()}
	var last Kind
	params := sig.Params()
	for i := range params.Len() {
		p := params.At(i)
		kind, _ := k.of(p.Type())
		if kind == 0 || kind <= last {
			r.errorf(p.Pos(), "%s function %s: parameter %s (%s) is not one of ctx context.Context, id mpire.WorkerID, the shared object or the worker state, in that order", key, fn.Name(), paramName(p, i), typeString(p.Type(), p.Pkg()))
			return nil
		}
		h.Leading = append(h.Leading, kind)
		last = kind
	}
	res := sig.Results()
	switch {
	case res.Len() == 0:
	case res.Len() == 1 && isError(res.At(0).Type()):
		h.ResultErr = true
	case key == "exit" && res.Len() == 1:
		h.Result = res.At(0).Type()
	case key == "exit" && res.Len() == 2 && isError(res.At(1).Type()):
		h.Result, h.ResultErr = res.At(0).Type(), true
	case key == "init":
		r.errorf(fn.Pos(), "init function %s returns %s: it returns error or nothing", fn.Name(), resultsString(res))
		return nil
	default:
		r.errorf(fn.Pos(), "exit function %s returns %s: it returns (E, error), E, error or nothing", fn.Name(), resultsString(res))
		return nil
	}
	return h
}

func isNamed(t types.Type, path, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

func isError(t types.Type) bool { return types.Identical(t, types.Universe.Lookup("error").Type()) }

func isPointer(t types.Type) bool {
	_, ok := types.Unalias(t).(*types.Pointer)
	return ok
}

func resultsString(res *types.Tuple) string {
	if res.Len() == 0 {
		return "nothing"
	}
	return res.String()
}

func paramName(p *types.Var, i int) string {
	if p.Name() == "" || p.Name() == "_" {
		return fmt.Sprintf("#%d", i+1)
	}
	return p.Name()
}

// typeString writes t as seen from package from.
func typeString(t types.Type, from *types.Package) string {
	return types.TypeString(t, types.RelativeTo(from))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
