// Package templates writes the Go code of the pools that mpiregen generates,
// from the model that package gen produces. It only prints: every check has
// been made, and every name chosen, by gen.
package templates

import (
	"bytes"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/mpire-go/mpire/gen"
)

// Render returns the gofmt'ed source of the generated file of pkg.
func Render(pkg *gen.Package) ([]byte, error) {
	f := jen.NewFilePathName(pkg.Path, pkg.Name)
	f.HeaderComment(gen.Header)
	if pkg.Build != "" {
		f.HeaderComment("//go:build " + pkg.Build)
	}
	for _, imp := range pkg.Imports {
		if imp.Name == path.Base(imp.Path) {
			f.ImportName(imp.Path, imp.Name)
		} else {
			f.ImportAlias(imp.Path, imp.Name)
		}
	}
	doc(f, fmt.Sprintf("This file needs version %d of the runtime's interface for generated code.", implVersion),
		"If these lines do not compile, mpiregen and the runtime do not match: run go generate again with the mpiregen of the runtime's module version.")
	f.Const().Defs(
		jen.Id("_").Op("=").Add(impl("EnforceVersion")).Call(jen.Lit(implVersion).Op("-").Add(impl("MinVersion"))),
		jen.Id("_").Op("=").Add(impl("EnforceVersion")).Call(impl("MaxVersion").Op("-").Lit(implVersion)),
	)
	for _, t := range pkg.Tasks {
		(&task{Task: t}).guard(f, pkg.Path)
	}
	for _, t := range pkg.Tasks {
		(&task{Task: t, pkg: pkg}).write(f)
	}
	codecs(f, pkg)
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", pkg.Path, err)
	}
	return groupImports(buf.Bytes(), pkg.Imports)
}

// Empty returns the generated file of a package without tasks, which
// mpiregen writes when it cannot remove the file yet.
func Empty(pkgName string) []byte {
	f := jen.NewFile(pkgName)
	f.HeaderComment(gen.Header)
	f.HeaderComment("")
	f.HeaderComment("The package has no //mpire:task directive any more: this file can be")
	f.HeaderComment("deleted, and mpiregen deletes it when run outside go generate.")
	return []byte(f.GoString())
}

// groupImports puts the standard library's imports first and the others
// after a blank line, as goimports does; jennifer writes them all in one
// group.
func groupImports(src []byte, imports []gen.Import) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", src, parser.ImportsOnly|parser.ParseComments)
	if err != nil || len(file.Imports) == 0 {
		return src, err
	}
	std := map[string]bool{}
	for _, imp := range imports {
		std[imp.Path] = imp.Std
	}
	var groups [2][]string
	for _, spec := range file.Imports {
		line := string(src[fset.Position(spec.Pos()).Offset:fset.Position(spec.End()).Offset])
		p := strings.Trim(spec.Path.Value, `"`)
		if std[p] {
			groups[0] = append(groups[0], line)
		} else {
			groups[1] = append(groups[1], line)
		}
	}
	var block strings.Builder
	block.WriteString("import (\n")
	for i, g := range groups {
		if i > 0 && len(groups[0]) > 0 && len(g) > 0 {
			block.WriteString("\n")
		}
		for _, line := range g {
			block.WriteString("\t" + line + "\n")
		}
	}
	block.WriteString(")")
	decl := file.Decls[0]
	start, end := fset.Position(decl.Pos()).Offset, fset.Position(decl.End()).Offset
	out := append(append(append([]byte{}, src[:start]...), block.String()...), src[end:]...)
	return format.Source(out)
}

