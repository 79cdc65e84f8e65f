package gen

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// RuntimePath is the import path of the runtime that generated code calls.
const RuntimePath = "github.com/mpire-go/mpire/runtime"

// ImplPath is the import path of the runtime's package for generated code.
const ImplPath = RuntimePath + "/mpireimpl"

// enginePath is where the runtime's types are defined; package mpire names
// them through aliases.
const enginePath = RuntimePath + "/internal/engine"

// Config says what to load.
type Config struct {
	Dir    string   // the package's directory
	Output string   // the generated file's name in Dir, ignored while loading
	Tags   []string // build tags
}

// Load loads the package in cfg.Dir and returns the model of its tasks. When
// the directives or task functions have problems it returns Diagnostics;
// other errors (no package, the go command failing) are returned as they
// are.
//
// The package's other type errors are left to Check: before the generated
// file exists, code that uses the pools cannot type-check.
func Load(cfg Config) (*Package, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	// The previous output may be stale or no longer compile: its errors
	// and declarations are ignored, as it will be replaced. Loading the
	// package as it is keeps the go command's export data of its
	// dependencies usable, which an overlay of the file would not. A file of
	// that name that mpiregen did not write is the user's, and stays as it is.
	output := filepath.Join(dir, cfg.Output)
	src, err := os.ReadFile(output)
	if err == nil && !IsGenerated(src) {
		return nil, Diagnostics{{Pos: token.Position{Filename: output, Line: 1, Column: 1},
			Msg: fmt.Sprintf("%s was not written by mpiregen (its first line is not %q): not overwriting it; rename it, or choose another name with -o", cfg.Output, Header)}}
	}
	pkg, fset, err := load(cfg, dir, nil)
	if err == nil && pkg.Types == nil && src != nil {
		// The old file cannot even be listed with the package (another
		// package clause): load the package without it.
		if clause, ok := packageClause(output, src); ok {
			pkg, fset, err = load(cfg, dir, map[string][]byte{output: []byte(clause + "\n")})
		}
	}
	if err != nil {
		return nil, err
	}
	if pkg.Types == nil || len(pkg.Syntax) == 0 {
		return nil, loadErrors(pkg, output, nil)
	}

	r := &reporter{fset: fset}
	c := &checker{r: r, pkg: pkg, conv: &converter{},
		funcs: map[string]*ast.FuncDecl{}, generated: map[string]string{}, output: output}
	c.codecs = newCodecSet(c)
	var decls []taskDecl
	for _, file := range pkg.Syntax {
		name := fset.Position(file.Package).Filename
		if name == output {
			continue
		}
		decls = append(decls, readFile(r, file, constraintString(fileConstraint(file, name)))...)
		for _, decl := range file.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil {
				c.funcs[fd.Name.Name] = fd
			}
		}
	}
	// Every task's names, refused or not: their uses elsewhere in the
	// package are not errors, as generated code will declare them.
	for _, td := range decls {
		pool, constructor, args, arg, result := td.names()
		for _, name := range []string{pool, constructor, args, arg, result} {
			c.generated[name] = td.fd.Name.Name
		}
	}
	model := &Package{Name: pkg.Name, Path: pkg.PkgPath, Dir: dir}
	for _, f := range pkg.CompiledGoFiles {
		if f != output {
			model.Files = append(model.Files, f)
		}
	}
	model.OtherBuild = src != nil && !slices.Contains(pkg.CompiledGoFiles, output)
	var builds []taskDecl
	for _, td := range decls {
		if td.d.refused {
			continue
		}
		if t := c.readTask(td); t != nil {
			model.Tasks = append(model.Tasks, t)
			builds = append(builds, td)
		}
	}
	checkNames(r, pkg, output, model.Tasks)
	if len(model.Tasks) > 0 {
		checkPredeclared(r, pkg.Types, output)
	}
	if obj := pkg.Types.Scope().Lookup("error"); obj != nil && r.fset.Position(obj.Pos()).Filename != output {
		model.ErrorHidden = true
	}
	model.Build = checkBuilds(r, builds)

	// Type errors explain problems in the tasks, or make their types
	// unusable: then report them, except the uses of what is about to be
	// generated.
	if len(r.diags) > 0 || len(c.invalid) > 0 {
		r.diags = append(r.diags, loadErrors(pkg, output, c.generated)...)
	}
	if len(r.diags) == 0 {
		// Never a task dropped in silence: a type the type checker
		// accepted but generated code cannot write.
		for _, fd := range c.invalid {
			r.errorf(fd.Name.Pos(), "task %s: a type of its signature cannot be written in generated code", fd.Name.Name)
		}
	}
	if len(r.diags) > 0 {
		r.diags.sort()
		return nil, r.diags
	}

	n := newNamer(pkg.Types.Scope())
	for _, t := range model.Tasks {
		for _, name := range generatedNames(t) {
			n[name] = true
		}
	}
	nameImports(n, model)
	c.codecs.imports(n, model)
	for _, t := range model.Tasks {
		nameLocals(model, t)
	}
	c.codecs.name(n, model)
	return model, nil
}

