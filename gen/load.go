package gen

import (
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/build/constraint"
	"go/parser"
	"go/scanner"
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
	testDiags := testDirectives(fset, dir)
	if pkg.Types == nil || len(pkg.Syntax) == 0 {
		ds := append(loadErrors(pkg, output, nil), testDiags...)
		switch {
		case len(ds) > 0 && ds[0].Pos.Filename == "":
			// The go command's own words: no Go files, most often.
			return nil, errors.New(ds[0].Msg)
		case len(ds) > 0:
			ds.sort()
			return nil, ds
		}
		// Only test files, without directives: nothing to do.
		return &Package{Name: pkg.Name, Path: pkg.PkgPath, Dir: dir}, nil
	}

	r := &reporter{fset: fset, diags: testDiags}
	c := &checker{r: r, pkg: pkg, conv: &converter{}, funcs: map[string]*ast.FuncDecl{}, generated: map[string]string{}, output: output}
	c.codecs = newCodecSet(c)
	var decls []taskDecl
	for _, file := range pkg.Syntax {
		name := fset.Position(file.Package).Filename
		if name == output {
			continue
		}
		decls = append(decls, readFile(r, file)...)
		for _, decl := range file.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil {
				c.funcs[fd.Name.Name] = fd
			}
		}
	}
	c.decls, c.typeDecls = readDeclarations(fset, pkg.Syntax, pkg.IgnoredFiles, pkg.Name, output)
	if len(decls) > 0 {
		// Only tasks need them, and finding them may load the runtime.
		c.public = newPublicNames(pkg, cfg)
		c.conv.public = c.public
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
	var builds []taskBuild
	for _, td := range decls {
		if td.d.refused {
			continue
		}
		if t := c.readTask(td); t != nil {
			model.Tasks = append(model.Tasks, t)
			builds = append(builds, c.taskBuild(td, t))
		}
	}
	c.sortTasks(model.Tasks, builds)
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
	// generated. Syntax errors are always reported: the package cannot
	// build, whatever is generated.
	if syntax := parseErrors(pkg, output); len(syntax) > 0 {
		r.diags = append(r.diags, syntax...)
	} else if len(r.diags) > 0 || len(c.invalid) > 0 {
		r.diags = append(r.diags, explainImports(loadErrors(pkg, output, c.generated), pkg, cfg)...)
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

// testDirectives reports the directives of the package's _test.go files,
// which mpiregen does not read: go generate would not see their pools.
func testDirectives(fset *token.FileSet, dir string) Diagnostics {
	names, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	r := &reporter{fset: fset}
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if f == nil || err != nil && len(f.Comments) == 0 {
			continue
		}
		onFunc := map[*ast.CommentGroup]string{}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Doc != nil {
				onFunc[fd.Doc] = fd.Name.Name
			}
		}
		for _, group := range f.Comments {
			for _, c := range group.List {
				if isDirective(c) {
					r.task = onFunc[group]
					r.errorf(c.Slash, "%s in a _test.go file: mpiregen reads only the package's other files; move the task into one of them", strings.Fields(c.Text)[0])
				}
			}
		}
		r.task = ""
	}
	return r.diags
}

// syntaxErrors turns the parser's errors into diagnostics.
func syntaxErrors(err error) error {
	var list scanner.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	var ds Diagnostics
	for _, e := range list {
		ds = append(ds, Diagnostic{Pos: e.Pos, Msg: e.Msg})
	}
	return ds
}

// IsGenerated reports whether src is a file that mpiregen wrote.
func IsGenerated(src []byte) bool {
	line, _, _ := strings.Cut(string(src), "\n")
	return strings.TrimRight(line, "\r") == Header
}

// taskBuild is where a task builds: where one of its declarations, in the
// files of every build, does and, when they are built in fewer places, its
// init and exit functions do. It reports declarations that would give
// another generated file on another platform.
func (c *checker) taskBuild(td taskDecl, t *Task) taskBuild {
	c.r.task = t.Func
	defer func() { c.r.task = "" }()
	list := c.decls.tasks(t.Func)
	checkSame(c.r, list, "", true)
	b := taskBuild{task: t.Func, pos: td.fd.Pos(), expr: where(list), files: len(list)}
	for _, h := range []struct {
		hook *Hook
		key  string
	}{{t.Init, "init"}, {t.Exit, "exit"}} {
		if h.hook == nil || len(c.decls[h.hook.Func]) == 0 {
			continue
		}
		hooks := c.decls[h.hook.Func]
		checkSame(c.r, hooks, fmt.Sprintf("its %s function %s is ", h.key, h.hook.Func), false)
		if e := where(hooks); !implies(b.expr, e) {
			b.expr = and(b.expr, e)
			b.hooks = append(b.hooks, "its "+h.key+" function "+h.hook.Func)
		}
	}
	return b
}

