package templates

import (
	"fmt"
	"math"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/mpire-go/mpire/gen"
)

// This file writes what a portable task adds: its mpireimpl.Portable, the
// registration that makes a worker process serve it, and the codecs of the
// values that cross, written with the MessagePack primitives of msgpimpl:
// no reflection, nothing boxed in an interface.

// msgp names a primitive of msgpimpl.
func msgp(name string) *jen.Statement { return jen.Qual(gen.MsgpImplPath, name) }

// portableConstructor returns the body of a portable task's constructor:
// the Func comes from the fn method, which worker processes call too, and
// gets the task's Portable and the shared object's encoder. init makes the
// pool.
func (t *task) portableConstructor(init jen.Code) []jen.Code {
	l, pt := t.Scopes.New, t.Portable
	body := []jen.Code{
		init,
		jen.Id(l.Fn).Op(":=").Id(l.Recv).Dot("fn").Call(),
		// Set here, not in fn: the variable refers to fn through Child, so
		// fn referring to it would be an initialization cycle.
		jen.Id(l.Fn).Dot("Portable").Op("=").Op("&").Id(pt.Var),
	}
	if pt.Shared != nil {
		b := t.pkg.CodecLocals.B
		body = append(body, jen.Id(l.Fn).Dot("Shared").Op("=").Func().Params(jen.Id(b).Index().Byte()).Index().Byte().Block(
			jen.Return(jen.Id(pt.Shared.Append).Call(jen.Id(b), jen.Op("&").Id(l.Recv).Dot("shared"))),
		))
	}
	return append(body,
		jen.Id(l.Recv).Dot("pool").Op("=").Add(impl("NewPool")).Call(jen.Id(l.Fn), jen.Id(l.Opts).Op("...")),
		jen.Return(jen.Id(l.Recv)),
	)
}

// fnMethod writes the method that describes a portable task to the runtime.
func (t *task) fnMethod(f *jen.File, fn jen.Code) {
	doc(f, fmt.Sprintf("fn describes %s to the runtime, in this process and in worker processes.", t.Func))
	f.Func().Params(t.recv(t.Scopes.New)).Id("fn").Params().Add(impl("Func")).Types(t.typeArgs()...).Block(jen.Return(fn))
}

