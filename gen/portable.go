package gen

import (
	"errors"
	"fmt"
	"go/types"
	"slices"
	"strings"
)

// MsgpImplPath is the import path of the runtime's MessagePack primitives,
// which the codecs of portable tasks are written with.
const MsgpImplPath = ImplPath + "/msgpimpl"

// PortableTask is what the portable key adds to a task: the codecs of the
// values that cross a process boundary.
type PortableTask struct {
	Var    string // the task's mpireimpl.Portable variable: predictPortable
	Args   *Codec // one task's arguments: the argument, or the Args struct
	Result *Codec
	Exit   *Codec // nil when the exit function returns no value
	Shared *Codec // nil without shared=
}

// Via says how a Codec encodes its type.
type Via int

// The ways of encoding a type.
const (
	// ViaShape encodes the shape of Shape: fields, elements, values.
	ViaShape Via = iota + 1
	// ViaMsgp calls the type's own MarshalMsg and UnmarshalMsg.
	ViaMsgp
	// ViaBinary calls the type's own MarshalBinary and UnmarshalBinary and
	// encodes their bytes.
	ViaBinary
)

// Codec is one pair of generated functions, func Append(b []byte, v *T)
// []byte and func Read(b []byte, v *T) ([]byte, error), for a named type
// or for the unnamed type of a task's value.
type Codec struct {
	Type   *Type  // T, as generated code spells it
	Append string // its encoder: appendPoint
	Read   string // its decoder: readPoint
	Via    Via
	// Shape is what ViaShape encodes: the underlying type of a named type,
	// the type itself for others. Its named parts have codecs of their own.
	Shape *Type

	want string // the name wanted for the pair: Point
}

// CodecLocals are the identifiers of the codecs' bodies, each chosen
// against every package-level name, as the codecs live at package level.
type CodecLocals struct {
	B, V, Err, X string
	// One of each per level of nesting of slices, arrays and maps: the
	// index, the length read, and a map's key and value.
	I, N, K, E []string
}

// Codec returns the codec of t, nil for a type encoded inline (a basic type,
// error, or an unnamed type inside another).
func (p *Package) Codec(t *Type) *Codec { return p.codecs[typeKey(t)] }

// codecSet collects the codecs of a package's portable tasks while their
// types are checked.
type codecSet struct {
	c     *checker
	byKey map[string]*Codec
	list  []*Codec

	predeclaredChecked bool
}

func newCodecSet(c *checker) *codecSet {
	return &codecSet{c: c, byKey: map[string]*Codec{}}
}

// portable checks that every value of t that crosses a process boundary
// can, reporting each one that cannot at its position, and records their
// codecs. It returns false when it reported a problem.
func (c *checker) portable(t *Task, td taskDecl, args []*types.Var, result, shared types.Type, exitFn *types.Func) bool {
	s, r := c.codecs, c.r
	before, codecsBefore := len(r.diags), len(s.list)
	pt := &PortableTask{}
	for i, a := range args {
		if err := s.check(a.Type(), nil); err != nil {
			r.errorf(a.Pos(), "parameter %s is not portable: %v", paramName(a, len(t.Leading)+i), err)
		}
	}
	if err := s.check(result, nil); err != nil {
		r.errorf(td.fd.Type.Results.Pos(), "its result %s is not portable: %v", typeString(result, c.pkg.Types), err)
	}
	if shared != nil {
		if err := s.check(shared, nil); err != nil {
			r.errorf(td.d.keys["shared"].pos, "the shared object %s is not portable: %v", typeString(shared, c.pkg.Types), err)
		}
	}
	if t.Exit != nil && t.Exit.Result != nil {
		e := exitFn.Type().(*types.Signature).Results().At(0).Type()
		if err := s.check(e, nil); err != nil {
			r.errorf(td.d.keys["exit"].pos, "the exit value %s of %s is not portable: %v", typeString(e, c.pkg.Types), exitFn.Name(), err)
		}
	}
	s.checkPredeclared()
	checkCodecTypes(r, s.list[codecsBefore:], c.pkg.PkgPath, c.typeDecls)
	if len(r.diags) > before {
		return false
	}
	base := strings.TrimSuffix(t.Pool, "Pool")
	if len(args) == 1 {
		pt.Args = s.root(t.Args[0].Type, upperFirst(base)+"Arg")
	} // several: the Args struct, made once its fields are named
	pt.Result = s.root(t.Result, upperFirst(base)+"Result")
	if t.Shared != nil {
		pt.Shared = s.root(t.Shared, upperFirst(base)+"Shared")
	}
	if t.Exit != nil && t.Exit.Result != nil {
		pt.Exit = s.root(t.Exit.Result, upperFirst(base)+"Exit")
	}
	t.Portable = pt
	return true
}

