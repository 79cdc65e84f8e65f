package gen

import (
	"go/ast"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

// directivePrefix starts every comment meant for mpiregen.
const directivePrefix = "//mpire:"

// taskDirective is the one directive mpiregen knows.
const taskDirective = "//mpire:task"

// directive is a parsed //mpire:task line.
type directive struct {
	pos     token.Pos
	keys    map[string]keyValue // the well-formed ones
	refused bool                // a key was not: the task is refused
}

type keyValue struct {
	value string
	pos   token.Pos // of the key
}

var directiveKeys = []string{"name", "shared", "state", "init", "exit", "portable"}

// flagKeys are the keys that take no value.
var flagKeys = []string{"portable"}

// isDirective reports whether a comment is addressed to mpiregen.
func isDirective(c *ast.Comment) bool { return strings.HasPrefix(c.Text, directivePrefix) }

// parseDirective parses one //mpire: comment, reporting problems to r. It
// returns a refused directive when the comment is not a //mpire:task
// directive or one of its keys is wrong: the function it annotates is still
// taken for a task, whose pool other code may use.
func parseDirective(r *reporter, c *ast.Comment) *directive {
	text := c.Text
	if text != taskDirective && !strings.HasPrefix(text, taskDirective+" ") && !strings.HasPrefix(text, taskDirective+"\t") {
		word, _, _ := strings.Cut(text, " ")
		r.errorf(c.Slash, "unknown directive %s: did you mean //mpire:task?", word)
		return &directive{pos: c.Slash, keys: map[string]keyValue{}, refused: true}
	}
	d := &directive{pos: c.Slash, keys: map[string]keyValue{}}
	ok := true
	fs := fields(text, len(taskDirective))
	for i := 0; i < len(fs); i++ {
		f := fs[i]
		pos := c.Slash + token.Pos(f.offset)
		if spaced, n := spacedKey(fs[i:]); n > 1 {
			key, value, _ := strings.Cut(spaced, "=")
			r.errorf(pos, "spaces around = in %q in //mpire:task: write %s=%s", spaced, strings.TrimSpace(key), strings.TrimSpace(value))
			ok = false
			i += n - 1
			continue
		}
		key, value, found := strings.Cut(f.text, "=")
		flag := slices.Contains(flagKeys, key)
		switch {
		case flag && found:
			r.errorf(pos, "%s in //mpire:task takes no value", key)
			ok = false
			continue
		case !found && !flag:
			r.errorf(pos, "malformed %q in //mpire:task: want key=value", f.text)
			ok = false
			continue
		case !slices.Contains(directiveKeys, key):
			if near := closest(key, directiveKeys); near != "" {
				r.errorf(pos, "unknown key %q in //mpire:task: did you mean %s?", key, near)
			} else {
				r.errorf(pos, "unknown key %q in //mpire:task: want name, shared, state, init, exit or portable", key)
			}
			ok = false
			continue
		}
		if _, dup := d.keys[key]; dup {
			r.errorf(pos, "repeated key %q in //mpire:task", key)
			ok = false
			continue
		}
		if strings.HasPrefix(value, `"`) || strings.HasPrefix(value, "`") {
			unquoted, err := strconv.Unquote(value)
			if err != nil {
				r.errorf(pos, "%s=%s: malformed quoted value", key, value)
				ok = false
				continue
			}
			value = unquoted
		}
		if value == "" && !flag {
			r.errorf(pos, "empty value for key %q in //mpire:task", key)
			ok = false
			continue
		}
		d.keys[key] = keyValue{value: value, pos: pos}
	}
	d.refused = !ok
	return d
}

// spacedKey recognises key = value, key =value and key= value at the start
// of fs: it returns them as written and how many fields they take, 1 when
// fs[0] is not one of them.
func spacedKey(fs []field) (string, int) {
	n := 1
	text := fs[0].text
	if !strings.Contains(text, "=") && len(fs) > n && strings.HasPrefix(fs[n].text, "=") {
		text += " " + fs[n].text
		n++
	}
	if strings.HasSuffix(text, "=") && len(fs) > n && !strings.Contains(fs[n].text, "=") {
		text += " " + fs[n].text
		n++
	}
	return text, n
}

// closest returns the candidate nearest to word, if one is near enough to
// be what was meant: within a third of its length in edits.
func closest(word string, candidates []string) string {
	best, bestDist := "", len(word)/3+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance of a and b (optimal
// string alignment): insertions, deletions, substitutions and swaps of
// neighbours.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

type field struct {
	text   string
	offset int // byte offset in the comment
}

// fields splits text[from:] at spaces and tabs outside double quotes and
// backquotes, so a type with spaces can be written shared="func(int) int".
func fields(text string, from int) []field {
	var out []field
	start, quote := -1, byte(0)
	for i := from; i <= len(text); i++ {
		end := i == len(text)
		switch {
		case end:
		case quote == 0 && (text[i] == '"' || text[i] == '`'):
			quote = text[i]
		case quote == '"' && text[i] == '"' && text[i-1] != '\\', quote == '`' && text[i] == '`':
			quote = 0
		}
		space := end || (quote == 0 && (text[i] == ' ' || text[i] == '\t'))
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