// portable writes the task's Portable and its registration.
func (t *task) portable(f *jen.File) {
	pt, cl := t.Portable, t.pkg.CodecLocals
	b, v, err := jen.Id(cl.B), jen.Id(cl.V), jen.Id(cl.Err)
	i, n := jen.Id(cl.I[0]), jen.Id(cl.N[0])
	bytes := jen.Index().Byte()
	onErr := func(ret ...jen.Code) jen.Code {
		return jen.If(jen.Add(err).Op("!=").Nil()).Block(jen.Return(ret...))
	}
	appendAll := func(elem jen.Code, cd *gen.Codec) jen.Code {
		return jen.Func().Params(jen.Add(b).Add(bytes), jen.Add(v).Index().Add(elem)).Add(bytes).Block(
			jen.Add(b).Op("=").Add(msgp("AppendArrayHeader")).Call(b, jen.Len(v)),
			jen.For(jen.Add(i).Op(":=").Range().Add(v)).Block(
				jen.Add(b).Op("=").Id(cd.Append).Call(b, jen.Op("&").Add(v).Index(i)),
			),
			jen.Return(b),
		)
	}
	readArgs := []jen.Code{
		// A length that the message cannot hold is refused before
		// anything is allocated.
		jen.List(n, b, err).Op(":=").Add(msgp("ReadArrayLen")).Call(b, jen.Lit(newSizer(t.pkg).codec(pt.Args))),
		onErr(v, err),
		jen.Id(cl.K[0]).Op(":=").Len(v),
		jen.Add(v).Op("=").Append(v, jen.Make(jen.Index().Add(t.argType()), n).Op("...")),
		jen.For(jen.Add(i).Op(":=").Id(cl.K[0]), jen.Add(i).Op("<").Len(v), jen.Add(i).Op("++")).Block(
			jen.If(jen.List(b, err).Op("=").Id(pt.Args.Read).Call(b, jen.Op("&").Add(v).Index(i)), jen.Add(err).Op("!=").Nil()).Block(
				jen.Return(jen.Add(v).Index(jen.Empty(), i), err),
			),
		),
		jen.Return(v, jen.Nil()),
	}
	readResults := []jen.Code{
		jen.List(b, err).Op(":=").Add(msgp("ReadArrayHeader")).Call(b, jen.Len(v)),
		onErr(err),
		jen.For(jen.Add(i).Op(":=").Range().Add(v)).Block(
			jen.If(jen.List(b, err).Op("=").Id(pt.Result.Read).Call(b, jen.Op("&").Add(v).Index(i)), jen.Add(err).Op("!=").Nil()).Block(
				jen.Return(err),
			),
		),
		jen.Return(jen.Nil()),
	}
	var appendExit, readExit jen.Code
	if pt.Exit != nil {
		appendExit = jen.Id(pt.Exit.Append)
		readExit = jen.Func().Params(jen.Add(b).Add(bytes), jen.Add(v).Op("*").Add(t.exitType())).Error().Block(
			jen.List(jen.Id("_"), err).Op(":=").Id(pt.Exit.Read).Call(b, v),
			jen.Return(err),
		)
	} else {
		// No exit value: nothing to encode.
		appendExit = jen.Func().Params(jen.Add(b).Add(bytes), jen.Id("_").Op("*").Struct()).Add(bytes).Block(jen.Return(b))
		readExit = jen.Func().Params(bytes, jen.Op("*").Struct()).Error().Block(jen.Return(jen.Nil()))
	}
	fn := impl("Func").Types(t.typeArgs()...)
	child := []jen.Code{jen.Add(v).Op(":=").Op("&").Id(t.Pool).Values()}
	if pt.Shared != nil {
		child = append(child, jen.If(
			jen.List(jen.Id("_"), err).Op(":=").Id(pt.Shared.Read).Call(b, jen.Op("&").Add(v).Dot("shared")),
			jen.Add(err).Op("!=").Nil(),
		).Block(jen.Return(fn.Clone().Values(), err)))
	}
	child = append(child, jen.Return(jen.Add(v).Dot("fn").Call(), jen.Nil()))

	doc(f, fmt.Sprintf("%s is how the values of %s cross to and from its worker processes.", pt.Var, t.Func))
	f.Var().Id(pt.Var).Op("=").Add(impl("Portable")).Types(t.typeArgs()...).Add(values(
		jen.Id("Task"), jen.Lit(t.pkg.Path+"."+t.Pool),
		jen.Id("AppendArgs"), appendAll(t.argType(), pt.Args),
		jen.Id("ReadArgs"), jen.Func().Params(jen.Add(b).Add(bytes), jen.Add(v).Index().Add(t.argType())).Params(jen.Index().Add(t.argType()), jen.Error()).Block(readArgs...),
		jen.Id("AppendResults"), appendAll(t.resultType(), pt.Result),
		jen.Id("ReadResults"), jen.Func().Params(jen.Add(b).Add(bytes), jen.Add(v).Index().Add(t.resultType())).Error().Block(readResults...),
		jen.Id("AppendExit"), appendExit,
		jen.Id("ReadExit"), readExit,
		jen.Id("Child"), jen.Func().Params(jen.Add(b).Add(bytes)).Params(fn.Clone(), jen.Error()).Block(child...),
	))
	doc(f, "A worker process of this binary serves the task from here, once the package is initialised.")
	f.Func().Id("init").Params().Block(impl("ServePortable").Call(jen.Op("&").Id(pt.Var)))
}

// codecs writes the encoder and decoder of every type that portable tasks
// send.
func codecs(f *jen.File, pkg *gen.Package) {
	sizes := newSizer(pkg)
	for _, cd := range pkg.Codecs {
		c := &coder{pkg: pkg, l: pkg.CodecLocals, self: cd, sizes: sizes}
		c.write(f)
	}
}

// coder writes one codec. Expressions are Go source text: the codec only
// ever names its locals and their fields, elements and pointees.
type coder struct {
	pkg   *gen.Package
	l     gen.CodecLocals
	self  *gen.Codec
	sizes *sizer
}

