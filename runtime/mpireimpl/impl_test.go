package mpireimpl_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"go.uber.org/goleak"

	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// framed calls another function, so the compiler gives it a frame.
func framed(xs []int) string {
	return fmt.Sprint(xs)
}

// leaf gets no frame.
func leaf(x int) int { return x * x }

// funcLine returns the line of the func keyword of the top-level function
// name in this file.
func funcLine(t *testing.T, name string) int {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "impl_test.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range f.Decls {
		if fd, ok := decl.(*ast.FuncDecl); ok && fd.Name.Name == name {
			return fset.Position(fd.Pos()).Line
		}
	}
	t.Fatalf("no function %s in impl_test.go", name)
	return 0
}

// TestFuncPos checks that the runtime finds where a task function is
// declared from the function itself, as mpiregen wrote it before version 2:
// the package path, the file and the line of its func keyword.
func TestFuncPos(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   any
	}{
		{"framed", framed},
		{"leaf", leaf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := fmt.Sprintf("github.com/mpire-go/mpire/runtime/mpireimpl/impl_test.go:%d", funcLine(t, tc.name))
			if got := mpireimpl.FuncPos(tc.fn); got != want {
				t.Errorf("FuncPos(%s) = %q, want %q", tc.name, got, want)
			}
		})
	}
}
