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

// taskDecl is a function under a //mpire:task directive, before its checks.
type taskDecl struct {
	fd *ast.FuncDecl
	d  *directive
}

// base is the name the task's generated names derive from.
func (td taskDecl) base() string {
	if kv, ok := td.d.keys["name"]; ok {
		return kv.value
	}
	return td.fd.Name.Name
}

// names returns the names generated for the task: its pool, its
// constructor, the struct of its arguments, which only a task with several
// arguments gets, and the names of its one argument's type and of its
// result type, which only an anonymous struct or interface gets.
func (td taskDecl) names() (pool, constructor, args, arg, result string) {
	base := td.base()
	pool, constructor = base+"Pool", "New"+base+"Pool"
	if !token.IsExported(base) {
		constructor = "new" + upperFirst(base) + "Pool"
	}
	return pool, constructor, base + "Args", base + "Arg", base + "Result"
}

// checker checks task functions and converts their types into the model.
type checker struct {
	r         *reporter
	pkg       *packages.Package
	conv      *converter
	public    *publicNames             // the aliases that name types of internal packages
	funcs     map[string]*ast.FuncDecl // the package's top-level functions
	generated map[string]string        // a name to be generated → its task
	invalid   []*ast.FuncDecl          // tasks with a type that did not type-check
	output    string                   // the old generated file, whose declarations do not count
	codecs    *codecSet                // the codecs of portable tasks
	decls     declarations             // the package's functions, in the files of every build
	typeDecls declarations             // the package's types, likewise
}

// readTask checks the function of td and returns its model, or nil after
// reporting what is wrong.
func (c *checker) readTask(td taskDecl) *Task {
	r, fd, d := c.r, td.fd, td.d
	r.task = fd.Name.Name
	defer func() { r.task = "" }()
	before := len(r.diags)
	name := fd.Name.Name
	if name == "_" {
		r.errorf(fd.Name.Pos(), "a function named _ cannot be called, so it cannot be a task: give it a name")
		return nil
	}
	if fd.Type.TypeParams != nil {
		r.errorf(fd.Name.Pos(), "a generic function cannot be a task: a pool needs concrete types; call it from a non-generic function")
		return nil
	}
	fn, ok := c.pkg.TypesInfo.Defs[fd.Name].(*types.Func)
	if !ok {
		return nil // the type checker reported why
	}
	sig := fn.Type().(*types.Signature)

	t := &Task{Func: name, Pos: r.fset.Position(fd.Pos())}
	if kv, ok := d.keys["name"]; ok && !token.IsIdentifier(kv.value) {
		r.errorf(kv.pos, "name=%s is not a Go identifier", kv.value)
	}
	var argsType, argType, resultType string
	t.Pool, t.New, argsType, argType, resultType = td.names()
	shared := c.resolveType(fd, d, "shared")
	state := c.resolveType(fd, d, "state")
	if len(r.diags) > before {
		return nil
	}

	k := kinds{shared: shared, state: state, public: c.public}
	var args []*types.Var
	t.Leading, args = k.classify(r, sig)
	if len(args) == 0 && len(r.diags) == before {
		r.errorf(fd.Name.Pos(), "no task arguments: after its ctx, worker id, shared and state parameters a task needs at least one")
	}
	t.Variadic = sig.Variadic()
	if len(args) > 1 {
		t.ArgsType = argsType
	}

	res := sig.Results()
	var result types.Type
	switch {
	case res.Len() == 1 && !isError(res.At(0).Type()):
		result = res.At(0).Type()
	case res.Len() == 2 && isError(res.At(1).Type()):
		result, t.ResultErr = res.At(0).Type(), true
	default:
		r.errorf(fd.Type.Func, "it returns %s; a task returns R or (R, error)", resultsString(res))
	}

	for _, key := range []string{"init", "exit"} {
		if kv, ok := d.keys[key]; ok && c.decls.elsewhere(kv.value) {
			// Its hook is in a file of another build: so is the
			// task, as the generated file will be.
			return nil
		}
	}
	var initFn, exitFn *types.Func
	if kv, ok := d.keys["init"]; ok {
		t.Init, initFn = k.hook(r, c.pkg, kv, "init")
	}
	if kv, ok := d.keys["exit"]; ok {
		t.Exit, exitFn = k.hook(r, c.pkg, kv, "exit")
	}
	if len(r.diags) > before {
		return nil
	}

	// Convert every type the task touches, once: a type that did not
	// type-check makes the task unusable, and the type checker says why.
	ok = c.generatedTypes(fd) && c.hookGeneratedTypes(initFn) && c.hookGeneratedTypes(exitFn)
	convert := func(typ types.Type) *Type {
		out, err := c.conv.typ(typ)
		if err != nil {
			ok = false
		}
		return out
	}
	t.Result = convert(result)
	t.Sig = convert(sig)
	for _, a := range args {
		t.Args = append(t.Args, Arg{Label: a.Name(), Type: convert(a.Type())})
	}
	if shared != nil {
		t.Shared = convert(shared)
	}
	if state != nil {
		t.State = convert(state)
	}
	for _, h := range []struct {
		hook *Hook
		fn   *types.Func
	}{{t.Init, initFn}, {t.Exit, exitFn}} {
		if h.hook == nil {
			continue
		}
		hsig := h.fn.Type().(*types.Signature)
		h.hook.Sig = convert(hsig)
		if h.hook.Result != nil {
			h.hook.Result = convert(hsig.Results().At(0).Type())
		}
	}
	if !ok || len(r.diags) > before {
		c.invalid = append(c.invalid, fd)
		return nil
	}
	if isAnonymous(t.Result) {
		t.ResultType = resultType
	}
	if len(t.Args) == 1 && isAnonymous(t.Args[0].Type) {
		t.ArgType = argType
	}
	if _, ok := d.keys["portable"]; ok && !c.portable(t, td, args, result, shared, exitFn) {
		return nil
	}
	return t
}