func (c *coder) write(f *jen.File) {
	cd, l := c.self, c.l
	b, v, err := jen.Id(l.B), jen.Id(l.V), jen.Id(l.Err)
	bytes := jen.Index().Byte()
	var enc, dec []jen.Code
	switch cd.Via {
	case gen.ViaMsgp:
		enc = []jen.Code{
			jen.List(b, err).Op(":=").Add(v).Dot("MarshalMsg").Call(b),
			jen.If(jen.Add(err).Op("!=").Nil()).Block(jen.Panic(err)),
			jen.Return(b),
		}
		dec = []jen.Code{jen.Return(jen.Add(v).Dot("UnmarshalMsg").Call(b))}
	case gen.ViaBinary:
		x := jen.Id(l.X)
		enc = []jen.Code{
			jen.List(x, err).Op(":=").Add(v).Dot("MarshalBinary").Call(),
			jen.If(jen.Add(err).Op("!=").Nil()).Block(
				// In place of the bytes, the error, which the decoder
				// returns: the call fails, not the process.
				jen.Return(msgp("AppendString").Call(b, jen.Add(err).Dot("Error").Call())),
			),
			jen.Return(msgp("AppendBytes").Call(b, x)),
		}
		dec = []jen.Code{
			jen.If(msgp("IsString").Call(b)).Block(
				jen.Var().Add(x).String(),
				c.check(jen.List(x, b, err).Op("=").Add(msgp("ReadString")).Call(b)),
				jen.Return(b, jen.Qual("errors", "New").Call(x)),
			),
			// A copy: the type may keep what it is given, and the
			// message's buffer is reused.
			jen.Var().Add(x).Index().Byte(),
			c.check(jen.List(x, b, err).Op("=").Add(msgp("ReadBytes")).Call(b)),
			jen.Return(b, jen.Add(v).Dot("UnmarshalBinary").Call(x)),
		}
	default:
		self := "(*" + l.V + ")"
		enc = append(c.encode(cd.Shape, self, true, 0), jen.Return(b))
		dec = append(c.decode(cd.Shape, self, true, 0, true), jen.Return(b, jen.Nil()))
	}
	doc(f, fmt.Sprintf("%s appends the encoding of *%s to %s.", cd.Append, l.V, l.B))
	f.Func().Id(cd.Append).Params(jen.Add(b).Add(bytes), jen.Add(v).Op("*").Add(typeCode(cd.Type))).Add(bytes).Block(enc...)
	doc(f, fmt.Sprintf("%s decodes what %s encoded into *%s.", cd.Read, cd.Append, l.V))
	f.Func().Id(cd.Read).Params(jen.Add(b).Add(bytes), jen.Add(v).Op("*").Add(typeCode(cd.Type))).Params(jen.Id("_").Add(bytes), jen.Add(err).Error()).Block(dec...)
}

// check runs stmt, a read that sets err, and returns on failure.
func (c *coder) check(assign jen.Code) jen.Code {
	return jen.If(assign, jen.Id(c.l.Err).Op("!=").Nil()).Block(jen.Return(jen.Id(c.l.B), jen.Id(c.l.Err)))
}

// Expressions.

// deref is the value that pointer expression e points to.
func deref(e string) string { return "(*" + e + ")" }

// pointee returns p when e is (*p), the value p points to.
func pointee(e string) (string, bool) {
	if !strings.HasPrefix(e, "(*") || !strings.HasSuffix(e, ")") {
		return "", false
	}
	depth := 0
	for i, r := range e {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(e)-1 {
				return "", false // (*p)[i].f, say
			}
		}
	}
	return e[2 : len(e)-1], true
}

// addr is the address of e.
func addr(e string) string {
	if p, ok := pointee(e); ok {
		return p
	}
	return "&" + e
}

// sel is field f of the struct e; a pointer to a struct selects as well.
func sel(e, f string) string {
	if p, ok := pointee(e); ok {
		e = p
	}
	return e + "." + f
}

// plain is e as a whole expression, without the parentheses that indexing
// needs.
func plain(e string) string {
	if p, ok := pointee(e); ok {
		return "*" + p
	}
	return e
}

// primitive is what msgpimpl has for a basic type.
type primitive struct {
	fn   string // its functions are Append+fn and Read+fn
	typ  string // the type they take
	size int    // the smallest encoding that Read+fn accepts, in bytes
}