// sortTasks puts tasks, and their builds, in the order of their first
// declarations in the files of every build: the same order whatever
// platform mpiregen runs on.
func (c *checker) sortTasks(tasks []*Task, builds []taskBuild) {
	type pair struct {
		t *Task
		b taskBuild
	}
	pairs := make([]pair, len(tasks))
	for i := range tasks {
		pairs[i] = pair{tasks[i], builds[i]}
	}
	slices.SortStableFunc(pairs, func(x, y pair) int {
		xf, xo := first(c.decls.tasks(x.t.Func))
		yf, yo := first(c.decls.tasks(y.t.Func))
		return cmp.Or(strings.Compare(xf, yf), xo-yo)
	})
	for i, p := range pairs {
		tasks[i], builds[i] = p.t, p.b
	}
}

// taskBuild is the build constraint of a task, nil for none.
type taskBuild struct {
	task  string
	pos   token.Pos
	expr  constraint.Expr
	files int      // how many files declare the task
	hooks []string // the init and exit functions that narrowed it
}

// where says where the task builds, after "task X"; later, for the
// second task of a message, says it shorter when both are plain.
func (b taskBuild) where(later bool) string {
	if len(b.hooks) > 0 {
		return "is built " + buildString(b.expr) + ", as " + strings.Join(b.hooks, " and ") + " is"
	}
	switch {
	case later:
		return "in one built " + buildString(b.expr)
	case b.files > 1:
		return "is declared in files built, together, " + buildString(b.expr)
	}
	return "is declared in a file built " + buildString(b.expr)
}

// checkBuilds returns the build constraint of the tasks, which the
// generated file takes on; they must all build in the same places.
func checkBuilds(r *reporter, builds []taskBuild) string {
	if len(builds) == 0 {
		return ""
	}
	first := builds[0]
	for _, b := range builds[1:] {
		if !implies(b.expr, first.expr) || !implies(first.expr, b.expr) {
			r.errorf(b.pos, "task %s %s, task %s %s: mpiregen writes one file for them all; move the tasks into files with the same build constraints", b.task, b.where(false), first.task, first.where(len(b.hooks)+len(first.hooks) == 0))
		}
	}
	return constraintString(first.expr)
}

func constraintString(e constraint.Expr) string {
	if e == nil {
		return ""
	}
	return e.String()
}

func buildString(e constraint.Expr) string {
	if e == nil {
		return "for every platform"
	}
	return "only where " + e.String()
}

// addTags numbers the tags of e not in tags yet. Eval would not do: it
// stops early, as && and || do.
func addTags(tags map[string]int, e constraint.Expr) {
	switch e := e.(type) {
	case *constraint.TagExpr:
		if _, ok := tags[e.Tag]; !ok {
			tags[e.Tag] = len(tags)
		}
	case *constraint.NotExpr:
		addTags(tags, e.X)
	case *constraint.AndExpr:
		addTags(tags, e.X)
		addTags(tags, e.Y)
	case *constraint.OrExpr:
		addTags(tags, e.X)
		addTags(tags, e.Y)
	}
}

// and joins two build constraints, either of which may be nil.
func and(x, y constraint.Expr) constraint.Expr {
	switch {
	case x == nil:
		return y
	case y == nil:
		return x
	}
	return &constraint.AndExpr{X: x, Y: y}
}

// maxTags bounds the truth tables of implies; beyond it, constraints are
// compared as written.
const maxTags = 16