// isAnonymous reports whether t is a struct or interface type literal with
// something in it: long enough that generated code, which names a task's
// argument and result many times, spells it once, as an alias.
func isAnonymous(t *Type) bool {
	return (t.Kind == Struct || t.Kind == Interface) && len(t.Fields)+len(t.Embedded) > 0
}

// generatedTypes reports, in the signature of fd, names that mpiregen
// generates: they cannot be declared before the code that uses them is
// generated. It returns false when it found one.
func (c *checker) generatedTypes(fd *ast.FuncDecl) bool {
	ok := true
	for _, list := range []*ast.FieldList{fd.Type.Params, fd.Type.Results} {
		if list == nil {
			continue
		}
		for _, field := range list.List {
			ast.Inspect(field.Type, func(n ast.Node) bool {
				id, isIdent := n.(*ast.Ident)
				if !isIdent {
					return true
				}
				if task, gen := c.generated[id.Name]; gen && !c.declared(id) {
					c.r.errorf(id.Pos(), "%s in the signature of %s is generated by mpiregen for task %s: a task, init or exit function cannot take or return a generated type; declare a type of your own", id.Name, fd.Name.Name, task)
					ok = false
				}
				return true
			})
		}
	}
	return ok
}

// declared reports whether id refers to a declaration of the package's
// own, not one of the old generated file.
func (c *checker) declared(id *ast.Ident) bool {
	obj := c.pkg.TypesInfo.Uses[id]
	return obj != nil && c.r.fset.Position(obj.Pos()).Filename != c.output
}

func (c *checker) hookGeneratedTypes(fn *types.Func) bool {
	if fn == nil {
		return true
	}
	fd := c.funcs[fn.Name()]
	return fd == nil || c.generatedTypes(fd)
}

// resolveType evaluates the type named by key= as seen from fd's file.
func (c *checker) resolveType(fd *ast.FuncDecl, d *directive, key string) types.Type {
	r := c.r
	kv, ok := d.keys[key]
	if !ok {
		return nil
	}
	tv, err := types.Eval(c.pkg.Fset, c.pkg.Types, fd.Pos(), kv.value)
	switch {
	case err != nil:
		r.errorf(kv.pos, "%s=%s: %v", key, kv.value, stripPos(err))
		return nil
	case !tv.IsType():
		r.errorf(kv.pos, "%s=%s is not a type", key, kv.value)
		return nil
	case isUninstantiated(tv.Type):
		r.errorf(kv.pos, "%s=%s names a generic type: give its type arguments, as in %s=%s[int]", key, kv.value, key, kv.value)
		return nil
	case isConstraint(tv.Type):
		r.errorf(kv.pos, "%s=%s is a constraint, not a value type: only a type parameter can have it", key, kv.value)
		return nil
	case key == "shared" && (isNamed(tv.Type, "context", "Context") || c.public.isWorkerID(tv.Type)):
		r.errorf(kv.pos, "shared=%s: a parameter of that type is the task's %s, so it cannot be the shared object; wrap it in a type of your own", kv.value, leadingName(tv.Type))
		return nil
	case key == "state" && isPointer(tv.Type):
		r.errorf(kv.pos, "state=%s: name the state type itself; the worker state parameter is a pointer to it", kv.value)
		return nil
	}
	return tv.Type
}

// isUninstantiated reports whether t is a generic type without its type
// arguments, which types.Eval accepts but no declaration can use.
func isUninstantiated(t types.Type) bool {
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		return t.TypeParams().Len() > 0 && t.TypeArgs().Len() == 0
	case *types.Pointer:
		return isUninstantiated(t.Elem())
	}
	return false
}

// isConstraint reports whether t is an interface that only constrains type
// parameters (comparable, interface{ ~int }), which no value can have.
func isConstraint(t types.Type) bool {
	iface, ok := types.Unalias(t).Underlying().(*types.Interface)
	return ok && !iface.IsMethodSet()
}

// leadingName names the leading parameter of a ctx or worker id type.
func leadingName(t types.Type) string {
	if isNamed(t, "context", "Context") {
		return "ctx context.Context"
	}
	return "worker id mpire.WorkerID"
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
	public        *publicNames // which type is mpire.WorkerID
}

