package templates

import (
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/mpire-go/mpire/gen"
)

// typeCode writes t as Go code. Types of other packages go through Qual,
// so that jennifer imports them under the names gen chose.
func typeCode(t *gen.Type) *jen.Statement {
	switch t.Kind {
	case gen.Basic:
		return jen.Id(t.Name)
	case gen.Named:
		code := jen.Qual(t.Pkg, t.Name)
		if len(t.Args) > 0 {
			args := make([]jen.Code, len(t.Args))
			for i, a := range t.Args {
				args[i] = typeCode(a)
			}
			code.Types(args...)
		}
		return code
	case gen.Pointer:
		return jen.Op("*").Add(typeCode(t.Elem))
	case gen.Slice:
		return jen.Index().Add(typeCode(t.Elem))
	case gen.Array:
		return jen.Index(jen.Lit(int(t.Len))).Add(typeCode(t.Elem))
	case gen.Map:
		return jen.Map(typeCode(t.Key)).Add(typeCode(t.Elem))
	case gen.Chan:
		elem := typeCode(t.Elem)
		switch t.Dir {
		case gen.SendOnly:
			return jen.Chan().Op("<-").Add(elem)
		case gen.RecvOnly:
			return jen.Op("<-").Chan().Add(elem)
		}
		if t.Elem.Kind == gen.Chan && t.Elem.Dir == gen.RecvOnly {
			return jen.Chan().Parens(elem) // chan (<-chan T), not chan<- chan T
		}
		return jen.Chan().Add(elem)
	case gen.Func:
		return jen.Func().Add(signature(t))
	case gen.Struct:
		fields := make([]jen.Code, len(t.Fields))
		for i, f := range t.Fields {
			code := jen.Id(f.Name).Add(typeCode(f.Type))
			if f.Embedded {
				code = typeCode(f.Type)
			}
			if f.Tag != "" {
				code.Add(tagCode(f.Tag))
			}
			fields[i] = code
		}
		return jen.Struct(fields...)
	case gen.Interface:
		var elems []jen.Code
		for _, e := range t.Embedded {
			elems = append(elems, typeCode(e))
		}
		for _, m := range t.Fields {
			elems = append(elems, jen.Id(m.Name).Add(signature(m.Type)))
		}
		return jen.Interface(elems...)
	}
	panic("templates: a type of unknown kind") // gen makes every kind above
}

// tagCode writes a struct tag as a raw string, as people write them, unless
// a raw string cannot hold it (a backquote, a carriage return, invalid UTF-8).
func tagCode(tag string) jen.Code {
	if !strconv.CanBackquote(tag) {
		return jen.Lit(tag)
	}
	return jen.Op("`" + tag + "`")
}

// signature writes the parameters and results of a func type.
func signature(sig *gen.Type) *jen.Statement {
	params := make([]jen.Code, len(sig.Fields))
	for i, p := range sig.Fields {
		t := typeCode(p.Type)
		if sig.Variadic && i == len(sig.Fields)-1 {
			t = jen.Op("...").Add(typeCode(p.Type.Elem))
		}
		params[i] = jen.Id(p.Name).Add(t)
	}
	results := make([]jen.Code, len(sig.Results))
	for i, r := range sig.Results {
		results[i] = jen.Id(r.Name).Add(typeCode(r.Type))
	}
	code := jen.Params(params...)
	switch {
	case len(results) == 1 && sig.Results[0].Name == "":
		code.Add(results[0])
	case len(results) > 0:
		code.Parens(jen.List(results...))
	}
	return code
}