// IsGenerated reports whether src is a file that mpiregen wrote.
func IsGenerated(src []byte) bool {
	line, _, _ := strings.Cut(string(src), "\n")
	return strings.TrimRight(line, "\r") == Header
}

// checkBuilds returns the build constraint of the files that declare the
// tasks, which the generated file takes on; they must all have the same.
func checkBuilds(r *reporter, decls []taskDecl) string {
	if len(decls) == 0 {
		return ""
	}
	first := decls[0]
	for _, td := range decls[1:] {
		if td.build != first.build {
			r.errorf(td.fd.Pos(), "task %s is declared in a file built %s, task %s in one built %s: mpiregen writes one file for them all; move the tasks into files with the same build constraints", td.fd.Name.Name, buildString(td.build), first.fd.Name.Name, buildString(first.build))
		}
	}
	return first.build
}

func constraintString(e constraint.Expr) string {
	if e == nil {
		return ""
	}
	return e.String()
}

func buildString(build string) string {
	if build == "" {
		return "for every platform"
	}
	return "only where " + build
}

// Check type-checks pkg's files with src as its generated file and returns
// Diagnostics for every error: the user's own, and any in src.
//
// It checks in this process, with the export data of the imports from the
// go command, rather than loading the package again with src as an
// overlay, which would type-check every dependency from source.
func Check(cfg Config, pkg *Package, src []byte) error {
	fset := token.NewFileSet()
	var files []*ast.File
	var ds Diagnostics
	for _, name := range pkg.Files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	gen, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, cfg.Output), src, parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	files = append(files, gen)
	paths := map[string]bool{}
	for _, f := range files {
		for _, spec := range f.Imports {
			if p, err := strconv.Unquote(spec.Path.Value); err == nil && p != "unsafe" && p != "C" {
				paths[p] = true
			}
		}
	}
	imports := map[string]*types.Package{"unsafe": types.Unsafe}
	if len(paths) > 0 {
		lcfg := &packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: pkg.Dir, BuildFlags: buildFlags(cfg)}
		loaded, err := packages.Load(lcfg, slices.Sorted(maps.Keys(paths))...)
		if err != nil {
			return err
		}
		for _, p := range loaded {
			if len(p.Errors) > 0 && (p.Types == nil || p.Types.Name() == "") {
				// Most often a module the generated code needs and
				// go.mod lacks: the go command says what to run.
				return fmt.Errorf("the generated code imports %s: %v%s", p.PkgPath, p.Errors[0].Msg, importHint(p.PkgPath))
			}
			imports[p.PkgPath] = p.Types
		}
	}
	conf := types.Config{
		Sizes: types.SizesFor("gc", build.Default.GOARCH),
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if p := imports[path]; p != nil {
				return p, nil
			}
			return nil, fmt.Errorf("package %s not found", path)
		}),
		Error: func(err error) {
			if te, ok := err.(types.Error); ok {
				ds = append(ds, Diagnostic{Pos: te.Fset.Position(te.Pos), Msg: te.Msg})
			}
		},
	}
	conf.Check(pkg.Path, fset, files, nil) // its errors went to conf.Error
	if len(ds) > 0 {
		ds.sort()
		return ds
	}
	return nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

func buildFlags(cfg Config) []string {
	if len(cfg.Tags) == 0 {
		return nil
	}
	return []string{"-tags=" + strings.Join(cfg.Tags, ",")}
}

// load loads the one package in dir.
func load(cfg Config, dir string, overlay map[string][]byte) (*packages.Package, *token.FileSet, error) {
	fset := token.NewFileSet()
	lcfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo,
		Dir:        dir,
		Fset:       fset,
		Overlay:    overlay,
		BuildFlags: buildFlags(cfg),
	}
	pkgs, err := packages.Load(lcfg, ".")
	if err != nil {
		return nil, nil, err
	}
	if len(pkgs) != 1 {
		// The go command found nothing to load: most often a go.mod that
		// needs go mod tidy, which it then reports on its own.
		return nil, nil, fmt.Errorf("%s: the go command found %d packages there, want 1; does go build succeed in it (go mod tidy)?", dir, len(pkgs))
	}
	return pkgs[0], fset, nil
}

// packageClause returns "package name" of a Go file.
func packageClause(file string, src []byte) (string, bool) {
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.PackageClauseOnly)
	if err != nil {
		return "", false
	}
	return "package " + f.Name.Name, true
}

// loadErrors turns the package's errors into diagnostics, except those in
// the old generated file output, and those that only say a name to be
// generated is undefined.
func loadErrors(pkg *packages.Package, output string, generated map[string]string) Diagnostics {
	var ds Diagnostics
	for _, e := range pkg.Errors {
		if e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ") {
			// The go command's own compile of the package, for export
			// data: its errors come again, positioned, as type errors.
			continue
		}
		if name, ok := strings.CutPrefix(e.Msg, "undefined: "); ok && generated[name] != "" {
			continue
		}
		pos := parsePos(e.Pos)
		if pos.Filename == output {
			continue
		}
		ds = append(ds, Diagnostic{Pos: pos, Msg: e.Msg})
	}
	return ds
}