// doc writes a doc comment, one paragraph per argument, each wrapped at 80
// columns, never inside the command "go generate", which readers look for.
func doc(f *jen.File, paragraphs ...string) {
	const glue = "go\x00generate"
	for i, p := range paragraphs {
		if i > 0 {
			f.Comment("")
		}
		line := ""
		for _, word := range strings.Fields(strings.ReplaceAll(p, "go generate", glue)) {
			if line != "" && len(line)+1+len(word) > 77 {
				f.Comment(strings.ReplaceAll(line, glue, "go generate"))
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		f.Comment(strings.ReplaceAll(line, glue, "go generate"))
	}
}

// rt names an identifier of the runtime's user API; impl one of its
// plumbing for generated code.
func rt(name string) *jen.Statement   { return jen.Qual(gen.RuntimePath, name) }
func impl(name string) *jen.Statement { return jen.Qual(gen.ImplPath, name) }

// implVersion is the version of the interface to the runtime that generated
// code is written for (mpireimpl.MinVersion to MaxVersion).
const implVersion = 2

// values writes a composite literal's fields one per line, in the order
// given: the order of the type's declaration.
func values(pairs ...jen.Code) *jen.Statement {
	items := make([]jen.Code, 0, len(pairs)/2+1)
	for i := 0; i+1 < len(pairs); i += 2 {
		items = append(items, jen.Line().Add(pairs[i]).Op(":").Add(pairs[i+1]))
	}
	return jen.Values(append(items, jen.Line())...)
}

// task writes the code of one task.
type task struct {
	*gen.Task
	pkg *gen.Package
}

// errorType names the predeclared error, through the runtime in a package
// that declares its own.
func (t *task) errorType() jen.Code {
	if t.pkg.ErrorHidden {
		return impl("Error")
	}
	return jen.Error()
}

func (t *task) write(f *jen.File) {
	if t.ArgType != "" {
		doc(f, fmt.Sprintf("%s is the argument of one %s task.", t.ArgType, t.Func))
		f.Type().Id(t.ArgType).Op("=").Add(typeCode(t.Args[0].Type))
	}
	if t.ResultType != "" {
		doc(f, fmt.Sprintf("%s is what %s returns.", t.ResultType, t.Func))
		f.Type().Id(t.ResultType).Op("=").Add(typeCode(t.Result))
	}
	if t.ArgsType != "" {
		t.argsStruct(f)
	}
	t.poolType(f)
	t.constructor(f)
	t.run(f)
	if t.Init != nil {
		t.hookMethod(f, "init", t.Init, t.Scopes.Init)
	}
	if t.Exit != nil {
		t.hookMethod(f, "exit", t.Exit, t.Scopes.Exit)
	}
	t.format(f)
	t.methods(f)
	if t.Portable != nil {
		t.portable(f)
	}
}

// guard writes, for the task function and its hooks, a line that stops
// compiling when the function no longer has the type the code was
// generated for, with a comment that says what to do.
func (t *task) guard(f *jen.File, pkgPath string) {
	// The argument and the result spelled by their aliases, in a copy of
	// the signature.
	sig := *t.Sig
	alias := func(name string) *gen.Type { return &gen.Type{Kind: gen.Named, Pkg: pkgPath, Name: name} }
	if t.ArgType != "" {
		sig.Fields = slices.Clone(sig.Fields)
		sig.Fields[len(sig.Fields)-1].Type = alias(t.ArgType)
	}
	if t.ResultType != "" {
		sig.Results = slices.Clone(sig.Results)
		sig.Results[0].Type = alias(t.ResultType)
	}
	names := []string{t.Func}
	specs := []jen.Code{jen.Id("_").Add(typeCode(&sig)).Op("=").Id(t.Func)}
	for _, h := range []*gen.Hook{t.Init, t.Exit} {
		if h != nil && h.Func != t.Func {
			names = append(names, h.Func)
			specs = append(specs, jen.Id("_").Add(typeCode(h.Sig)).Op("=").Id(h.Func))
		}
	}
	text := names[0] + " as it was when this file was generated. If this does not compile, it changed since: run go generate."
	if len(names) > 1 {
		text = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] +
			" as they were when this file was generated. If this does not compile, one of them changed since: run go generate."
	}
	doc(f, text)
	if len(specs) == 1 {
		f.Var().Add(specs[0])
		return
	}
	f.Var().Defs(specs...)
}

// Type codes of the runtime pool's type parameters.

func (t *task) stateType() jen.Code {
	if t.State == nil {
		return jen.Struct()
	}
	return typeCode(t.State)
}

func (t *task) argType() jen.Code {
	for _, name := range []string{t.ArgsType, t.ArgType} {
		if name != "" {
			return jen.Id(name)
		}
	}
	return typeCode(t.Args[0].Type)
}

func (t *task) resultType() jen.Code {
	if t.ResultType != "" {
		return jen.Id(t.ResultType)
	}
	return typeCode(t.Result)
}

func (t *task) exitType() jen.Code {
	if t.Exit == nil || t.Exit.Result == nil {
		return jen.Struct()
	}
	return typeCode(t.Exit.Result)
}

func (t *task) typeArgs() []jen.Code {
	return []jen.Code{t.stateType(), t.argType(), t.resultType(), t.exitType()}
}

func (t *task) argsStruct(f *jen.File) {
	fields := make([]jen.Code, len(t.Args))
	for i, a := range t.Args {
		fields[i] = jen.Id(a.Field).Add(typeCode(a.Type))
	}
	doc(f, fmt.Sprintf("%s holds the arguments of one %s task, in the order %s takes them.", t.ArgsType, t.Func, t.Func))
	f.Type().Id(t.ArgsType).Struct(fields...)
}

// recv is the receiver of a method whose names are l.
func (t *task) recv(l gen.Locals) *jen.Statement {
	return jen.Id(l.Recv).Op("*").Id(t.Pool)
}

func (t *task) poolType(f *jen.File) {
	fields := []jen.Code{jen.Id("pool").Op("*").Add(impl("Pool")).Types(t.typeArgs()...)}
	if t.Shared != nil {
		fields = append(fields, jen.Id("shared").Add(typeCode(t.Shared)))
	}
	doc(f,
		fmt.Sprintf("%s runs %s on a pool of workers. Create it with %s.", t.Pool, t.Func, t.New),
		"Its methods are safe for concurrent use. Close it when done with it: that stops workers kept alive and runs their exit functions.")
	f.Type().Id(t.Pool).Struct(fields...)
}

func (t *task) constructor(f *jen.File) {
	l := t.Scopes.New
	var params []jen.Code
	what := fmt.Sprintf("%s returns a pool that runs %s.", t.New, t.Func)
	init := jen.Id(l.Recv).Op(":=").Op("&").Id(t.Pool).Values()
	if t.Shared != nil {
		params = append(params, jen.Id(l.Shared).Add(typeCode(t.Shared)))
		what = fmt.Sprintf("%s returns a pool that runs %s, handing %s to every worker without copying it.", t.New, t.Func, l.Shared)
		if t.Portable != nil {
			what = fmt.Sprintf("%s returns a pool that runs %s, handing %s to every worker: as it is to goroutines, as a copy to each worker process (mpire.WithProcesses).", t.New, t.Func, l.Shared)
		}
		init = jen.Id(l.Recv).Op(":=").Op("&").Id(t.Pool).Values(jen.Id("shared").Op(":").Id(l.Shared))
	}
	params = append(params, jen.Id(l.Opts).Op("...").Add(rt("Option")))
	method := func(name string) jen.Code { return jen.Id(l.Recv).Dot(name) }
	fields := []jen.Code{
		jen.Id("Name"), jen.Lit(t.Func),
		// The runtime finds where the function is: a line number here
		// would go stale with any edit above the function.
		jen.Id("Pos"), impl("FuncPos").Call(jen.Id(t.Func)),
		jen.Id("Run"), method("run"),
	}
	if t.Init != nil {
		fields = append(fields, jen.Id("Init"), method("init"))
	}
	if t.Exit != nil {
		fields = append(fields, jen.Id("Exit"), method("exit"))
	}
	fields = append(fields, jen.Id("Format"), method("format"))
	doc(f, what,
		fmt.Sprintf("%s are the pool's defaults; calls may override the ones that are not pool options.", l.Opts),
		"It panics on an invalid option value.")
	fn := impl("Func").Types(t.typeArgs()...).Add(values(fields...))
	if t.Portable != nil {
		f.Func().Id(t.New).Params(params...).Op("*").Id(t.Pool).Block(t.portableConstructor(init)...)
		t.fnMethod(f, fn)
		return
	}
	f.Func().Id(t.New).Params(params...).Op("*").Id(t.Pool).Block(
		init,
		jen.Id(l.Recv).Dot("pool").Op("=").Add(impl("NewPool")).Call(fn, jen.Id(l.Opts).Op("...")),
		jen.Return(jen.Id(l.Recv)),
	)
}

// worker is the *Worker[St] parameter of the methods the runtime calls.
func (t *task) worker(l gen.Locals) jen.Code {
	return jen.Id(l.Worker).Op("*").Add(impl("Worker")).Types(t.stateType())
}

// leading returns the arguments for the leading parameters kinds, in a
// function whose names are l; local says whether ctx, id and state were
// hoisted into variables.
func (t *task) leading(l gen.Locals, kinds []gen.Kind, local bool) []jen.Code {
	pick := func(name, method string) jen.Code {
		if local {
			return jen.Id(name)
		}
		return jen.Id(l.Worker).Dot(method).Call()
	}
	var args []jen.Code
	for _, k := range kinds {
		switch k {
		case gen.Ctx:
			args = append(args, pick(l.Ctx, "Context"))
		case gen.WorkerID:
			args = append(args, pick(l.ID, "ID"))
		case gen.Shared:
			args = append(args, jen.Id(l.Recv).Dot("shared"))
		case gen.State:
			args = append(args, pick(l.State, "State"))
		}
	}
	return args
}

// run writes the hot loop: a direct call of the task function per task.
func (t *task) run(f *jen.File) {
	l := t.Scopes.Run
	w, n, out, args := jen.Id(l.Worker), jen.Id(l.N), jen.Id(l.Out), jen.Id(l.Args)
	body := []jen.Code{jen.Defer().Add(w).Dot("Recover").Call(jen.Op("&").Add(n), jen.Op("&").Id(l.Err))}
	for _, k := range t.Leading {
		switch k {
		case gen.Ctx:
			body = append(body, jen.Id(l.Ctx).Op(":=").Add(w).Dot("Context").Call())
		case gen.WorkerID:
			body = append(body, jen.Id(l.ID).Op(":=").Add(w).Dot("ID").Call())
		case gen.State:
			body = append(body, jen.Id(l.State).Op(":=").Add(w).Dot("State").Call())
		}
	}
	callArgs := t.leading(l, t.Leading, true)
	var loop []jen.Code
	if t.ArgsType != "" {
		loop = append(loop, jen.Id(l.A).Op(":=").Op("&").Add(args).Index(n))
		for _, a := range t.Args {
			callArgs = append(callArgs, jen.Id(l.A).Dot(a.Field))
		}
	} else {
		callArgs = append(callArgs, jen.Add(args).Index(n))
	}
	if t.Variadic {
		callArgs[len(callArgs)-1] = jen.Add(callArgs[len(callArgs)-1]).Op("...")
	}
	call := jen.Id(t.Func).Call(callArgs...)
	if t.ResultErr {
		loop = append(loop, jen.If(
			jen.List(jen.Add(out).Index(n), jen.Id(l.Err)).Op("=").Add(call),
			jen.Id(l.Err).Op("!=").Nil(),
		).Block(jen.Return(n, jen.Id(l.Err))))
	} else {
		loop = append(loop, jen.Add(out).Index(n).Op("=").Add(call))
	}
	body = append(body,
		jen.For(jen.Empty(), jen.Add(n).Op("<").Len(args).Op("&&").Op("!").Add(w).Dot("Stopped").Call(), jen.Add(n).Op("++")).Block(loop...),
		jen.Return(n, jen.Nil()),
	)
	doc(f,
		fmt.Sprintf("run calls %s for each task of a chunk, writing the results to %s.", t.Func, l.Out),
		"It is the pool's hot loop: a direct call per task, nothing allocated.")
	f.Func().Params(t.recv(l)).Id("run").Params(
		t.worker(l), jen.Add(args).Index().Add(t.argType()), jen.Add(out).Index().Add(t.resultType()),
	).Params(jen.Add(n).Int(), jen.Id(l.Err).Add(t.errorType())).Block(body...)
}

// hookMethod writes init or exit: the runtime's view of the user's function.
func (t *task) hookMethod(f *jen.File, name string, h *gen.Hook, l gen.Locals) {
	call := jen.Id(h.Func).Call(t.leading(l, h.Leading, false)...)
	var results []jen.Code
	var body []jen.Code
	if name == "init" {
		results = []jen.Code{t.errorType()}
		if h.ResultErr {
			body = []jen.Code{jen.Return(call)}
		} else {
			body = []jen.Code{call, jen.Return(jen.Nil())}
		}
	} else {
		results = []jen.Code{t.exitType(), t.errorType()}
		switch {
		case h.Result != nil && h.ResultErr:
			body = []jen.Code{jen.Return(call)}
		case h.Result != nil:
			body = []jen.Code{jen.Return(call, jen.Nil())}
		case h.ResultErr:
			body = []jen.Code{jen.Return(jen.Struct().Values(), call)}
		default:
			body = []jen.Code{call, jen.Return(jen.Struct().Values(), jen.Nil())}
		}
	}
	doc(f, fmt.Sprintf("%s runs %s for a worker.", name, h.Func))
	f.Func().Params(t.recv(l)).Id(name).Params(t.worker(l)).Params(results...).Block(body...)
}

// format writes the formatter of a task's arguments for errors and
// insights, which names them as the function does.
func (t *task) format(f *jen.File) {
	l := t.Scopes.Format
	a := jen.Id(l.A)
	var pairs []jen.Code
	for _, arg := range t.Args {
		value := jen.Op("*").Add(a)
		if t.ArgsType != "" {
			value = jen.Add(a).Dot(arg.Field)
		}
		pairs = append(pairs, jen.Lit(arg.Label), value)
	}
	doc(f, fmt.Sprintf("format formats the arguments of a %s task for errors and insights.", t.Func))
	f.Func().Params(t.recv(l)).Id("format").Params(jen.Add(a).Op("*").Add(t.argType())).String().Block(
		jen.Return(impl("FormatArgs").Call(pairs...)),
	)
}

// methods writes the pool's public methods, which forward to the runtime.
func (t *task) methods(f *jen.File) {
	ctx := func(l gen.Locals) jen.Code { return jen.Id(l.Ctx).Qual("context", "Context") }
	opts := func(l gen.Locals) jen.Code { return jen.Id(l.Opts).Op("...").Add(rt("CallOption")) }
	fwd := func(l gen.Locals, method string, args ...jen.Code) jen.Code {
		return jen.Return(jen.Id(l.Recv).Dot("pool").Dot(method).Call(append(args, jen.Id(l.Opts).Op("..."))...))
	}

	l := t.Scopes.Map
	recv := t.recv(l)
	args := jen.Id(l.Args)
	slice := jen.Index().Add(t.argType())
	seq := jen.Qual("iter", "Seq").Types(t.argType())
	seq2 := jen.Qual("iter", "Seq2").Types(t.resultType(), t.errorType())
	results := jen.Params(jen.Index().Add(t.resultType()), t.errorType())

	doc(f,
		fmt.Sprintf("Map calls %s on every element of %s, on the pool's workers, and returns the results in input order.", t.Func, l.Args),
		"The first failure stops the call and is returned as a *mpire.TaskError.")
	f.Func().Params(recv).Id("Map").Params(ctx(l), jen.Add(args).Add(slice), opts(l)).Add(results).Block(fwd(l, "Map", jen.Id(l.Ctx), args))

	doc(f, "MapUnordered is Map with the results in completion order.")
	f.Func().Params(recv).Id("MapUnordered").Params(ctx(l), jen.Add(args).Add(slice), opts(l)).Add(results).Block(fwd(l, "MapUnordered", jen.Id(l.Ctx), args))

	doc(f,
		fmt.Sprintf("IMap calls %s on the elements of %s as they come and yields the results in input order.", t.Func, l.Args),
		"On the first failure it yields the zero result and the error, once. Breaking out of the loop stops the work.")
	f.Func().Params(recv).Id("IMap").Params(ctx(l), jen.Add(args).Add(seq), opts(l)).Add(seq2).Block(fwd(l, "IMap", jen.Id(l.Ctx), args))

	doc(f, "IMapUnordered is IMap with the results yielded as they complete.")
	f.Func().Params(recv).Id("IMapUnordered").Params(ctx(l), jen.Add(args).Add(seq), opts(l)).Add(seq2).Block(fwd(l, "IMapUnordered", jen.Id(l.Ctx), args))

	l = t.Scopes.Apply
	recv = t.recv(l)
	params := []jen.Code{ctx(l)}
	for _, a := range t.Args {
		params = append(params, jen.Id(a.Name).Add(typeCode(a.Type)))
	}
	if t.ArgType != "" {
		params[1] = jen.Id(t.Args[0].Name).Id(t.ArgType)
	}
	params = append(params, opts(l))
	task := jen.Id(t.Args[0].Name)
	if t.ArgsType != "" {
		var fields []jen.Code
		for _, a := range t.Args {
			fields = append(fields, jen.Id(a.Field), jen.Id(a.Name))
		}
		task = jen.Id(t.ArgsType).Add(values(fields...))
	}
	doc(f,
		fmt.Sprintf("Apply calls %s once, on one of the pool's workers, and returns its result.", t.Func),
		"A failure fails only this call.")
	f.Func().Params(recv).Id("Apply").Params(params...).Params(t.resultType(), t.errorType()).Block(fwd(l, "Apply", jen.Id(l.Ctx), task))

	doc(f, "ApplyAsync is Apply without waiting: read the result from the returned *mpire.AsyncResult.")
	f.Func().Params(recv).Id("ApplyAsync").Params(params...).Op("*").Add(rt("AsyncResult")).Types(t.resultType()).Block(fwd(l, "ApplyAsync", jen.Id(l.Ctx), task))

	l = t.Scopes.Pool
	recv = t.recv(l)
	if t.Exit != nil && t.Exit.Result != nil {
		doc(f, fmt.Sprintf("ExitResults returns what %s returned for each worker stopped by the most recent call, or by Close.", t.Exit.Func))
		f.Func().Params(recv).Id("ExitResults").Params().Index().Add(t.exitType()).Block(jen.Return(jen.Id(l.Recv).Dot("pool").Dot("ExitResults").Call()))
	}

	doc(f, "Insights returns the worker insights of the most recent calls; the pool must be made with mpire.WithInsights.")
	f.Func().Params(recv).Id("Insights").Params().Add(rt("Insights")).Block(jen.Return(jen.Id(l.Recv).Dot("pool").Dot("Insights").Call()))

	doc(f, "Close waits for running calls, stops the workers, runs their exit functions and returns the first exit error.")
	f.Func().Params(recv).Id("Close").Params().Add(t.errorType()).Block(jen.Return(jen.Id(l.Recv).Dot("pool").Dot("Close").Call()))
}