// primitives maps a basic type to msgpimpl's functions for it.
var primitives = map[string]primitive{
	"bool": {"Bool", "bool", 1}, "string": {"String", "string", 1},
	"int": {"Int", "int", 1}, "int8": {"Int8", "int8", 1}, "int16": {"Int16", "int16", 1},
	"int32": {"Int32", "int32", 1}, "rune": {"Int32", "int32", 1}, "int64": {"Int64", "int64", 1},
	"uint": {"Uint", "uint", 1}, "uint8": {"Uint8", "uint8", 1}, "byte": {"Uint8", "uint8", 1},
	"uint16": {"Uint16", "uint16", 1}, "uint32": {"Uint32", "uint32", 1}, "uint64": {"Uint64", "uint64", 1},
	"uintptr": {"Uint64", "uint64", 1},
	// A float64 may come as a float32: 5 bytes.
	"float32": {"Float32", "float32", 5}, "float64": {"Float64", "float64", 5},
	"complex64": {"Complex64", "complex64", 10}, "complex128": {"Complex128", "complex128", 18},
}

// converts reports whether a value of basic type name, or of a named type
// of it (named), needs a conversion to and from msgpimpl's type for it.
func converts(name string, named bool) bool {
	p := primitives[name]
	return named || (p.typ != name && name != "byte" && name != "rune")
}

func isBytes(t *gen.Type) bool {
	return t.Kind == gen.Slice && t.Elem.Kind == gen.Basic && (t.Elem.Name == "byte" || t.Elem.Name == "uint8")
}

// encode returns the statements appending e, of type t, to b. named says
// that e is of the codec's own named type, whose shape t is; depth is the
// nesting of slices, arrays, maps and structs around e.
func (c *coder) encode(t *gen.Type, e string, named bool, depth int) []jen.Code {
	l := c.l
	b := jen.Id(l.B)
	app := func(fn string, args ...jen.Code) jen.Code {
		return jen.Add(b).Op("=").Add(msgp(fn)).Call(append([]jen.Code{b}, args...)...)
	}
	orNil := func(then ...jen.Code) []jen.Code {
		return []jen.Code{jen.If(jen.Id(plain(e)).Op("==").Nil()).Block(app("AppendNil")).Else().Block(then...)}
	}
	if cd := c.pkg.Codec(t); cd != nil && !named && t.Kind == gen.Named {
		return []jen.Code{jen.Add(b).Op("=").Id(cd.Append).Call(b, jen.Id(addr(e)))}
	}
	switch t.Kind {
	case gen.Basic:
		if t.Name == "error" {
			return orNil(app("AppendString", jen.Id(sel(e, "Error")).Call()))
		}
		p := primitives[t.Name]
		value := jen.Id(plain(e))
		if converts(t.Name, named) {
			value = jen.Id(p.typ).Call(value)
		}
		return []jen.Code{app("Append"+p.fn, value)}
	case gen.Pointer:
		if c.nilable(t.Elem) {
			// A pointer to a nil: one element, apart from a nil pointer.
			return orNil(append([]jen.Code{app("AppendArrayHeader", jen.Lit(1))}, c.encode(t.Elem, deref(e), false, depth+1)...)...)
		}
		return orNil(c.encode(t.Elem, deref(e), false, depth+1)...)
	case gen.Slice:
		if isBytes(t) {
			return orNil(app("AppendBytes", jen.Id(plain(e))))
		}
		i := l.I[depth]
		return orNil(
			app("AppendArrayHeader", jen.Len(jen.Id(plain(e)))),
			jen.For(jen.Id(i).Op(":=").Range().Id(plain(e))).Block(c.encode(t.Elem, e+"["+i+"]", false, depth+1)...),
		)
	case gen.Array:
		i := l.I[depth]
		return []jen.Code{
			app("AppendArrayHeader", jen.Lit(int(t.Len))),
			jen.For(jen.Id(i).Op(":=").Range().Id(plain(e))).Block(c.encode(t.Elem, e+"["+i+"]", false, depth+1)...),
		}
	case gen.Map:
		k, x := l.K[depth], l.E[depth]
		body := append(c.encode(t.Key, k, false, depth+1), c.encode(t.Elem, x, false, depth+1)...)
		return orNil(
			app("AppendMapHeader", jen.Len(jen.Id(plain(e)))),
			jen.For(jen.List(jen.Id(k), jen.Id(x)).Op(":=").Range().Id(plain(e))).Block(body...),
		)
	case gen.Struct:
		fields := encodedFields(t)
		out := []jen.Code{app("AppendArrayHeader", jen.Lit(len(fields)))}
		for _, f := range fields {
			out = append(out, c.encode(f.Type, sel(e, f.Name), false, depth+1)...)
		}
		return out
	}
	panic("templates: a type gen should have refused crosses a process boundary")
}

