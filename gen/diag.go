package gen

import (
	"cmp"
	"fmt"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
)

// A Diagnostic is a problem at a position of the source.
type Diagnostic struct {
	Pos token.Position
	Msg string
}

// String formats d as the Go compiler does: file.go:12:3: message, with the
// file relative to the directory base when that is shorter, as the go
// command shortens paths.
func (d Diagnostic) String(base string) string {
	file := relative(base, d.Pos.Filename)
	// The positions in the message (other declaration at...) the same way.
	parts := strings.Split(d.Msg, string(fileMark))
	for i := 1; i < len(parts); i += 2 {
		parts[i] = relative(base, parts[i])
	}
	msg := strings.Join(parts, "")
	if d.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s", file, msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, d.Pos.Line, d.Pos.Column, msg)
}

// fileMark encloses the file names of positions in messages.
const fileMark = '\x00'

// relative returns file relative to base when that is shorter.
func relative(base, file string) string {
	if rel, err := filepath.Rel(base, file); err == nil && base != "" && len(rel) < len(file) {
		return rel
	}
	return file
}

// Diagnostics is the error returned by Load when the package cannot be
// generated for: every problem found, sorted by position.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String("")
	}
	return strings.Join(lines, "\n")
}

// add appends a diagnostic, or joins a continuation line of the type
// checker ("\tother declaration of X") to the diagnostic it explains.
func (ds Diagnostics) add(pos token.Position, msg string) Diagnostics {
	if rest, ok := strings.CutPrefix(msg, "\t"); ok && len(ds) > 0 {
		last := &ds[len(ds)-1]
		last.Msg += fmt.Sprintf("\n\t%s: %s", shortPos(pos), rest)
		return ds
	}
	return append(ds, Diagnostic{Pos: pos, Msg: msg})
}

func (ds Diagnostics) sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
		)
	})
}

// reporter collects diagnostics.
type reporter struct {
	fset  *token.FileSet
	diags Diagnostics
	task  string // the task being checked, named by every diagnostic; "" outside one
}

func (r *reporter) errorf(pos token.Pos, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.task != "" {
		msg = "task " + r.task + ": " + msg
	}
	r.diags = append(r.diags, Diagnostic{Pos: r.fset.Position(pos), Msg: msg})
}
