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

// nameLocals chooses the identifiers of t's generated code: first the
// parameter names of Apply, the function's own when they can be; then the
// variables of the generated methods, around them. A local only has to
// differ from what the bodies it is declared in refer to: the names of
// bodyNames.
func nameLocals(model *Package, t *Task) {
	n := bodyNames(model, t)
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
		a.Name = n.fresh(a.Label)
	}
	l := &t.Local
	for _, v := range []struct {
		dst  *string
		want string
	}{
		{&l.Recv, "p"}, {&l.Ctx, "ctx"}, {&l.Opts, "opts"}, {&l.Shared, "shared"},
		{&l.Worker, "w"}, {&l.Args, "args"}, {&l.Out, "out"}, {&l.N, "n"},
		{&l.Err, "err"}, {&l.A, "a"}, {&l.ID, "id"}, {&l.State, "state"},
		{&l.Fn, "fn"},
	} {
		*v.dst = n.fresh(v.want)
	}
}

// exported returns name capitalized, or, for a name whose first letter has
// no capital (数), prefixed with X.
func exported(name string) string {
	if up := upperFirst(name); token.IsExported(up) {
		return up
	}
	return "X" + name
}

// bodyNames returns the names that the bodies of t's generated functions
// refer to without a qualifier: the predeclared ones, the imports, the
// generated types, the task and hook functions, and the package's own
// types among the pool's type arguments.
func bodyNames(model *Package, t *Task) namer {
	n := namer{}
	for _, name := range types.Universe.Names() {
		n[name] = true
	}
	for _, imp := range model.Imports {
		n[imp.Name] = true
	}
	for _, name := range append(generatedNames(t), t.Func) {
		n[name] = true
	}
	for _, h := range []*Hook{t.Init, t.Exit} {
		if h != nil {
			n[h.Func] = true
			if h.Result != nil {
				localTypeNames(model.Path, h.Result, n)
			}
		}
	}
	if t.ResultType == "" {
		localTypeNames(model.Path, t.Result, n)
	}
	if t.ArgsType == "" && t.ArgType == "" {
		localTypeNames(model.Path, t.Args[0].Type, n)
	}
	if t.State != nil {
		localTypeNames(model.Path, t.State, n)
	}
	return n
}

// localTypeNames adds to n the names of the types of package path that t
// refers to.
func localTypeNames(path string, t *Type, n namer) {
	t.walk(func(u *Type) {
		if u.Kind == Named && u.Pkg == path {
			n[u.Name] = true
		}
	})
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
