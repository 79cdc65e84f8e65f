package engine

import (
	"context"
	"testing"
)

// funcContext is a context of a type that cannot be compared: comparing two
// of its values panics.
type funcContext struct {
	context.Context
	f func()
}

func TestSameContext(t *testing.T) {
	bg := context.Background()
	type key struct{}
	v := context.WithValue(bg, key{}, 1)
	f := funcContext{Context: bg, f: func() {}}
	for _, tc := range []struct {
		name string
		a, b context.Context
		want bool
	}{
		{"background twice", bg, context.Background(), true},
		{"background and TODO", bg, context.TODO(), false},
		{"one pointer", v, v, true},
		{"equal values, two pointers", v, context.WithValue(bg, key{}, 1), false},
		{"a type that cannot be compared", f, f, false},
		{"two types", v, f, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameContext(tc.a, tc.b); got != tc.want {
				t.Errorf("sameContext = %v, want %v", got, tc.want)
			}
		})
	}
}
