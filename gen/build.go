package gen

import (
	"go/ast"
	"go/build/constraint"
	"path/filepath"
	"strings"
)

// fileConstraint returns the build constraint of a Go file: its //go:build
// line and what its name implies (x_linux.go, x_windows_arm64.go), joined;
// nil for a file that builds everywhere.
func fileConstraint(file *ast.File, filename string) constraint.Expr {
	var expr constraint.Expr
	for _, group := range file.Comments {
		if group.Pos() >= file.Package {
			break
		}
		for _, c := range group.List {
			if constraint.IsGoBuild(c.Text) {
				if e, err := constraint.Parse(c.Text); err == nil {
					expr = e
				}
			}
		}
	}
	for _, tag := range nameTags(filepath.Base(filename)) {
		switch {
		case expr != nil && expr.String() == tag:
			// //go:build linux in x_linux.go says it twice.
		case expr == nil:
			expr = &constraint.TagExpr{Tag: tag}
		default:
			expr = &constraint.AndExpr{X: expr, Y: &constraint.TagExpr{Tag: tag}}
		}
	}
	return expr
}

// nameTags returns the GOOS and GOARCH that a file name implies, as the go
// command reads them: name_GOOS.go, name_GOARCH.go, name_GOOS_GOARCH.go.
func nameTags(name string) []string {
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".go"), "_test")
	parts := strings.Split(name, "_")
	n := len(parts)
	switch {
	case n >= 3 && knownOS[parts[n-2]] && knownArch[parts[n-1]]:
		return parts[n-2:]
	case n >= 2 && (knownOS[parts[n-1]] || knownArch[parts[n-1]]):
		return parts[n-1:]
	}
	return nil
}

// knownOS and knownArch are the go command's lists (internal/syslist).
var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
	"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
	"riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