// nilable reports whether a value of t may be encoded as a nil.
func (c *coder) nilable(t *gen.Type) bool {
	if cd := c.pkg.Codec(t); cd != nil && t.Kind == gen.Named {
		if cd.Via != gen.ViaShape {
			return true // its own encoding: anything
		}
		t = cd.Shape
	}
	switch t.Kind {
	case gen.Pointer, gen.Slice, gen.Map:
		return true
	case gen.Basic:
		return t.Name == "error"
	}
	return false
}

// encodedFields are the fields of a struct that cross: all but blank ones.
func encodedFields(t *gen.Type) []gen.Field {
	var fs []gen.Field
	for _, f := range t.Fields {
		if f.Name != "_" {
			fs = append(fs, f)
		}
	}
	return fs
}

// decode returns the statements reading e, of type t, from b; top says
// that they make a function's body, where declarations need no block of
// their own.
func (c *coder) decode(t *gen.Type, e string, named bool, depth int, top bool) []jen.Code {
	l := c.l
	b, err := jen.Id(l.B), jen.Id(l.Err)
	read := func(fn string, dst jen.Code, args ...jen.Code) jen.Code {
		return c.check(jen.List(dst, b, err).Op("=").Add(msgp(fn)).Call(append([]jen.Code{b}, args...)...))
	}
	set := func(value jen.Code) jen.Code { return jen.Id(plain(e)).Op("=").Add(value) }
	// orNil reads a nil as a nil, or else the value.
	orNil := func(then ...jen.Code) []jen.Code {
		return []jen.Code{jen.If(msgp("IsNil").Call(b)).Block(
			jen.Add(b).Op("=").Add(b).Index(jen.Lit(1), jen.Empty()),
			set(jen.Nil()),
		).Else().Block(then...)}
	}
	block := func(stmts ...jen.Code) []jen.Code {
		if top {
			return stmts
		}
		return []jen.Code{jen.Block(stmts...)}
	}
	// The length of a slice or a map, read by fn, which refuses one that
	// the bytes left cannot hold when each element takes min bytes: what
	// is allocated is in proportion to the bytes received, whatever the
	// length claims.
	n := func() *jen.Statement { return jen.Id(l.N[depth]) }
	length := func(fn string, min int) []jen.Code {
		return []jen.Code{jen.Var().Add(n()).Int(), read(fn, n(), jen.Lit(min))}
	}
	// The header of an array or a struct, of a known length.
	header := func(want int) jen.Code {
		return c.check(jen.List(b, err).Op("=").Add(msgp("ReadArrayHeader")).Call(b, jen.Lit(want)))
	}
	if cd := c.pkg.Codec(t); cd != nil && !named && t.Kind == gen.Named {
		return []jen.Code{c.check(jen.List(b, err).Op("=").Id(cd.Read).Call(b, jen.Id(addr(e))))}
	}
	switch t.Kind {
	case gen.Basic:
		x := jen.Id(l.X)
		if t.Name == "error" {
			return orNil(
				jen.Var().Add(x).String(),
				read("ReadString", x),
				set(jen.Qual("errors", "New").Call(x)),
			)
		}
		p := primitives[t.Name]
		if !converts(t.Name, named) {
			return []jen.Code{read("Read"+p.fn, jen.Id(plain(e)))}
		}
		spell := jen.Id(t.Name)
		if named {
			spell = typeCode(c.self.Type)
		}
		return block(
			jen.Var().Add(x).Id(p.typ),
			read("Read"+p.fn, x),
			set(spell.Call(x)),
		)
	case gen.Pointer:
		var then []jen.Code
		if c.nilable(t.Elem) {
			then = append(then, header(1))
		}
		if size := c.sizes.of(t.Elem); size > 1 {
			// The value allocated must be there whole: a byte cannot
			// make it allocate a big array.
			then = append(then, jen.If(jen.Len(b).Op("<").Lit(size)).Block(jen.Return(b, msgp("ErrShortBytes"))))
		}
		then = append(then, set(jen.New(typeCode(t.Elem))))
		return orNil(append(then, c.decode(t.Elem, deref(e), false, depth+1, true)...)...)
	case gen.Slice:
		if isBytes(t) {
			// Never nil: an empty slice stays empty, not nil.
			return orNil(read("ReadBytes", jen.Id(plain(e))))
		}
		i := l.I[depth]
		return orNil(append(length("ReadArrayLen", c.sizes.of(t.Elem)),
			set(jen.Make(typeCode(t), n())),
			jen.For(jen.Id(i).Op(":=").Range().Id(plain(e))).Block(c.decode(t.Elem, e+"["+i+"]", false, depth+1, false)...),
		)...)
	case gen.Array:
		i := l.I[depth]
		return []jen.Code{
			header(int(t.Len)),
			jen.For(jen.Id(i).Op(":=").Range().Id(plain(e))).Block(c.decode(t.Elem, e+"["+i+"]", false, depth+1, false)...),
		}
	case gen.Map:
		k, x := l.K[depth], l.E[depth]
		body := []jen.Code{jen.Var().Id(k).Add(typeCode(t.Key)), jen.Var().Id(x).Add(typeCode(t.Elem))}
		body = append(body, c.decode(t.Key, k, false, depth+1, false)...)
		body = append(body, c.decode(t.Elem, x, false, depth+1, false)...)
		body = append(body, jen.Id(e).Index(jen.Id(k)).Op("=").Id(x))
		return orNil(append(length("ReadMapLen", c.sizes.entry(t)),
			set(jen.Make(typeCode(t), n())),
			jen.For(jen.Range().Add(n())).Block(body...),
		)...)
	case gen.Struct:
		fields := encodedFields(t)
		out := []jen.Code{header(len(fields))}
		for _, f := range fields {
			out = append(out, c.decode(f.Type, sel(e, f.Name), false, depth+1, false)...)
		}
		return out
	}
	panic("templates: a type gen should have refused crosses a process boundary")
}

