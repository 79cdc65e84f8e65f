package gen

import "testing"

func TestImportable(t *testing.T) {
	for _, tc := range []struct {
		from, path string
		want       bool
	}{
		{"example.com/app", "github.com/mpire-go/mpire/runtime", true},
		{"example.com/app", "github.com/mpire-go/mpire/runtime/internal/engine", false},
		{"github.com/mpire-go/mpire/runtime", "github.com/mpire-go/mpire/runtime/internal/engine", true},
		{"github.com/mpire-go/mpire/runtime/mpireimpl", "github.com/mpire-go/mpire/runtime/internal/engine", true},
		{"github.com/mpire-go/mpire/runtimex", "github.com/mpire-go/mpire/runtime/internal/engine", false},
		{"example.com/a/internal/b", "example.com/a/internal/c", true},
		{"example.com/a/internal/b", "example.com/a/internal/c/internal/d", false},
		{"example.com/a", "internal/poll", false},
		{"os", "internal/poll", true},
		{"example.com/a", "example.com/internals", true},
	} {
		if got := importable(tc.from, tc.path); got != tc.want {
			t.Errorf("importable(%q, %q) = %v, want %v", tc.from, tc.path, got, tc.want)
		}
	}
}