// root returns the codec of a task's value of type t: its type's, or one of
// its own for an unnamed type, named after want.
func (s *codecSet) root(t *Type, want string) *Codec {
	if cd := s.byKey[typeKey(t)]; cd != nil {
		return cd
	}
	if t.Kind == Basic {
		want = upperFirst(t.Name)
	}
	return s.add(&Codec{Type: t, Via: ViaShape, Shape: t, want: want})
}

func (s *codecSet) add(cd *Codec) *Codec {
	s.byKey[typeKey(cd.Type)] = cd
	s.list = append(s.list, cd)
	return cd
}

// codecPredeclared are the predeclared names that codecs may refer to,
// besides those every generated file needs.
var codecPredeclared = []string{"append", "bool", "byte", "complex128", "complex64", "float32", "float64",
	"int16", "int32", "int64", "int8", "make", "new", "panic", "rune", "uint", "uint16", "uint32", "uint64",
	"uint8", "uintptr"}

// checkPredeclared refuses, once, a package that declares a predeclared
// name the codecs need: no file of it can name the predeclared one.
func (s *codecSet) checkPredeclared() {
	if s.predeclaredChecked {
		return
	}
	s.predeclaredChecked = true
	c := s.c
	task := c.r.task
	c.r.task = "" // a problem of the package, not of one task
	defer func() { c.r.task = task }()
	for _, name := range codecPredeclared {
		if obj := c.pkg.Types.Scope().Lookup(name); obj != nil && c.r.fset.Position(obj.Pos()).Filename != c.output {
			c.r.errorf(obj.Pos(), "%s hides the predeclared %s, which the codecs of portable tasks need: give it another name", name, name)
		}
	}
}

// instanceName is what the codec of a named type is named after: the
// type's name, followed, for an instance of a generic type whose type
// arguments all have names, by those names (Pair[int] → PairInt), so that
// the codecs of two instances read apart. Others are numbered.
func instanceName(t *Type) string {
	name, _ := spelledName(t)
	return name
}

// spelledName returns the name of a basic or named type with the names of
// its type arguments, and whether every part had one.
func spelledName(t *Type) (string, bool) {
	if t.Kind != Basic && t.Kind != Named {
		return "", false
	}
	name := upperFirst(t.Name)
	args := ""
	for _, a := range t.Args {
		an, ok := spelledName(a)
		if !ok {
			return name, false
		}
		args += an
	}
	return name + args, true
}

// typeName is the name of a named type or alias, without type arguments.
func typeName(t types.Type) string {
	switch t := t.(type) {
	case *types.Alias:
		return t.Obj().Name()
	case *types.Named:
		return t.Obj().Name()
	}
	return ""
}

// recursive is the problem of a type that contains itself.
type recursive struct{ name string }

func (e recursive) Error() string {
	return e.name + " refers to itself: a value of a recursive type cannot be encoded"
}

// check returns why t cannot cross a process boundary, nil when it can,
// recording the codecs of the named types it holds. stack holds the named
// types being checked, which t must not contain.
func (s *codecSet) check(t types.Type, stack []types.Type) error {
	switch t := t.(type) {
	case *types.Basic:
		switch {
		case t.Kind() == types.UnsafePointer:
			return errors.New("unsafe.Pointer cannot cross a process boundary")
		case t.Info()&types.IsUntyped != 0 || t.Kind() == types.Invalid:
			return fmt.Errorf("%s has no encoding", t)
		}
		return nil
	case *types.Alias, *types.Named:
		switch {
		case isError(t):
			return nil // as its text
		case isUniverse(t):
			return s.check(types.Unalias(t), stack) // any
		}
		return s.named(t, stack)
	case *types.Pointer:
		return s.check(t.Elem(), stack)
	case *types.Slice:
		return s.check(t.Elem(), stack)
	case *types.Array:
		return s.check(t.Elem(), stack)
	case *types.Map:
		if err := s.check(t.Key(), stack); err != nil {
			return err
		}
		return s.check(t.Elem(), stack)
	case *types.Chan:
		return errors.New("channels cannot cross a process boundary")
	case *types.Signature:
		return errors.New("func types cannot cross a process boundary")
	case *types.Interface:
		return interfaceError(typeString(t, s.c.pkg.Types))
	case *types.Struct:
		return s.fields(t, "", stack)
	}
	return fmt.Errorf("%s has no encoding", t)
}

