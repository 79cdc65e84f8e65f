package gen

import (
	"errors"
	"fmt"
	"go/types"
)

// errInvalid says that a type did not type-check; the type checker's own
// error says why.
var errInvalid = errors.New("invalid type")

// converter turns go/types types into the model's Type trees.
type converter struct {
	// public names the types the package cannot name by their own
	// package; nil names every type by its own.
	public *publicNames
}

// typ converts t, or returns errInvalid when t or a part of it did not
// type-check.
func (c *converter) typ(t types.Type) (*Type, error) {
	switch t := t.(type) {
	case *types.Basic:
		switch {
		case t.Kind() == types.Invalid:
			return nil, errInvalid
		case t.Kind() == types.UnsafePointer:
			return &Type{Kind: Named, Name: "Pointer", Pkg: "unsafe", PkgName: "unsafe"}, nil
		}
		return &Type{Kind: Basic, Name: t.Name()}, nil
	case *types.Alias:
		if t.Obj().Pkg() == nil { // any
			return &Type{Kind: Basic, Name: t.Obj().Name()}, nil
		}
		if _, err := c.typ(types.Unalias(t)); err != nil {
			return nil, err
		}
		return c.named(t.Obj(), t.TypeArgs())
	case *types.Named:
		if t.Obj().Pkg() == nil { // error, comparable
			return &Type{Kind: Basic, Name: t.Obj().Name()}, nil
		}
		return c.named(t.Obj(), t.TypeArgs())
	case *types.Pointer:
		return c.elem(Pointer, t.Elem())
	case *types.Slice:
		return c.elem(Slice, t.Elem())
	case *types.Array:
		typ, err := c.elem(Array, t.Elem())
		if err != nil {
			return nil, err
		}
		typ.Len = t.Len()
		return typ, nil
	case *types.Map:
		key, err := c.typ(t.Key())
		if err != nil {
			return nil, err
		}
		typ, err := c.elem(Map, t.Elem())
		if err != nil {
			return nil, err
		}
		typ.Key = key
		return typ, nil
	case *types.Chan:
		typ, err := c.elem(Chan, t.Elem())
		if err != nil {
			return nil, err
		}
		typ.Dir = [...]ChanDir{types.SendRecv: SendRecv, types.SendOnly: SendOnly, types.RecvOnly: RecvOnly}[t.Dir()]
		return typ, nil
	case *types.Signature:
		return c.signature(t)
	case *types.Struct:
		typ := &Type{Kind: Struct}
		for i := range t.NumFields() {
			f := t.Field(i)
			ft, err := c.typ(f.Type())
			if err != nil {
				return nil, err
			}
			typ.Fields = append(typ.Fields, Field{Name: f.Name(), Type: ft, Embedded: f.Embedded(), Tag: t.Tag(i)})
		}
		return typ, nil
	case *types.Interface:
		typ := &Type{Kind: Interface}
		for i := range t.NumEmbeddeds() {
			e, err := c.typ(t.EmbeddedType(i))
			if err != nil {
				return nil, err
			}
			typ.Embedded = append(typ.Embedded, e)
		}
		for i := range t.NumExplicitMethods() {
			m := t.ExplicitMethod(i)
			mt, err := c.signature(m.Type().(*types.Signature))
			if err != nil {
				return nil, err
			}
			typ.Fields = append(typ.Fields, Field{Name: m.Name(), Type: mt})
		}
		return typ, nil
	}
	// Type parameters and unions cannot reach a task: it is not generic.
	return nil, errInvalid
}

func (c *converter) elem(kind TypeKind, elem types.Type) (*Type, error) {
	e, err := c.typ(elem)
	if err != nil {
		return nil, err
	}
	return &Type{Kind: kind, Elem: e}, nil
}

func (c *converter) named(obj *types.TypeName, args *types.TypeList) (*Type, error) {
	if c.public != nil {
		// A type of an internal package of another module, as the
		// user names it: mpire.WorkerID, not engine.WorkerID.
		alias, hidden := c.public.public(obj)
		switch {
		case hidden && alias == nil:
			return nil, fmt.Errorf("%s.%s is in an internal package, which no package this one imports names by an exported alias", obj.Pkg().Name(), obj.Name())
		case hidden:
			obj = alias
		}
	}
	typ := &Type{Kind: Named, Name: obj.Name(), Pkg: obj.Pkg().Path(), PkgName: obj.Pkg().Name()}
	for i := range args.Len() {
		a, err := c.typ(args.At(i))
		if err != nil {
			return nil, err
		}
		typ.Args = append(typ.Args, a)
	}
	return typ, nil
}

// signature converts a func type, dropping parameter names: generated code
// spells it only as the type of a function value.
func (c *converter) signature(sig *types.Signature) (*Type, error) {
	typ := &Type{Kind: Func, Variadic: sig.Variadic()}
	for _, tuple := range []*types.Tuple{sig.Params(), sig.Results()} {
		var fields []Field
		for i := range tuple.Len() {
			ft, err := c.typ(tuple.At(i).Type())
			if err != nil {
				return nil, err
			}
			fields = append(fields, Field{Type: ft})
		}
		if tuple == sig.Params() {
			typ.Fields = fields
		} else {
			typ.Results = fields
		}
	}
	return typ, nil
}
