package gen

import (
	"cmp"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"
)

// A package may declare one function in several files built on different
// platforms (work_linux.go, and work_other.go under //go:build !linux), and
// the go command shows mpiregen only the files of one. So that the
// generated file is the same whatever platform mpiregen runs on, it reads
// the package's functions in every file, those of other builds too: a task
// builds wherever one of its declarations does, the generated code is
// written from the declaration this build sees, and every declaration of a
// task must have the same directive and signature, so that any of them
// gives the same code; so must the types that the codecs of portable tasks
// encode by their definition.

// declaration is a top-level function or type of the package in one of its
// files, whether this build compiles that file or not.
type declaration struct {
	pos       token.Position  // of its name
	name      token.Pos       // of its name, for diagnostics
	build     constraint.Expr // its file's build constraint; nil for none
	sig       string          // a function's signature as written, func(x int) int; a type's definition
	directive string          // its //mpire:task directive, spaces folded; "" for none
	ignored   bool            // its file is not in this build
}

// declarations maps the name of each top-level function, or each type, of
// the package to its declarations, in the order of their files' names.
type declarations map[string][]declaration

// readDeclarations reads the top-level functions and types of files, the
// package's files in this build, and of the Go files that this build leaves
// out, parsed into fset, but for test files, the old generated file output
// and files of another package (a program under //go:build ignore). A
// type's sig is its definition as written.
func readDeclarations(fset *token.FileSet, files []*ast.File, ignored []string, pkgName, output string) (funcs, typs declarations) {
	funcs, typs = declarations{}, declarations{}
	add := func(file *ast.File, name string, ignored bool) {
		build := fileConstraint(file, name)
		for _, decl := range file.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
				for _, spec := range gd.Specs {
					ts := spec.(*ast.TypeSpec)
					def := types.ExprString(ts.Type)
					if ts.Assign.IsValid() {
						def = "= " + def
					}
					if ts.TypeParams != nil {
						def = typeParams(ts.TypeParams) + " " + def
					}
					typs[ts.Name.Name] = append(typs[ts.Name.Name], declaration{pos: fset.Position(ts.Name.Pos()), name: ts.Name.Pos(),
						build: build, sig: def, ignored: ignored})
				}
			}
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil {
				continue
			}
			d := declaration{pos: fset.Position(fd.Name.Pos()), name: fd.Name.Pos(), build: build,
				sig: types.ExprString(fd.Type), ignored: ignored}
			if fd.Doc != nil {
				for _, c := range fd.Doc.List {
					if isDirective(c) {
						d.directive = strings.Join(strings.Fields(c.Text), " ")
						break
					}
				}
			}
			funcs[fd.Name.Name] = append(funcs[fd.Name.Name], d)
		}
	}
	for _, file := range files {
		if name := fset.Position(file.Package).Filename; name != output {
			add(file, name, false)
		}
	}
	for _, name := range ignored {
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || name == output {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil || file.Name.Name != pkgName {
			continue
		}
		add(file, name, true)
	}
	for _, ds := range []declarations{funcs, typs} {
		for _, list := range ds {
			slices.SortFunc(list, func(a, b declaration) int {
				return cmp.Or(strings.Compare(filepath.Base(a.pos.Filename), filepath.Base(b.pos.Filename)), a.pos.Offset-b.pos.Offset)
			})
		}
	}
	return funcs, typs
}

// typeParams writes a type's parameters as written: [K comparable, V any].
func typeParams(list *ast.FieldList) string {
	var params []string
	for _, f := range list.List {
		var names []string
		for _, n := range f.Names {
			names = append(names, n.Name)
		}
		params = append(params, strings.Join(names, ", ")+" "+types.ExprString(f.Type))
	}
	return "[" + strings.Join(params, ", ") + "]"
}

// tasks returns the declarations of name that have a directive.
func (ds declarations) tasks(name string) []declaration {
	var out []declaration
	for _, d := range ds[name] {
		if d.directive != "" {
			out = append(out, d)
		}
	}
	return out
}

// elsewhere reports whether name is declared only in files that this build
// leaves out (setup_windows.go, on Linux).
func (ds declarations) elsewhere(name string) bool {
	list := ds[name]
	for _, d := range list {
		if !d.ignored {
			return false
		}
	}
	return len(list) > 0
}

// where returns the build constraint under which one of list is built: nil
// when one of them is built everywhere, or when together they cover every
// platform (linux, and !linux).
func where(list []declaration) constraint.Expr {
	var expr constraint.Expr
	for i, d := range list {
		switch {
		case d.build == nil:
			return nil
		case i == 0 || implies(expr, d.build):
			expr = d.build
		case !implies(d.build, expr):
			expr = &constraint.OrExpr{X: expr, Y: d.build}
		}
	}
	if implies(nil, expr) {
		return nil // true on every platform, as linux || !linux is
	}
	return expr
}

// first returns the position of the first of list in file order: what
// orders tasks, the same on every platform.
func first(list []declaration) (string, int) {
	return filepath.Base(list[0].pos.Filename), list[0].pos.Offset
}

// checkSame reports the declarations of list that differ from the first in
// their signature or, with directive, their directive: the generated code,
// written from whichever this build sees, would differ from one platform to
// another. what is "" for a task, and names the function otherwise ("its
// init function setup is ").
func checkSame(r *reporter, list []declaration, what string, directive bool) {
	for _, d := range list[1:] {
		switch {
		case d.sig != list[0].sig:
			r.errorf(d.name, "%sdeclared as %s at %s and as %s here: mpiregen writes one file for the platforms of both, so give them the same signature", what, list[0].sig, shortPos(list[0].pos), d.sig)
		case directive && d.directive != list[0].directive:
			r.errorf(d.name, "its directive %q differs from %q at %s: mpiregen writes one file for the platforms of both, so give them the same directive", d.directive, list[0].directive, shortPos(list[0].pos))
		}
	}
}

// checkCodecTypes reports the package's types that codecs, those a portable
// task adds, encode by their definition, and that files of different builds
// define differently: the codec written from this build's definition would
// not fit another's.
func checkCodecTypes(r *reporter, codecs []*Codec, path string, typs declarations) {
	for _, cd := range codecs {
		if cd.Via != ViaShape || cd.Type.Kind != Named || cd.Type.Pkg != path {
			continue
		}
		list := typs[cd.Type.Name]
		for _, d := range list[min(1, len(list)):] {
			if d.sig != list[0].sig {
				r.errorf(d.name, "type %s is defined as %s at %s and as %s here: the codecs of portable tasks encode it, and mpiregen writes one file for the platforms of both, so give them the same definition", cd.Type.Name, list[0].sig, shortPos(list[0].pos), d.sig)
			}
		}
	}
}
