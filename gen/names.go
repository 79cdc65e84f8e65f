package gen

import (
	"fmt"
	"go/build"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

// namer hands out identifiers that collide with none of the names in use.
type namer map[string]bool

// newNamer starts from the names every file of the package sees: its own
// declarations and the predeclared ones.
func newNamer(scope *types.Scope) namer {
	n := namer{}
	for _, name := range scope.Names() {
		n[name] = true
	}
	for _, name := range types.Universe.Names() {
		n[name] = true
	}
	return n
}

// fresh returns want, or want2, want3... (want_2... when want ends in a
// digit) when want is taken, and takes it.
func (n namer) fresh(want string) string {
	format := "%s%d"
	if want != "" && unicode.IsDigit(rune(want[len(want)-1])) {
		format = "%s_%d"
	}
	name := want
	for i := 2; n[name]; i++ {
		name = fmt.Sprintf(format, want, i)
	}
	n[name] = true
	return name
}

// nameImports chooses the name of every package the generated file
// imports: its own name unless a declaration of the package, a predeclared
// name or an earlier import has it. The runtime's packages and the
// standard library's come first, so that they keep their usual names
// whenever the package allows it; then the others, by path.
func nameImports(n namer, model *Package) {
	pkgs := map[string]string{} // path → name
	for _, t := range model.Tasks {
		for _, typ := range t.Types() {
			typ.walk(func(u *Type) {
				if u.Kind == Named {
					pkgs[u.Pkg] = u.PkgName
				}
			})
		}
	}
	chosen := map[string]string{} // path → name
	for _, f := range []struct{ path, name string }{
		{"context", "context"}, {"iter", "iter"}, {RuntimePath, "mpire"}, {ImplPath, "mpireimpl"},
	} {
		chosen[f.path] = n.fresh(f.name)
	}
	paths := make([]string, 0, len(pkgs))
	for p := range pkgs {
		if _, ok := chosen[p]; !ok && p != model.Path {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		chosen[p] = n.fresh(pkgs[p])
	}
	for p, name := range chosen {
		model.Imports = append(model.Imports, Import{Path: p, Name: name, Std: isStd(p)})
	}
	slices.SortFunc(model.Imports, func(a, b Import) int { return strings.Compare(a.Path, b.Path) })
}

// nameLocals chooses the identifiers of t's generated functions: first the
// parameter names of Apply, the function's own when they can be; then the
// receiver, parameters and variables of each function, against the names
// that function refers to (see Scopes).
func nameLocals(model *Package, t *Task) {
	// The parameters the function names keep their names, as labels and,
	// capitalized, as fields; the others are called after their position.
	labels, fields := namer{}, namer{}
	for i := range t.Args {
		if a := &t.Args[i]; a.Label != "" && a.Label != "_" {
			labels[a.Label] = true
			a.Field = fields.fresh(exported(a.Label))
		}
	}
	for i := range t.Args {
		a := &t.Args[i]
		if a.Label == "" || a.Label == "_" {
			a.Label = labels.fresh(fmt.Sprintf("arg%d", i))
			a.Field = fields.fresh(fmt.Sprintf("Arg%d", i))
		}
	}

	r := refs{model: model, t: t}
	ctx, rt, impl, iter := r.imported("context"), r.imported(RuntimePath), r.imported(ImplPath), r.imported("iter")
	s := &t.Scopes

	n := r.scope(r.poolTypes(), []string{rt, impl, t.Func}, r.types(t.Shared))
	s.New = Locals{Recv: n.fresh("p"), Shared: n.fresh("shared"), Opts: n.fresh("opts"), Fn: n.fresh("fn")}

	n = r.scope(r.poolTypes(), []string{impl, t.Func})
	s.Run = Locals{Recv: n.fresh("p"), Worker: n.fresh("w"), Args: n.fresh("args"), Out: n.fresh("out"),
		N: n.fresh("n"), Err: n.fresh("err"), Ctx: n.fresh("ctx"), ID: n.fresh("id"), State: n.fresh("state"), A: n.fresh("a")}

	for _, h := range []struct {
		hook *Hook
		dst  *Locals
	}{{t.Init, &s.Init}, {t.Exit, &s.Exit}} {
		if h.hook != nil {
			n = r.scope(r.poolTypes(), []string{impl, h.hook.Func})
			*h.dst = Locals{Recv: n.fresh("p"), Worker: n.fresh("w")}
		}
	}

	n = r.scope(r.argType(), []string{impl})
	s.Format = Locals{Recv: n.fresh("p"), A: n.fresh("a")}

	n = r.scope(r.argType(), r.resultType(), r.errorType(), []string{ctx, rt, iter})
	s.Map = Locals{Recv: n.fresh("p"), Ctx: n.fresh("ctx"), Args: n.fresh("args"), Opts: n.fresh("opts")}

	// Apply's parameters are the task's arguments, under the names the
	// function gives them where it can.
	n = r.scope(r.resultType(), r.errorType(), []string{ctx, rt, t.ArgsType, t.ArgType})
	for _, a := range t.Args {
		if t.ArgType == "" {
			n.add(r.types(a.Type))
		}
	}
	for i := range t.Args {
		t.Args[i].Name = n.fresh(t.Args[i].Label)
	}
	s.Apply = Locals{Recv: n.fresh("p"), Ctx: n.fresh("ctx"), Opts: n.fresh("opts")}

	n = r.scope(r.exitType(), r.errorType(), []string{rt})
	s.Pool = Locals{Recv: n.fresh("p")}
}

// exported returns name capitalized, or, for a name whose first letter has
// no capital (数), prefixed with X.
func exported(name string) string {
	if up := upperFirst(name); token.IsExported(up) {
		return up
	}
	return "X" + name
}

// refs lists the names that parts of a task's generated code refer to
// without a qualifier: the generated types, the package's own types, and
// the names of the imports that qualify the others.
type refs struct {
	model *Package
	t     *Task
}

// scope returns a namer holding the predeclared names and those given:
// what one generated function refers to.
func (r refs) scope(lists ...[]string) namer {
	n := namer{}
	for _, name := range types.Universe.Names() {
		n[name] = true
	}
	for _, list := range lists {
		n.add(list)
	}
	return n
}

// add takes names; "" stands for none.
func (n namer) add(names []string) {
	for _, name := range names {
		if name != "" {
			n[name] = true
		}
	}
}

// imported returns the name the generated file imports path by.
func (r refs) imported(path string) string {
	for _, imp := range r.model.Imports {
		if imp.Path == path {
			return imp.Name
		}
	}
	return ""
}

// types returns the names that code spelling ts refers to.
func (r refs) types(ts ...*Type) []string {
	var names []string
	for _, t := range ts {
		t.walk(func(u *Type) {
			switch {
			case u.Kind == Named && u.Pkg == r.model.Path:
				names = append(names, u.Name)
			case u.Kind == Named:
				names = append(names, r.imported(u.Pkg))
			}
		})
	}
	return names
}

// argType, resultType, errorType and exitType return the names that the
// spelling of those types in generated code refers to; poolTypes those of
// the pool's type arguments and of the pool type itself.

func (r refs) argType() []string {
	for _, name := range []string{r.t.ArgsType, r.t.ArgType} {
		if name != "" {
			return []string{name}
		}
	}
	return r.types(r.t.Args[0].Type)
}

func (r refs) resultType() []string {
	if r.t.ResultType != "" {
		return []string{r.t.ResultType}
	}
	return r.types(r.t.Result)
}

func (r refs) errorType() []string {
	if r.model.ErrorHidden {
		return []string{r.imported(ImplPath)}
	}
	return nil // predeclared
}

func (r refs) exitType() []string {
	if r.t.Exit == nil || r.t.Exit.Result == nil {
		return nil
	}
	return r.types(r.t.Exit.Result)
}

func (r refs) poolTypes() []string {
	names := append(append(append(r.argType(), r.resultType()...), r.exitType()...), r.errorType()...)
	if r.t.State != nil {
		names = append(names, r.types(r.t.State)...)
	}
	return append(names, r.t.Pool)
}

// generatedNames lists the top-level names that t's generated code declares.
func generatedNames(t *Task) []string {
	names := []string{t.Pool, t.New}
	for _, name := range []string{t.ArgsType, t.ArgType, t.ResultType} {
		if name != "" {
			names = append(names, name)
		}
	}
	return names
}

// isStd reports whether the package at path p is in the standard library:
// its source is in GOROOT.
func isStd(p string) bool {
	if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
		return false
	}
	info, err := os.Stat(filepath.Join(build.Default.GOROOT, "src", filepath.FromSlash(p)))
	return err == nil && info.IsDir()
}