// implies reports whether every set of tags that satisfies x satisfies y,
// nil being true: equivalent constraints (darwin || linux, linux || darwin)
// imply each other, however they are written.
func implies(x, y constraint.Expr) bool {
	if y == nil {
		return true
	}
	tags := map[string]int{}
	addTags(tags, x)
	addTags(tags, y)
	if len(tags) > maxTags {
		return x != nil && x.String() == y.String()
	}
	for set := range 1 << len(tags) {
		has := func(tag string) bool { return set&(1<<tags[tag]) != 0 }
		if (x == nil || x.Eval(has)) && !y.Eval(has) {
			return false
		}
	}
	return true
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
			return syntaxErrors(err)
		}
		files = append(files, f)
	}
	gen, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, cfg.Output), src, parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	files = append(files, gen)
	paths := map[string]bool{}
	userImports := map[string][]token.Pos{} // a path → where the package's own files import it
	for _, f := range files {
		for _, spec := range f.Imports {
			if p, err := strconv.Unquote(spec.Path.Value); err == nil && p != "unsafe" && p != "C" {
				paths[p] = true
				if f != gen {
					userImports[p] = append(userImports[p], spec.Pos())
				}
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
			if len(p.Errors) == 0 || p.Types != nil && p.Types.Name() != "" {
				imports[p.PkgPath] = p.Types
				continue
			}
			// An import of the user's that does not resolve is the
			// user's error, where the compiler reports it.
			for _, pos := range userImports[p.PkgPath] {
				ds = ds.add(fset.Position(pos), p.Errors[0].Msg)
			}
			if len(userImports[p.PkgPath]) == 0 {
				// Most often a module the generated code needs and
				// go.mod lacks: the go command says what to run.
				return fmt.Errorf("the generated code imports %s: %v", p.PkgPath, p.Errors[0].Msg)
			}
		}
		if len(ds) > 0 {
			ds.sort()
			return ds
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
				ds = ds.add(te.Fset.Position(te.Pos), te.Msg)
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
		ds = ds.add(pos, e.Msg)
	}
	return ds
}

// explainImports replaces the type checker's "could not import" in ds with
// what the go command says of that package ("no required module provides
// package ..."), at the start of the import, as go build reports it.
func explainImports(ds Diagnostics, pkg *packages.Package, cfg Config) Diagnostics {
	for i, d := range ds {
		rest, ok := strings.CutPrefix(d.Msg, "could not import ")
		if !ok {
			continue
		}
		path, _, _ := strings.Cut(rest, " ")
		msg := importError(cfg, pkg.Dir, path)
		if msg == "" {
			continue
		}
		ds[i].Msg = msg
		for _, f := range pkg.Syntax {
			for _, spec := range f.Imports {
				if p := pkg.Fset.Position(spec.Path.Pos()); p.Filename == d.Pos.Filename && p.Line == d.Pos.Line && p.Column == d.Pos.Column {
					ds[i].Pos = pkg.Fset.Position(spec.Pos())
				}
			}
		}
	}
	return ds
}

// importError returns the go command's error for the package at path as
// dir imports it, "" when it has none.
func importError(cfg Config, dir, path string) string {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName, Dir: dir, BuildFlags: buildFlags(cfg)}, path)
	if err != nil || len(pkgs) != 1 || len(pkgs[0].Errors) == 0 {
		return ""
	}
	return pkgs[0].Errors[0].Msg
}

// parseErrors returns the package's syntax errors, once each: with them,
// its type errors are noise, as they are to the compiler.
func parseErrors(pkg *packages.Package, output string) Diagnostics {
	var ds Diagnostics
	for _, e := range pkg.Errors {
		pos := parsePos(e.Pos)
		if e.Kind != packages.ParseError || pos.Filename == output {
			continue
		}
		if d := (Diagnostic{Pos: pos, Msg: e.Msg}); !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
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
// error.
func readFile(r *reporter, file *ast.File) []taskDecl {
	onFunc := map[*ast.Comment]*ast.FuncDecl{}
	for _, decl := range file.Decls {
		if fd, ok := decl.(*ast.FuncDecl); ok && fd.Doc != nil {
			for _, c := range fd.Doc.List {
				onFunc[c] = fd
			}
		}
	}
	var decls []taskDecl
	seen := map[*ast.FuncDecl]bool{}
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
			case seen[fd]:
				r.task = fd.Name.Name
				r.errorf(c.Slash, "a second //mpire:task on the same function: a function has one; to give it several pools, call it from other functions")
				r.task = ""
			case d != nil:
				seen[fd] = true
				decls = append(decls, taskDecl{fd: fd, d: d})
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

// shortPos writes a position for a message, its file marked so that
// Diagnostic.String writes it as it writes the diagnostic's own.
func shortPos(p token.Position) string {
	return fmt.Sprintf("%c%s%c:%d:%d", fileMark, p.Filename, fileMark, p.Line, p.Column)
}
