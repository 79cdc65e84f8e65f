package templates

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/dave/jennifer/jen"
)

// typeCode writes t as Go code. Types of other packages go through Qual, so
// jennifer imports them, aliasing packages that share a name.
func typeCode(t types.Type) jen.Code {
	switch t := t.(type) {
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return jen.Qual("unsafe", "Pointer")
		}
		return jen.Id(t.Name())
	case *types.Alias:
		return named(t.Obj(), t.TypeArgs())
	case *types.Named:
		return named(t.Obj(), t.TypeArgs())
	case *types.Pointer:
		return jen.Op("*").Add(typeCode(t.Elem()))
	case *types.Slice:
		return jen.Index().Add(typeCode(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(typeCode(t.Elem()))
	case *types.Map:
		return jen.Map(typeCode(t.Key())).Add(typeCode(t.Elem()))
	case *types.Chan:
		elem := typeCode(t.Elem())
		switch t.Dir() {
		case types.SendOnly:
			return jen.Chan().Op("<-").Add(elem)
		case types.RecvOnly:
			return jen.Op("<-").Chan().Add(elem)
		}
		if inner, ok := t.Elem().(*types.Chan); ok && inner.Dir() == types.RecvOnly {
			return jen.Chan().Parens(elem) // chan (<-chan T), not chan<- chan T
		}
		return jen.Chan().Add(elem)
	case *types.Signature:
		return jen.Func().Add(signature(t))
	case *types.Struct:
		fields := make([]jen.Code, t.NumFields())
		for i := range t.NumFields() {
			f := t.Field(i)
			code := jen.Id(f.Name()).Add(typeCode(f.Type()))
			if f.Embedded() {
				code = jen.Add(typeCode(f.Type()))
			}
			if tag := t.Tag(i); tag != "" {
				code.Add(tagCode(tag))
			}
			fields[i] = code
		}
		return jen.Struct(fields...)
	case *types.Interface:
		var elems []jen.Code
		for i := range t.NumEmbeddeds() {
			elems = append(elems, typeCode(t.EmbeddedType(i)))
		}
		for i := range t.NumExplicitMethods() {
			m := t.ExplicitMethod(i)
			elems = append(elems, jen.Id(m.Name()).Add(signature(m.Type().(*types.Signature))))
		}
		return jen.Interface(elems...)
	}
	panic(fmt.Sprintf("mpiregen: cannot write type %s (%T)", t, t))
}

// tagCode writes a struct tag as a raw string, as people write them, unless
// it holds a backquote.
func tagCode(tag string) jen.Code {
	if strings.Contains(tag, "`") {
		return jen.Lit(tag)
	}
	return jen.Op("`" + tag + "`")
}

func named(obj *types.TypeName, args *types.TypeList) jen.Code {
	var code *jen.Statement
	if obj.Pkg() == nil {
		code = jen.Id(obj.Name()) // error, any, comparable
	} else {
		code = jen.Qual(obj.Pkg().Path(), obj.Name())
	}
	if args.Len() > 0 {
		codes := make([]jen.Code, args.Len())
		for i := range args.Len() {
			codes[i] = typeCode(args.At(i))
		}
		code.Types(codes...)
	}
	return code
}

// signature writes the parameters and results of a func type.
func signature(sig *types.Signature) *jen.Statement {
	params := make([]jen.Code, sig.Params().Len())
	for i := range sig.Params().Len() {
		p := sig.Params().At(i)
		t := typeCode(p.Type())
		if sig.Variadic() && i == sig.Params().Len()-1 {
			t = jen.Op("...").Add(typeCode(p.Type().(*types.Slice).Elem()))
		}
		params[i] = jen.Id(p.Name()).Add(t)
	}
	results := make([]jen.Code, sig.Results().Len())
	for i := range sig.Results().Len() {
		r := sig.Results().At(i)
		results[i] = jen.Id(r.Name()).Add(typeCode(r.Type()))
	}
	code := jen.Params(params...)
	switch {
	case len(results) == 1 && sig.Results().At(0).Name() == "":
		code.Add(results[0])
	case len(results) > 0:
		code.Parens(jen.List(results...))
	}
	return code
}

// importNames maps the path of every package that t refers to, to its name,
// so jennifer writes the right qualifier even when a package's name is not
// the last element of its path.
func importNames(t types.Type, names map[string]string) {
	switch t := t.(type) {
	case *types.Alias:
		addPackage(t.Obj(), names)
		for i := range t.TypeArgs().Len() {
			importNames(t.TypeArgs().At(i), names)
		}
	case *types.Named:
		addPackage(t.Obj(), names)
		for i := range t.TypeArgs().Len() {
			importNames(t.TypeArgs().At(i), names)
		}
	case *types.Pointer:
		importNames(t.Elem(), names)
	case *types.Slice:
		importNames(t.Elem(), names)
	case *types.Array:
		importNames(t.Elem(), names)
	case *types.Map:
		importNames(t.Key(), names)
		importNames(t.Elem(), names)
	case *types.Chan:
		importNames(t.Elem(), names)
	case *types.Signature:
		for _, tuple := range []*types.Tuple{t.Params(), t.Results()} {
			for i := range tuple.Len() {
				importNames(tuple.At(i).Type(), names)
			}
		}
	case *types.Struct:
		for i := range t.NumFields() {
			importNames(t.Field(i).Type(), names)
		}
	case *types.Interface:
		for i := range t.NumEmbeddeds() {
			importNames(t.EmbeddedType(i), names)
		}
		for i := range t.NumExplicitMethods() {
			importNames(t.ExplicitMethod(i).Type(), names)
		}
	}
}

func addPackage(obj *types.TypeName, names map[string]string) {
	if obj.Pkg() != nil {
		names[obj.Pkg().Path()] = obj.Pkg().Name()
	}
}