func interfaceError(name string) error {
	return fmt.Errorf("interface type %s cannot cross a process boundary: of the interfaces only error does, as its text", name)
}

// isUniverse reports whether t is a predeclared alias: any.
func isUniverse(t types.Type) bool {
	a, ok := t.(*types.Alias)
	return ok && a.Obj().Pkg() == nil
}

// fields checks the fields of a struct, named owner ("" for a struct
// literal).
func (s *codecSet) fields(st *types.Struct, owner string, stack []types.Type) error {
	for i := range st.NumFields() {
		f := st.Field(i)
		if f.Name() == "_" {
			continue // never read nor written: not encoded
		}
		err := s.check(f.Type(), stack)
		if err == nil {
			continue
		}
		of := ""
		if owner != "" {
			of = " of " + owner
		}
		var rec recursive
		if errors.As(err, &rec) && len(stack) > 0 && rec.name == typeName(stack[len(stack)-1]) {
			return fmt.Errorf("field %s%s is recursive: a value of a type that contains itself cannot be encoded", f.Name(), of)
		}
		return fmt.Errorf("field %s%s: %w", f.Name(), of, err)
	}
	return nil
}

// named checks a defined type or an alias, and records its codec: its own
// MessagePack or binary methods, or its underlying type's shape.
func (s *codecSet) named(t types.Type, stack []types.Type) error {
	mt, err := s.c.conv.typ(t)
	if err != nil {
		return err
	}
	if s.byKey[typeKey(mt)] != nil {
		return nil
	}
	var obj *types.TypeName
	switch t := t.(type) {
	case *types.Alias:
		obj = t.Obj()
	case *types.Named:
		obj = t.Obj()
	}
	// Instances of one generic type are different types: Box[Box[int]]
	// holds a Box[int], not itself.
	for _, o := range stack {
		if types.Identical(o, t) {
			return recursive{obj.Name()}
		}
	}
	name := typeString(t, s.c.pkg.Types)
	other := obj.Pkg() != s.c.pkg.Types
	if other && !obj.Exported() {
		return fmt.Errorf("%s is not exported by its package, so this package cannot name it", name)
	}
	cd := &Codec{Type: mt, want: instanceName(mt)}
	if alias, ok := t.(*types.Alias); ok {
		// An alias of a named type shares its codec.
		under := types.Unalias(alias)
		if _, named := under.(*types.Named); named && !isError(under) {
			if err := s.named(under, stack); err != nil {
				return err
			}
			target, _ := s.c.conv.typ(under)
			s.byKey[typeKey(mt)] = s.byKey[typeKey(target)]
			return nil
		}
	}
	switch {
	case ownMethods(t, "MarshalMsg", bytesToBytesErr, "UnmarshalMsg", bytesToBytesErr):
		cd.Via = ViaMsgp
	case ownMethods(t, "MarshalBinary", toBytesErr, "UnmarshalBinary", bytesToErr):
		cd.Via = ViaBinary
	default:
		under := types.Unalias(t).Underlying()
		if st, ok := under.(*types.Struct); ok && other {
			for i := range st.NumFields() {
				if f := st.Field(i); !f.Exported() && f.Name() != "_" {
					return fmt.Errorf("%s has unexported fields (%s) and no marshaler: a struct of another package crosses only with exported fields, or as a msgp.Marshaler and msgp.Unmarshaler, or an encoding.BinaryMarshaler and BinaryUnmarshaler", name, f.Name())
				}
			}
		}
		if _, ok := under.(*types.Interface); ok {
			return interfaceError(name)
		}
		stack = append(stack, t)
		if st, ok := under.(*types.Struct); ok {
			err = s.fields(st, obj.Name(), stack)
		} else {
			err = s.check(under, stack)
		}
		if err != nil {
			return err
		}
		if cd.Shape, err = s.c.conv.typ(under); err != nil {
			return err
		}
		cd.Via = ViaShape
	}
	s.add(cd)
	return nil
}

