package extract

import (
	"bytes"
	"fmt"
	"strings"
)

// maxMerges bounds the merged ranges kept for one sheet.
const maxMerges = 100000

var mergeTag = []byte("mergeCell")

// mergeScanner finds <mergeCell ref="A1:C1"/> elements in a worksheet part
// as it streams past, so merged ranges are known before excelize streams the
// rows (the element sits after sheetData, and excelize's GetMergeCells would
// load the whole sheet into memory).
type mergeScanner struct {
	carry  []byte
	merges []Merge
	err    error
}

func (m *mergeScanner) Write(p []byte) (int, error) {
	if m.err == nil {
		feedTags(&m.carry, p, m.scan)
	}
	return len(p), nil
}

// feedTags hands scan the complete tags of what was carried over plus p,
// and carries the unfinished last tag to the next write. Tags cannot
// contain '<', so everything before the last '<' holds only complete tags.
func feedTags(carry *[]byte, p []byte, scan func([]byte)) {
	b := p
	if len(*carry) > 0 {
		*carry = append(*carry, p...)
		b = *carry
	}
	k := bytes.LastIndexByte(b, '<')
	if k < 0 {
		*carry = (*carry)[:0]
		return
	}
	scan(b[:k])
	rest := b[k:]
	if len(rest) > 4096 {
		// No tag of interest is that long; do not let hostile input grow the carry.
		rest = nil
	}
	*carry = append((*carry)[:0:0], rest...)
}

func (m *mergeScanner) flush() {
	if m.err == nil && len(m.carry) > 0 {
		m.scan(m.carry)
	}
	m.carry = nil
}

func (m *mergeScanner) scan(b []byte) {
	for m.err == nil {
		tag, rest, ok := nextTag(b, mergeTag, isTagStart)
		if !ok {
			return
		}
		b = rest
		ref, ok := attr(tag, "ref")
		if !ok {
			continue
		}
		mg, ok := parseRange(ref)
		if !ok {
			m.err = fmt.Errorf("bad merged range %q", ref)
			return
		}
		if mg.Top == mg.Bottom && mg.Left == mg.Right {
			continue
		}
		if len(m.merges) >= maxMerges {
			m.err = fmt.Errorf("more than %d merged ranges", maxMerges)
			return
		}
		m.merges = append(m.merges, mg)
	}
}

// nextTag finds the next complete tag of the given name in b, where opens
// says whether the name at b[i:] opens a tag, and returns its attributes
// and the rest of b after them; ok is false when b holds no more.
func nextTag(b, name []byte, opens func(b []byte, i int) bool) (attrs, rest []byte, ok bool) {
	for {
		i := bytes.Index(b, name)
		if i < 0 {
			return nil, nil, false
		}
		end := i + len(name)
		if !opens(b, i) || end >= len(b) || !isTagNameEnd(b[end]) {
			b = b[end:]
			continue
		}
		gt := bytes.IndexByte(b[end:], '>')
		if gt < 0 {
			return nil, nil, false
		}
		return b[end : end+gt], b[end+gt:], true
	}
}

// isTagStart reports whether the name at b[i:] opens a tag: "<mergeCell" or
// "<prefix:mergeCell".
func isTagStart(b []byte, i int) bool {
	if i == 0 {
		return false
	}
	if b[i-1] == '<' {
		return true
	}
	if b[i-1] != ':' {
		return false
	}
	for j := i - 2; j >= 0; j-- {
		c := b[j]
		switch {
		case c == '<':
			return j < i-2
		case c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return false
}

func isTagNameEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>'
}

// attr finds name="value" (or single quotes) among a tag's attributes.
func attr(tag []byte, name string) (string, bool) {
	v, ok := attrBytes(tag, name)
	return string(v), ok
}

// attrBytes is attr without copying the value.
func attrBytes(tag []byte, name string) ([]byte, bool) {
	s := tag
	for {
		i := bytes.Index(s, []byte(name))
		if i < 0 {
			return nil, false
		}
		before := i == 0 || isTagNameEnd(s[i-1])
		r := bytes.TrimLeft(s[i+len(name):], " \t\r\n")
		if before && len(r) > 0 && r[0] == '=' {
			r = bytes.TrimLeft(r[1:], " \t\r\n")
			if len(r) > 0 && (r[0] == '"' || r[0] == '\'') {
				if j := bytes.IndexByte(r[1:], r[0]); j >= 0 {
					return r[1 : 1+j], true
				}
			}
			return nil, false
		}
		s = s[i+len(name):]
	}
}

// parseRange parses "A1:C2" (or a single cell) into a normalised Merge.
func parseRange(ref string) (Merge, bool) {
	a, b, found := strings.Cut(ref, ":")
	if !found {
		b = a
	}
	c1, r1, err := ParseCellName(a)
	if err != nil {
		return Merge{}, false
	}
	c2, r2, err := ParseCellName(b)
	if err != nil {
		return Merge{}, false
	}
	return Merge{Top: min(r1, r2), Left: min(c1, c2), Bottom: max(r1, r2), Right: max(c1, c2)}, true
}

// extentScanner finds the rightmost column that a worksheet's cells use
// (<c r="F12">), so that a merged range is filled no further than the
// sheet's cells reach: one merge over a whole sheet costs the cells used,
// not 16,384 columns a row.
type extentScanner struct {
	maxCol  int
	unknown bool // a cell without a reference, or under a prefix: no bound
	carry   []byte
}

var cellTag = []byte("<c")

func (e *extentScanner) Write(p []byte) (int, error) {
	if !e.unknown {
		feedTags(&e.carry, p, e.scan)
	}
	return len(p), nil
}

func (e *extentScanner) flush() {
	if len(e.carry) > 0 {
		e.scan(e.carry)
	}
	e.carry = nil
}

func (e *extentScanner) scan(b []byte) {
	for !e.unknown {
		tag, rest, ok := nextTag(b, cellTag, func([]byte, int) bool { return true }) // cellTag holds its '<'
		if !ok {
			return
		}
		b = rest
		ref, ok := attrBytes(tag, "r")
		if !ok {
			e.unknown = true
			return
		}
		if col, n, ok := colLetters(ref); ok && n > 0 {
			e.maxCol = max(e.maxCol, col)
		}
	}
}

// bound is the rightmost column a merged fill may reach: 0 for no bound
// (cells without references, or cells under a namespace prefix, which this
// scanner does not see).
func (e *extentScanner) bound() int {
	if e.unknown {
		return 0
	}
	return e.maxCol
}
