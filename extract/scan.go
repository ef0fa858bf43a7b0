package extract

import (
	"bytes"
	"fmt"
)

// maxSharedString bounds one shared string item. Excel's own limit is 32,767
// characters a cell; a far longer item referenced from many cells is a string
// amplification attack.
const maxSharedString = 256 << 10

// prologScanner keeps the start of a part to look for a document type
// declaration. OOXML never uses DTDs; one in a part can only serve entity
// expansion ("billion laughs") or external entities.
type prologScanner struct {
	head []byte
}

const prologBytes = 4096

func (p *prologScanner) Write(b []byte) (int, error) {
	if room := prologBytes - len(p.head); room > 0 {
		p.head = append(p.head, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

func (p *prologScanner) hasDTD() bool {
	h := bytes.ToUpper(bytes.ReplaceAll(p.head, []byte{0}, nil)) // UTF-16 as well
	return bytes.Contains(h, []byte("<!DOCTYPE")) || bytes.Contains(h, []byte("<!ENTITY"))
}

// stringScanner measures the longest <si> item of a shared strings part,
// and counts the items, as it streams past.
type stringScanner struct {
	in      bool  // inside an <si> item
	cur     int64 // bytes of the current item so far
	longest int64
	count   int64 // items
	carry   []byte
}

var (
	siOpen  = []byte("<si>")
	siClose = []byte("</si>")
)

func (s *stringScanner) Write(p []byte) (int, error) {
	b := append(s.carry, p...)
	i := 0
	for {
		if !s.in {
			j := bytes.Index(b[i:], siOpen)
			if j < 0 {
				// Keep what could be the start of a split "<si>".
				i = max(i, len(b)-(len(siOpen)-1))
				break
			}
			s.in, s.cur = true, 0
			s.count++
			i += j + len(siOpen)
			continue
		}
		j := bytes.Index(b[i:], siClose)
		if j < 0 {
			// Count all but what could be the start of a split "</si>".
			if n := len(b) - i - (len(siClose) - 1); n > 0 {
				s.cur += int64(n)
				i += n
			}
			break
		}
		s.cur += int64(j)
		s.longest = max(s.longest, s.cur)
		s.in = false
		i += j + len(siClose)
	}
	s.carry = append(s.carry[:0:0], b[i:]...)
	return len(p), nil
}

func (s *stringScanner) flush() {
	if s.in {
		s.longest = max(s.longest, s.cur+int64(len(s.carry)))
	}
}

// formulaScanner notes whether a worksheet part holds any formula, so that a
// blank cell of a sheet without formulas never costs a formula lookup.
type formulaScanner struct {
	found bool
	tail  [2]byte // the last bytes seen: a tag can straddle two writes
	nTail int
}

func (f *formulaScanner) Write(p []byte) (int, error) {
	if f.found {
		return len(p), nil
	}
	// A three-byte tag over the seam has at most two bytes on either side.
	var seamBuf [4]byte
	seam := append(append(seamBuf[:0], f.tail[:f.nTail]...), p[:min(2, len(p))]...)
	if hasFormulaTag(seam) || hasFormulaTag(p) {
		f.found = true
		return len(p), nil
	}
	last := p
	if len(p) < 2 {
		last = seam
	}
	f.nTail = copy(f.tail[:], last[max(0, len(last)-2):])
	return len(p), nil
}

// hasFormulaTag reports whether b holds the start of a formula element
// (<f>, <f ...>, <f/>, <x:f ...>): an 'f' after '<' or ':' and before '>',
// ' ' or '/'. One pass for the rare 'f' of a worksheet's markup, where a
// search per tag read each chunk six times.
func hasFormulaTag(b []byte) bool {
	for i := 1; i < len(b)-1; i++ {
		j := bytes.IndexByte(b[i:len(b)-1], 'f')
		if j < 0 {
			return false
		}
		i += j
		if (b[i-1] == '<' || b[i-1] == ':') && (b[i+1] == '>' || b[i+1] == ' ' || b[i+1] == '/') {
			return true
		}
	}
	return false
}

// maxDateRuns bounds the runs of date cells kept for one sheet: a date
// column down all of Excel's rows is a million runs.
const maxDateRuns = 4 << 20

// dateRun is a run of date cells in one row: columns Col to Col+N-1.
type dateRun struct {
	Row    int32
	Col, N uint16
}

// dateScanner notes, as a worksheet part streams past, which number cells
// have a date style (style indexes date), so that reading the rows later
// tells date cells from numbers without formatting any cell. Rows and cells
// are numbered as excelize's row iterator numbers them: a row or cell
// without an r attribute follows the one before it.
type dateScanner struct {
	date   []bool
	carry  []byte
	inData bool // inside <sheetData>
	row    int
	col    int
	runs   []dateRun // in row, then column order
	err    error
}

func (d *dateScanner) Write(p []byte) (int, error) {
	if d.err != nil {
		return len(p), nil
	}
	b := p
	if len(d.carry) > 0 {
		d.carry = append(d.carry, p...)
		b = d.carry
	}
	// Keep an unfinished last tag for the next write; text after a finished
	// one is of no interest.
	rest := []byte(nil)
	if k := bytes.LastIndexByte(b, '<'); k >= 0 && bytes.IndexByte(b[k:], '>') < 0 {
		b, rest = b[:k], b[k:]
	}
	d.scan(b)
	if len(rest) > 64<<10 {
		rest = nil // no tag of interest is that long
	}
	d.carry = append(d.carry[:0], rest...)
	return len(p), nil
}

func (d *dateScanner) scan(b []byte) {
	for d.err == nil {
		j := bytes.IndexByte(b, '>')
		if j < 0 {
			return
		}
		// The tag opens at the last '<' before its '>', however the part
		// was split into writes.
		if i := bytes.LastIndexByte(b[:j], '<'); i >= 0 {
			d.tag(b[i+1 : j])
		}
		b = b[j+1:]
	}
}

// tag handles one tag, without its angle brackets.
func (d *dateScanner) tag(t []byte) {
	if len(t) == 0 || t[0] == '?' || t[0] == '!' {
		return
	}
	end := t[0] == '/'
	if end {
		t = t[1:]
	}
	n := 0
	for n < len(t) && !isTagNameEnd(t[n]) {
		n++
	}
	name, attrs := t[:n], t[n:]
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	switch string(name) {
	case "sheetData":
		d.inData = !end && !bytes.HasSuffix(attrs, []byte("/"))
	case "row":
		if end || !d.inData {
			return
		}
		d.row++
		if v, ok := attrBytes(attrs, "r"); ok {
			if r, ok := atoi(v); ok && r > d.row {
				d.row = r
			}
		}
		d.col = 0
		if d.row > MaxRows {
			d.inData = false // excelize stops the read with ErrMaxRows
		}
	case "c":
		if end || !d.inData || d.row == 0 {
			return
		}
		d.col++
		if v, ok := attrBytes(attrs, "r"); ok {
			if c, ok := refCol(v); ok {
				d.col = c
			}
		}
		v, ok := attrBytes(attrs, "s")
		if !ok {
			return
		}
		if s, ok := atoi(v); !ok || s >= len(d.date) || !d.date[s] {
			return
		}
		typ, _ := attrBytes(attrs, "t")
		switch string(typ) {
		case "s", "str", "inlineStr", "b", "d":
			return // text, booleans and ISO dates are never read as a day count
		}
		d.add(d.row, d.col)
	}
}

// add records a date cell. Cells out of order (invalid, and read in a
// different order by excelize) are left out.
func (d *dateScanner) add(row, col int) {
	if col < 1 || col > MaxCols {
		return
	}
	if k := len(d.runs) - 1; k >= 0 {
		last := &d.runs[k]
		switch {
		case int(last.Row) == row && int(last.Col)+int(last.N) == col:
			last.N++
			return
		case int(last.Row) > row || int(last.Row) == row && int(last.Col)+int(last.N) > col:
			return
		}
	}
	if len(d.runs) >= maxDateRuns {
		d.err = fmt.Errorf("more than %d runs of date cells", maxDateRuns)
		return
	}
	d.runs = append(d.runs, dateRun{Row: int32(row), Col: uint16(col), N: 1})
}

func (d *dateScanner) flush() {
	if d.err == nil && len(d.carry) > 0 {
		d.scan(d.carry)
	}
	d.carry = nil
}

// atoi parses a small non-negative decimal attribute value.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// refCol returns the column of an A1-style reference such as "AB12".
func refCol(b []byte) (int, bool) {
	col, _, ok := colLetters(b)
	return col, ok && col > 0
}