// parsePos parses the "file:line:col" of a packages.Error.
func parsePos(s string) token.Position {
	var p token.Position
	parts := strings.Split(s, ":")
	n := len(parts)
	if n >= 3 {
		line, err1 := strconv.Atoi(parts[n-2])
		col, err2 := strconv.Atoi(parts[n-1])
		if err1 == nil && err2 == nil {
			return token.Position{Filename: strings.Join(parts[:n-2], ":"), Line: line, Column: col}
		}
	}
	if n >= 2 {
		if line, err := strconv.Atoi(parts[n-1]); err == nil {
			return token.Position{Filename: strings.Join(parts[:n-1], ":"), Line: line}
		}
	}
	p.Filename = s
	return p
}

// readFile finds the directives of one file and the functions they
// annotate. A directive anywhere but in the doc comment of a function is an
// error. build is the file's build constraint.
func readFile(r *reporter, file *ast.File, build string) []taskDecl {
	onFunc := map[*ast.Comment]*ast.FuncDecl{}
	for _, decl := range file.Decls {
		if fd, ok := decl.(*ast.FuncDecl); ok && fd.Doc != nil {
			for _, c := range fd.Doc.List {
				onFunc[c] = fd
			}
		}
	}
	var decls []taskDecl
	for _, group := range file.Comments {
		for _, c := range group.List {
			if !isDirective(c) {
				continue
			}
			fd := onFunc[c]
			if fd != nil {
				r.task = fd.Name.Name
			}
			d := parseDirective(r, c)
			r.task = ""
			switch {
			case fd == nil:
				if d != nil && !d.refused {
					r.errorf(c.Slash, "//mpire:task must be in the doc comment of a top-level function")
				}
			case fd.Recv != nil:
				r.errorf(c.Slash, "//mpire:task on method %s: a task must be a top-level function, not a method", fd.Name.Name)
			case d != nil:
				decls = append(decls, taskDecl{fd: fd, d: d, build: build})
			}
		}
	}
	return decls
}

// checkNames refuses generated names that collide with each other, with
// the package's own declarations, or with what a file of it imports under
// that name, dot imports included: the package block and a file's block
// cannot declare the same name.
func checkNames(r *reporter, pkg *packages.Package, output string, tasks []*Task) {
	seen := map[string]*Task{}
	for _, t := range tasks {
		for _, name := range generatedNames(t) {
			if other := seen[name]; other != nil {
				r.diags = append(r.diags, Diagnostic{Pos: t.Pos, Msg: fmt.Sprintf("task %s would generate %s, as task %s at %s does: give one of them another name=", t.Func, name, other.Func, shortPos(other.Pos))})
				break
			}
			seen[name] = t
			if where := declaredAs(r.fset, pkg, output, name); where != "" {
				r.diags = append(r.diags, Diagnostic{Pos: t.Pos, Msg: fmt.Sprintf("task %s would generate %s, %s: give the task another name=", t.Func, name, where)})
				break
			}
		}
	}
}

// declaredAs says where the package, outside its old generated file,
// declares or imports name; "" when nowhere.
func declaredAs(fset *token.FileSet, pkg *packages.Package, output, name string) string {
	if obj := pkg.Types.Scope().Lookup(name); obj != nil && fset.Position(obj.Pos()).Filename != output {
		return "already declared at " + shortPos(fset.Position(obj.Pos()))
	}
	for _, file := range pkg.Syntax {
		filename := fset.Position(file.Package).Filename
		scope := pkg.TypesInfo.Scopes[file]
		if filename == output || scope == nil {
			continue
		}
		switch obj := scope.Lookup(name).(type) {
		case nil:
		case *types.PkgName:
			return fmt.Sprintf("the name %s imports %s as", filepath.Base(filename), obj.Imported().Path())
		default:
			return fmt.Sprintf("which %s dot-imports from %s", filepath.Base(filename), obj.Pkg().Path())
		}
	}
	return ""
}

// predeclared are the predeclared names that generated code refers to.
// A package may declare its own error: generated code then names the
// predeclared one mpireimpl.Error (Package.ErrorHidden).
var predeclared = []string{"int", "len", "nil", "string"}

// checkPredeclared refuses a package that declares one of the predeclared
// names generated code needs: in that package, nothing can name the
// predeclared one any more.
func checkPredeclared(r *reporter, pkg *types.Package, output string) {
	for _, name := range predeclared {
		if obj := pkg.Scope().Lookup(name); obj != nil && r.fset.Position(obj.Pos()).Filename != output {
			r.errorf(obj.Pos(), "%s hides the predeclared %s, which the generated pools need: give it another name", name, name)
		}
	}
}

func shortPos(p token.Position) string {
	return fmt.Sprintf("%s:%d:%d", filepath.Base(p.Filename), p.Line, p.Column)
}
