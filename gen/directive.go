package gen

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"
)

// directivePrefix starts every comment meant for mpiregen.
const directivePrefix = "//mpire:"

// taskDirective is the one directive mpiregen knows.
const taskDirective = "//mpire:task"

// directive is a parsed //mpire:task line.
type directive struct {
	pos  token.Pos
	keys map[string]keyValue
}

type keyValue struct {
	value string
	pos   token.Pos // of the key
}

var directiveKeys = []string{"name", "shared", "state", "init", "exit"}

// isDirective reports whether a comment is addressed to mpiregen.
func isDirective(c *ast.Comment) bool { return strings.HasPrefix(c.Text, directivePrefix) }

// parseDirective parses one //mpire: comment, reporting problems to r. It
// returns nil when the comment is not a usable //mpire:task directive.
func parseDirective(r *reporter, c *ast.Comment) *directive {
	text := c.Text
	if text != taskDirective && !strings.HasPrefix(text, taskDirective+" ") && !strings.HasPrefix(text, taskDirective+"\t") {
		word, _, _ := strings.Cut(text, " ")
		r.errorf(c.Slash, "unknown directive %s: the directive is //mpire:task", word)
		return nil
	}
	d := &directive{pos: c.Slash, keys: map[string]keyValue{}}
	ok := true
	for _, f := range fields(text, len(taskDirective)) {
		pos := c.Slash + token.Pos(f.offset)
		key, value, found := strings.Cut(f.text, "=")
		switch {
		case !found:
			r.errorf(pos, "malformed %q in //mpire:task: want key=value", f.text)
			ok = false
			continue
		case !isKnownKey(key):
			r.errorf(pos, "unknown key %q in //mpire:task: want name, shared, state, init or exit", key)
			ok = false
			continue
		}
		if _, dup := d.keys[key]; dup {
			r.errorf(pos, "repeated key %q in //mpire:task", key)
			ok = false
			continue
		}
		if strings.HasPrefix(value, `"`) {
			unquoted, err := strconv.Unquote(value)
			if err != nil {
				r.errorf(pos, "%s=%s: malformed quoted value", key, value)
				ok = false
				continue
			}
			value = unquoted
		}
		if value == "" {
			r.errorf(pos, "empty value for key %q in //mpire:task", key)
			ok = false
			continue
		}
		d.keys[key] = keyValue{value: value, pos: pos}
	}
	if !ok {
		return nil
	}
	return d
}

func isKnownKey(k string) bool {
	for _, known := range directiveKeys {
		if k == known {
			return true
		}
	}
	return false
}

type field struct {
	text   string
	offset int // byte offset in the comment
}

// fields splits text[from:] at spaces and tabs outside double quotes, so a
// type with spaces can be written shared="func(int) int".
func fields(text string, from int) []field {
	var out []field
	start, quoted := -1, false
	for i := from; i <= len(text); i++ {
		end := i == len(text)
		if !end && text[i] == '"' && (i == 0 || text[i-1] != '\\') {
			quoted = !quoted
		}
		space := end || (!quoted && (text[i] == ' ' || text[i] == '\t'))
		switch {
		case space && start >= 0:
			out = append(out, field{text: text[start:i], offset: start})
			start = -1
		case !space && start < 0:
			start = i
		}
	}
	return out
}