// ownMethods reports whether t, or *t, has both methods with those
// signatures, declared on t itself: methods promoted from an embedded
// field would encode that field alone.
func ownMethods(t types.Type, enc string, encSig *types.Signature, dec string, decSig *types.Signature) bool {
	ms := types.NewMethodSet(types.NewPointer(t))
	has := func(name string, sig *types.Signature) bool {
		for i := range ms.Len() {
			sel := ms.At(i)
			if sel.Obj().Name() == name {
				return len(sel.Index()) == 1 && types.Identical(sel.Type(), sig)
			}
		}
		return false
	}
	return has(enc, encSig) && has(dec, decSig)
}

// The signatures of the marshalers' methods.
var (
	bytesToBytesErr = signature([]types.Type{byteSlice}, []types.Type{byteSlice, errorType})
	toBytesErr      = signature(nil, []types.Type{byteSlice, errorType})
	bytesToErr      = signature([]types.Type{byteSlice}, []types.Type{errorType})
	byteSlice       = types.NewSlice(types.Typ[types.Byte])
	errorType       = types.Universe.Lookup("error").Type()
)

func signature(params, results []types.Type) *types.Signature {
	tuple := func(ts []types.Type) *types.Tuple {
		vars := make([]*types.Var, len(ts))
		for i, t := range ts {
			vars[i] = types.NewParam(0, nil, "", t)
		}
		return types.NewTuple(vars...)
	}
	return types.NewSignatureType(nil, nil, nil, tuple(params), tuple(results), false)
}

// typeKey identifies a type: the same key, the same codec.
func typeKey(t *Type) string {
	var b strings.Builder
	var key func(t *Type)
	list := func(fs []Field) {
		for i, f := range fs {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(f.Name + " ")
			key(f.Type)
			if f.Tag != "" {
				fmt.Fprintf(&b, " %q", f.Tag)
			}
		}
	}
	key = func(t *Type) {
		switch t.Kind {
		case Basic:
			b.WriteString(t.Name)
		case Named:
			b.WriteString(t.Pkg + "." + t.Name)
			if len(t.Args) > 0 {
				b.WriteString("[")
				for i, a := range t.Args {
					if i > 0 {
						b.WriteString(",")
					}
					key(a)
				}
				b.WriteString("]")
			}
		case Pointer:
			b.WriteString("*")
			key(t.Elem)
		case Slice:
			b.WriteString("[]")
			key(t.Elem)
		case Array:
			fmt.Fprintf(&b, "[%d]", t.Len)
			key(t.Elem)
		case Map:
			b.WriteString("map[")
			key(t.Key)
			b.WriteString("]")
			key(t.Elem)
		case Struct:
			b.WriteString("struct{")
			list(t.Fields)
			b.WriteString("}")
		default:
			fmt.Fprintf(&b, "kind%d", t.Kind) // never coded: check refused it
		}
	}
	if t == nil {
		return ""
	}
	key(t)
	return b.String()
}

// imports adds to the model's imports the MessagePack primitives, errors when
// an error crosses or a binary marshaler may fail, and the packages of the
// types that codecs spell.
func (s *codecSet) imports(n namer, model *Package) {
	if len(s.list) == 0 {
		return
	}
	have := map[string]bool{model.Path: true}
	for _, imp := range model.Imports {
		have[imp.Path] = true
	}
	need := func(path, name string) {
		if !have[path] {
			have[path] = true
			model.Imports = append(model.Imports, Import{Path: path, Name: n.fresh(name), Std: isStd(path)})
		}
	}
	need(MsgpImplPath, "msgpimpl")
	for _, cd := range s.list {
		if cd.Via == ViaBinary {
			need("errors", "errors") // a failed encoding crosses as an error
		}
		for _, t := range []*Type{cd.Type, cd.Shape} {
			t.walk(func(u *Type) {
				switch {
				case u.Kind == Named:
					need(u.Pkg, u.PkgName)
				case u.Kind == Basic && u.Name == "error":
					need("errors", "errors")
				}
			})
		}
	}
	sortImports(model)
}