// sizer knows the size of the smallest encoding of a value of each type
// that the decoders accept: no element can take less, so a length that
// claims more elements than the bytes left can hold that many is refused
// before anything is allocated.
type sizer struct {
	pkg   *gen.Package
	named map[*gen.Codec]int // the types with codecs of their own, once known
}

func newSizer(pkg *gen.Package) *sizer {
	return &sizer{pkg: pkg, named: map[*gen.Codec]int{}}
}

// maxSize bounds the sizes: a bigger value than any message, which an int
// holds on every platform.
const maxSize = math.MaxInt32

// of returns the size of the smallest encoding of a value of t.
func (s *sizer) of(t *gen.Type) int {
	if cd := s.pkg.Codec(t); cd != nil && t.Kind == gen.Named {
		return s.codec(cd)
	}
	switch t.Kind {
	case gen.Basic:
		if t.Name == "error" {
			return 1 // a nil, or a string
		}
		return primitives[t.Name].size
	case gen.Pointer, gen.Slice, gen.Map:
		return 1 // a nil
	case gen.Array:
		return sum(arrayHeader(t.Len), product(t.Len, s.of(t.Elem)))
	case gen.Struct:
		fields := encodedFields(t)
		size := arrayHeader(int64(len(fields)))
		for _, f := range fields {
			size = sum(size, s.of(f.Type))
		}
		return size
	}
	panic("templates: a type gen should have refused crosses a process boundary")
}

// codec returns the size of the smallest encoding of cd's type.
func (s *sizer) codec(cd *gen.Codec) int {
	if cd.Via != gen.ViaShape {
		// Its own encoding: one MessagePack value at least, for
		// MarshalMsg; a string or binary data for MarshalBinary.
		return 1
	}
	size, ok := s.named[cd]
	if !ok {
		size = s.of(cd.Shape)
		s.named[cd] = size
	}
	return size
}

// entry returns the size of the smallest encoding of an entry of the map
// type t: its key and its value.
func (s *sizer) entry(t *gen.Type) int { return sum(s.of(t.Key), s.of(t.Elem)) }

// arrayHeader is the size of the smallest header of an array of n
// elements: the length in its first byte up to 15, or after it in 16 or
// 32 bits.
func arrayHeader(n int64) int {
	switch {
	case n < 16:
		return 1
	case n < 1<<16:
		return 3
	}
	return 5
}

func sum(a, b int) int { return min(a+b, maxSize) } // each at most maxSize: no overflow

func product(n int64, size int) int {
	if n > 0 && int64(size) > maxSize/n {
		return maxSize
	}
	return int(n) * size
}