// of returns the first kind after the kind last that a parameter of type t
// can be, 0 when none. The order decides where two kinds share a type
// (shared=*T state=T): the first such parameter is the shared object, the
// next the state.
func (k kinds) of(t types.Type, last Kind) Kind {
	switch {
	case last < Ctx && isNamed(t, "context", "Context"):
		return Ctx
	case last < WorkerID && k.public.isWorkerID(t):
		return WorkerID
	case last < Shared && k.shared != nil && types.Identical(t, k.shared):
		return Shared
	case last < State && k.state != nil && types.Identical(t, types.NewPointer(k.state)):
		return State
	}
	return 0
}

// classify splits a task's parameters into its leading ones and its
// arguments, reporting parameters out of order. The leading parameters
// come first, each at most once and in their order; everything after them
// is a task argument, even of the shared or the state type.
func (k kinds) classify(r *reporter, sig *types.Signature) (leading []Kind, args []*types.Var) {
	params := sig.Params()
	var last Kind
	for i := range params.Len() {
		p := params.At(i)
		kind := k.of(p.Type(), last)
		inArgs := len(args) > 0
		switch {
		case kind != 0 && !inArgs:
			leading = append(leading, kind)
			last = kind
			continue
		case isNamed(p.Type(), "context", "Context") || k.public.isWorkerID(p.Type()):
			r.errorf(p.Pos(), "parameter %s is out of place: the order is ctx context.Context, id mpire.WorkerID, the shared object, the worker state, then the task arguments", paramName(p, i))
			continue
		case !inArgs && last < State && k.state != nil && types.Identical(p.Type(), k.state):
			r.errorf(p.Pos(), "state parameter %s must be *%s, not %s", paramName(p, i), typeString(k.state, p.Pkg()), typeString(k.state, p.Pkg()))
			continue
		case !inArgs && last < Shared && k.shared != nil && isPointerTwin(p.Type(), k.shared):
			r.errorf(p.Pos(), "shared parameter %s must be %s, as shared= says, not %s", paramName(p, i), typeString(k.shared, p.Pkg()), typeString(p.Type(), p.Pkg()))
			continue
		}
		args = append(args, p)
	}
	return leading, args
}

// isPointerTwin reports whether one of a and b is a pointer to the other.
func isPointerTwin(a, b types.Type) bool {
	return types.Identical(a, types.NewPointer(b)) || types.Identical(types.NewPointer(a), b)
}

// hook checks the init or exit function named by kv.
func (k kinds) hook(r *reporter, pkg *packages.Package, kv keyValue, key string) (*Hook, *types.Func) {
	if kv.value == "init" {
		// Go's own init functions cannot be named, not even by mpiregen.
		r.errorf(kv.pos, "%s=init: a function named init runs once, before main, and no code can call it: give the %s function another name", key, key)
		return nil, nil
	}
	obj := pkg.Types.Scope().Lookup(kv.value)
	fn, ok := obj.(*types.Func)
	if !ok {
		var funcs []string
		for _, name := range pkg.Types.Scope().Names() {
			if _, isFunc := pkg.Types.Scope().Lookup(name).(*types.Func); isFunc {
				funcs = append(funcs, name)
			}
		}
		if near := closest(kv.value, funcs); near != "" {
			r.errorf(kv.pos, "%s=%s: no function %s in package %s; did you mean %s?", key, kv.value, kv.value, pkg.Name, near)
		} else {
			r.errorf(kv.pos, "%s=%s: no function %s in package %s", key, kv.value, kv.value, pkg.Name)
		}
		return nil, nil
	}
	sig := fn.Type().(*types.Signature)
	if sig.TypeParams().Len() > 0 {
		r.errorf(fn.Pos(), "%s function %s cannot be generic", key, fn.Name())
		return nil, nil
	}
	h := &Hook{Func: fn.Name()}
	var last Kind
	params := sig.Params()
	for i := range params.Len() {
		p := params.At(i)
		kind := k.of(p.Type(), last)
		if kind == 0 {
			r.errorf(p.Pos(), "%s function %s: parameter %s (%s) is not one of ctx context.Context, id mpire.WorkerID, the shared object or the worker state, in that order", key, fn.Name(), paramName(p, i), typeString(p.Type(), p.Pkg()))
			return nil, nil
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
		h.Result = &Type{} // converted with the task's other types
	case key == "exit" && res.Len() == 2 && isError(res.At(1).Type()):
		h.Result, h.ResultErr = &Type{}, true
	case key == "init":
		r.errorf(fn.Pos(), "init function %s returns %s: it returns error or nothing", fn.Name(), resultsString(res))
		return nil, nil
	default:
		r.errorf(fn.Pos(), "exit function %s returns %s: it returns (E, error), E, error or nothing", fn.Name(), resultsString(res))
		return nil, nil
	}
	return h, fn
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

// typeString writes t as seen from package from, other packages by their
// names, as its source names them (http.Client, not net/http.Client).
func typeString(t types.Type, from *types.Package) string {
	return types.TypeString(t, func(p *types.Package) string {
		if p == from {
			return ""
		}
		return p.Name()
	})
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