func hasPortable(model *Package) bool {
	for _, t := range model.Tasks {
		if t.Portable != nil {
			return true
		}
	}
	return false
}

// name chooses the names of the codecs, of the tasks' Portable variables
// and of the codecs' locals, against every package-level name but those of
// the file about to be replaced; it makes the codecs of the Args structs,
// whose fields are named by now.
func (s *codecSet) name(n namer, model *Package) {
	if !hasPortable(model) {
		return
	}
	for _, name := range s.c.pkg.Types.Scope().Names() {
		if obj := s.c.pkg.Types.Scope().Lookup(name); s.c.r.fset.Position(obj.Pos()).Filename == s.c.output {
			delete(n, name)
		}
	}
	// The codecs are declared in the package block, which must not
	// redeclare what a file imports under that name.
	for _, file := range s.c.pkg.Syntax {
		scope := s.c.pkg.TypesInfo.Scopes[file]
		if scope == nil || s.c.r.fset.Position(file.Package).Filename == s.c.output {
			continue
		}
		for _, name := range scope.Names() {
			n[name] = true
		}
	}
	for _, name := range types.Universe.Names() {
		n[name] = true
	}
	for _, t := range model.Tasks {
		for _, name := range generatedNames(t) {
			n[name] = true
		}
	}
	for _, imp := range model.Imports {
		n[imp.Name] = true
	}
	for _, t := range model.Tasks {
		pt := t.Portable
		if pt == nil {
			continue
		}
		if t.ArgsType != "" {
			st := &Type{Kind: Struct}
			for _, a := range t.Args {
				st.Fields = append(st.Fields, Field{Name: a.Field, Type: a.Type})
			}
			named := &Type{Kind: Named, Name: t.ArgsType, Pkg: model.Path, PkgName: model.Name}
			pt.Args = s.add(&Codec{Type: named, Via: ViaShape, Shape: st, want: t.ArgsType})
		}
		pt.Var = n.fresh(lowerFirst(strings.TrimSuffix(t.Pool, "Pool")) + "Portable")
	}
	for _, cd := range s.list {
		for i := 1; ; i++ {
			suffix := cd.want
			if i > 1 {
				suffix = fmt.Sprintf("%s%d", cd.want, i)
			}
			if !n["append"+suffix] && !n["read"+suffix] {
				cd.Append, cd.Read = n.fresh("append"+suffix), n.fresh("read"+suffix)
				break
			}
		}
	}
	l := &model.CodecLocals
	l.B, l.V, l.Err, l.X = n.fresh("b"), n.fresh("v"), n.fresh("err"), n.fresh("x")
	depth := 1
	for _, cd := range s.list {
		depth = max(depth, nesting(cd.Shape))
	}
	for range depth {
		l.I, l.N = append(l.I, n.fresh("i")), append(l.N, n.fresh("n"))
		l.K, l.E = append(l.K, n.fresh("k")), append(l.E, n.fresh("e"))
	}
	model.Codecs, model.codecs = s.list, s.byKey
}

// nesting is how deep slices, arrays, maps, structs and pointers nest in t,
// up to its named parts, which have codecs of their own: each level may
// declare a length and an index.
func nesting(t *Type) int {
	if t == nil || t.Kind == Named {
		return 0
	}
	d := 0
	for _, u := range []*Type{t.Elem, t.Key} {
		d = max(d, nesting(u))
	}
	for _, f := range t.Fields {
		d = max(d, nesting(f.Type))
	}
	switch t.Kind {
	case Slice, Array, Map, Struct, Pointer:
		d++
	}
	return d
}

// sortImports keeps the model's imports sorted by path.
func sortImports(model *Package) {
	slices.SortFunc(model.Imports, func(a, b Import) int { return strings.Compare(a.Path, b.Path) })
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = []rune(strings.ToLower(string(r[0])))[0]
	return string(r)
}
