package gen

import (
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// publicNames knows, for the types that a package cannot name by their
// own package (an internal package of another module), the exported alias
// that names them: mpire.WorkerID for the WorkerID the runtime defines in
// an internal package. Generated code spells such a type as the user does,
// through its alias.
type publicNames struct {
	from    string                     // the import path of the user's package
	aliases map[string]*types.TypeName // "path.Name" of a defined type → its alias
	// workerID is the "path.Name" of the type that mpire.WorkerID denotes,
	// "" when the package cannot see the runtime.
	workerID string
}

// newPublicNames reads the exported aliases of the runtime and of the
// packages pkg imports, the runtime's first, then by path: where two
// aliases name one type, the first is the one generated code uses.
func newPublicNames(pkg *packages.Package, cfg Config) *publicNames {
	p := &publicNames{from: pkg.PkgPath, aliases: map[string]*types.TypeName{}}
	rt := findPackage(pkg.Types, RuntimePath)
	if rt == nil && pkg.PkgPath != RuntimePath {
		// No file of the package imports the runtime: a WorkerID can
		// still reach it through another package's alias.
		rt = loadTypes(pkg.Dir, cfg, RuntimePath)
	}
	imports := slices.Clone(pkg.Types.Imports())
	slices.SortFunc(imports, func(a, b *types.Package) int { return strings.Compare(a.Path(), b.Path()) })
	if rt != nil {
		imports = append([]*types.Package{rt}, imports...)
	}
	for _, imp := range imports {
		scope := imp.Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok || !tn.Exported() || !tn.IsAlias() {
				continue
			}
			target, ok := types.Unalias(tn.Type()).(*types.Named)
			if !ok || target.Obj().Pkg() == nil || target.TypeArgs().Len() > 0 {
				continue
			}
			key := objKey(target.Obj())
			if _, seen := p.aliases[key]; !seen && !importable(p.from, target.Obj().Pkg().Path()) {
				p.aliases[key] = tn
			}
		}
	}
	if rt != nil {
		if tn, ok := rt.Scope().Lookup("WorkerID").(*types.TypeName); ok {
			if named, ok := types.Unalias(tn.Type()).(*types.Named); ok {
				p.workerID = objKey(named.Obj())
			}
		}
	}
	return p
}

// isWorkerID reports whether t is mpire.WorkerID, however it is spelled.
// It compares by package path and name: the runtime may come from a load
// of its own, whose types are not identical to the package's.
func (p *publicNames) isWorkerID(t types.Type) bool {
	named, ok := types.Unalias(t).(*types.Named)
	return ok && p != nil && p.workerID != "" && named.Obj().Pkg() != nil && objKey(named.Obj()) == p.workerID
}

// public returns the alias that names obj's type where the user's package
// cannot name obj itself; nil when it can, or when nothing names it.
func (p *publicNames) public(obj *types.TypeName) (alias *types.TypeName, hidden bool) {
	if importable(p.from, obj.Pkg().Path()) {
		return nil, false
	}
	return p.aliases[objKey(obj)], true
}

func objKey(obj *types.TypeName) string { return obj.Pkg().Path() + "." + obj.Name() }

// findPackage returns the package at path among pkg and what it imports,
// directly or not; nil when none is.
func findPackage(pkg *types.Package, path string) *types.Package {
	seen := map[*types.Package]bool{}
	var find func(p *types.Package) *types.Package
	find = func(p *types.Package) *types.Package {
		if seen[p] {
			return nil
		}
		seen[p] = true
		if p.Path() == path {
			return p
		}
		for _, imp := range p.Imports() {
			if found := find(imp); found != nil {
				return found
			}
		}
		return nil
	}
	return find(pkg)
}

// loadTypes loads the types of the package at path as seen from dir; nil
// when it cannot.
func loadTypes(dir string, cfg Config, path string) *types.Package {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: dir, BuildFlags: buildFlags(cfg)}, path)
	if err != nil || len(pkgs) != 1 || len(pkgs[0].Errors) > 0 {
		return nil
	}
	return pkgs[0].Types
}

// importable reports whether the package at from may import the one at
// path: not when path is inside an internal directory that from is not
// below.
func importable(from, path string) bool {
	elems := strings.Split(path, "/")
	for i := len(elems) - 1; i >= 0; i-- {
		if elems[i] != "internal" {
			continue
		}
		parent := strings.Join(elems[:i], "/")
		return parent != "" && (from == parent || strings.HasPrefix(from, parent+"/")) ||
			parent == "" && isStd(from)
	}
	return true
}
