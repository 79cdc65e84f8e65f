package templates

import "testing"

func TestExpressions(t *testing.T) {
	for _, tc := range []struct {
		e, addr, sel, plain string
	}{
		{"(*v)", "v", "v.f", "*v"},
		{"(*v.p)", "v.p", "v.p.f", "*v.p"},
		{"(*(*v.p))", "(*v.p)", "(*v.p).f", "*(*v.p)"},
		{"(*v)[i]", "&(*v)[i]", "(*v)[i].f", "(*v)[i]"},
		{"v.a[i]", "&v.a[i]", "v.a[i].f", "v.a[i]"},
		{"k", "&k", "k.f", "k"},
	} {
		if got := addr(tc.e); got != tc.addr {
			t.Errorf("addr(%s) = %s, want %s", tc.e, got, tc.addr)
		}
		if got := sel(tc.e, "f"); got != tc.sel {
			t.Errorf("sel(%s) = %s, want %s", tc.e, got, tc.sel)
		}
		if got := plain(tc.e); got != tc.plain {
			t.Errorf("plain(%s) = %s, want %s", tc.e, got, tc.plain)
		}
	}
}
