package extract

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The fast sheet reader: cells straight from the package's XML with a
// byte scanner, about ten times faster than excelize's Rows (docs/
// performance.md). excelize stays the reference: a sheet is read fast only
// when a first pass finds nothing out of the ordinary in it (fastSheet), and
// whatever the scanner does not know (an encoding but UTF-8, CDATA, a
// malformed document, rows or cells out of order, an unusual element in a
// cell, a shared string index out of range...) sends the sheet to excelize.
// fast_test.go compares both over ../shared/corpus and generated
// workbooks, and a fuzz target feeds both.

// mainNS is the SpreadsheetML namespace of transitional OOXML.
const mainNS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

// Excel's grid.
const (
	maxRows = 1_048_576
	maxCols = 16_384
)

// fastBook is what the fast reader needs of an open workbook.
type fastBook struct {
	parts   map[string]*zip.File // by exact name, backslashes as slashes
	sstPart *zip.File            // nil without shared strings
	// kept are parts as inspect verified and decompressed them, each read
	// from memory once instead of decompressed again.
	kept map[*zip.File][]byte
	sst  []string
	// sstState: 0 not read yet, 1 read, 2 not for the fast reader (every
	// sheet goes to excelize).
	sstState int
}

// sharedStrings reads the shared strings once; false when they are not for
// the fast reader.
func (b *fastBook) sharedStrings() bool {
	if b.sstState == 0 {
		b.sstState = 2
		if b.sstPart == nil {
			b.sstState = 1
		} else if rc, err := b.open(b.sstPart); err == nil {
			sst, err := parseSST(rc)
			rc.Close()
			if err == nil {
				b.sst, b.sstState = sst, 1
			}
		}
	}
	return b.sstState == 1
}

// parseSST reads a shared strings part as excelize does: each <si>'s <t>
// and the <t> of its runs, joined, with _xHHHH_ escapes decoded.
func parseSST(r io.Reader) ([]string, error) {
	s := newXMLScanner(r)
	defer s.release()
	root, err := rootElement(s)
	if err != nil || !bytes.Equal(local(root), []byte("sst")) || s.empty {
		return nil, errUnsupported
	}
	var out []string
	for {
		if err := s.next(); err != nil {
			return nil, err
		}
		switch s.kind {
		case tokEOF:
			return out, nil
		case tokText:
			if !validText(s.text) {
				return nil, errUnsupported
			}
		case tokStart:
			if len(s.stack) == 2 && bytes.Equal(local(s.name), []byte("si")) || s.empty && len(s.stack) == 1 && bytes.Equal(local(s.name), []byte("si")) {
				v, err := stringItem(s)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			} else if err := skipElement(s); err != nil {
				return nil, err
			}
		}
	}
}

// rootElement reads up to the root element, which must be in the main
// namespace.
func rootElement(s *xmlScanner) ([]byte, error) {
	for {
		if err := s.next(); err != nil {
			return nil, err
		}
		switch s.kind {
		case tokStart:
			ns := "xmlns"
			if i := bytes.IndexByte(s.name, ':'); i >= 0 {
				ns = "xmlns:" + string(s.name[:i])
			}
			found := false
			eachAttr(s.attrs, func(name, value []byte) {
				found = found || string(name) == ns && string(value) == mainNS
			})
			if !found {
				return nil, errUnsupported
			}
			return s.name, nil
		case tokEOF, tokEnd:
			return nil, errUnsupported
		}
	}
}

// skipElement skips the element just started, validating its content.
func skipElement(s *xmlScanner) error {
	if s.empty {
		return nil
	}
	depth := len(s.stack)
	for len(s.stack) >= depth {
		if err := s.next(); err != nil {
			return err
		}
		if s.kind == tokText && !validText(s.text) {
			return errUnsupported
		}
	}
	return nil
}

// stringItem reads an <si> or <is> just started: its <t>, then the <t> of
// each <r>; <rPh>, <phoneticPr> and anything else are skipped, as
// excelize's unmarshalling does. Two <t> where one is expected are left to
// excelize.
func stringItem(s *xmlScanner) (string, error) {
	if s.empty {
		return "", nil
	}
	var t, runs []byte
	haveT := false
	depth := len(s.stack)
	for {
		if err := s.next(); err != nil {
			return "", err
		}
		if s.kind == tokEnd && len(s.stack) < depth {
			return bstrDecode(string(append(t, runs...))), nil
		}
		if s.kind == tokText {
			if !validText(s.text) {
				return "", errUnsupported
			}
			continue
		}
		if s.kind != tokStart {
			continue
		}
		var err error
		switch string(local(s.name)) {
		case "t":
			if haveT {
				return "", errUnsupported
			}
			haveT = true
			t, err = textOnly(s, t)
		case "r":
			runs, err = run(s, runs)
		default:
			err = skipElement(s)
		}
		if err != nil {
			return "", err
		}
	}
}

// run appends the text of an <r> just started.
func run(s *xmlScanner, dst []byte) ([]byte, error) {
	if s.empty {
		return dst, nil
	}
	depth := len(s.stack)
	haveT := false
	for {
		if err := s.next(); err != nil {
			return nil, err
		}
		switch {
		case s.kind == tokEnd && len(s.stack) < depth:
			return dst, nil
		case s.kind == tokText:
			if !validText(s.text) {
				return nil, errUnsupported
			}
		case s.kind == tokStart && string(local(s.name)) == "t":
			if haveT {
				return nil, errUnsupported
			}
			haveT = true
			var err error
			if dst, err = textOnly(s, dst); err != nil {
				return nil, err
			}
		case s.kind == tokStart:
			if err := skipElement(s); err != nil {
				return nil, err
			}
		}
	}
}

// textOnly appends the decoded text of an element just started that must
// hold text only.
func textOnly(s *xmlScanner, dst []byte) ([]byte, error) {
	if s.empty {
		return dst, nil
	}
	for {
		if err := s.next(); err != nil {
			return nil, err
		}
		switch s.kind {
		case tokText:
			var ok bool
			if dst, ok = decodeText(dst, s.text, true); !ok {
				return nil, errUnsupported
			}
		case tokEnd:
			return dst, nil
		default:
			return nil, errUnsupported
		}
	}
}

// bstrDecode decodes the _xHHHH_ escapes of a string item as excelize
// does: _x005F_ is '_', another is its UTF-16 unit, dropped when that is no
// character on its own.
func bstrDecode(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' && isHex4(s[i+2:i+6]) {
			v, _ := strconv.ParseUint(s[i+2:i+6], 16, 32)
			if r := rune(v); r < 0xD800 || r > 0xDFFF {
				b.WriteRune(r)
			}
			i += 7
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		if hexVal(rune(s[i])) < 0 {
			return false
		}
	}
	return true
}

// fastRow is one row as the fast reader found it.
type fastRow struct {
	num    int
	hidden bool
	cells  []Cell
}

// scanSheet reads a worksheet part, calling emit with each row element, in
// order, with its non-empty cells (emit nil: only check that the sheet is
// for the fast reader). errUnsupported: leave the sheet to excelize.
func scanSheet(r io.Reader, sst []string, emit func(fastRow) error) error {
	s := newXMLScanner(r)
	defer s.release()
	root, err := rootElement(s)
	if err != nil || !bytes.Equal(local(root), []byte("worksheet")) || s.empty {
		return errUnsupported
	}
	seenData := false
	for {
		if err := s.next(); err != nil {
			return err
		}
		switch s.kind {
		case tokEOF:
			return nil
		case tokText:
			if !validText(s.text) {
				return errUnsupported
			}
		case tokStart:
			switch string(local(s.name)) {
			case "sheetData":
				if seenData || len(s.stack) != 2 && !s.empty {
					return errUnsupported
				}
				seenData = true
				if err := sheetData(s, sst, emit); err != nil {
					return err
				}
			case "row", "c":
				return errUnsupported // excelize would take it for a row or cell
			}
		}
	}
}

// sheetData reads the rows of a <sheetData> just started.
func sheetData(s *xmlScanner, sst []string, emit func(fastRow) error) error {
	if s.empty {
		return nil
	}
	prev := 0
	for {
		if err := s.next(); err != nil {
			return err
		}
		switch s.kind {
		case tokEnd:
			return nil
		case tokText:
			if !isSpace(s.text) {
				return errUnsupported
			}
		case tokStart:
			if string(local(s.name)) != "row" {
				return errUnsupported
			}
			row, err := rowElement(s, prev, sst)
			if err != nil {
				return err
			}
			prev = row.num
			if emit != nil {
				if err := emit(row); err != nil {
					return err
				}
			}
		}
	}
}

// rowElement reads a <row> just started; its number must follow prev.
func rowElement(s *xmlScanner, prev int, sst []string) (fastRow, error) {
	row := fastRow{num: prev + 1}
	bad := false
	eachAttr(s.attrs, func(name, value []byte) {
		switch string(name) {
		case "r":
			n, err := strconv.Atoi(string(value))
			bad = bad || err != nil || n <= prev || n > maxRows
			row.num = n
		case "hidden":
			row.hidden, _ = strconv.ParseBool(string(value))
		}
	})
	if bad {
		return row, errUnsupported
	}
	if s.empty {
		return row, nil
	}
	col := 0
	if cap(s.slab)-len(s.slab) < 64 {
		s.slab = make([]Cell, 0, min(4096, max(256, 2*cap(s.slab))))
	}
	start := len(s.slab)
	for {
		if err := s.next(); err != nil {
			return row, err
		}
		switch s.kind {
		case tokEnd:
			n := len(s.slab)
			row.cells = s.slab[start:n:n]
			if n == start {
				row.cells = nil
			}
			return row, nil
		case tokText:
			if !isSpace(s.text) {
				return row, errUnsupported
			}
		case tokStart:
			if string(local(s.name)) != "c" {
				return row, errUnsupported
			}
			c, err := cellElement(s, row.num, col, sst)
			if err != nil {
				return row, err
			}
			col = c.Col
			if c.Raw != "" {
				s.slab = append(s.slab, c)
			}
		}
	}
}

// cellAttrs are the attributes of a <c> that matter.
type cellAttrs struct {
	col  int
	typ  string
	bad  bool
	rowN int
}

func readCellAttrs(attrs []byte, prevCol int) cellAttrs {
	a := cellAttrs{col: prevCol + 1}
	eachAttr(attrs, func(name, value []byte) {
		switch string(name) {
		case "r":
			col, row, ok := parseCellRef(string(value))
			a.bad = a.bad || !ok || col <= prevCol
			a.col, a.rowN = col, row
		case "s":
			_, err := strconv.Atoi(string(value))
			a.bad = a.bad || err != nil
		case "t":
			a.typ = string(value)
		}
	})
	a.bad = a.bad || a.col > maxCols
	return a
}

// cellElement reads a <c> just started; its column must follow prevCol.
// Its value is what excelize's raw value is: the shared string, the inline
// string, or the <v> as written.
func cellElement(s *xmlScanner, rowNum, prevCol int, sst []string) (Cell, error) {
	a := readCellAttrs(s.attrs, prevCol)
	if a.bad || a.rowN != 0 && a.rowN != rowNum {
		return Cell{}, errUnsupported
	}
	c := Cell{Col: a.col}
	if s.empty {
		return c, nil
	}
	var v []byte
	var inline string
	haveV, haveIS := false, false
	for {
		if err := s.next(); err != nil {
			return c, err
		}
		switch s.kind {
		case tokEnd:
			raw, err := cellValue(a.typ, v, haveV, inline, haveIS, sst)
			c.Raw = raw
			return c, err
		case tokText:
			if !isSpace(s.text) {
				return c, errUnsupported
			}
		case tokStart:
			var err error
			switch string(local(s.name)) {
			case "v":
				if haveV {
					return c, errUnsupported
				}
				haveV = true
				v, err = textOnly(s, s.vBuf[:0]) // copied by cellValue
				s.vBuf = v
			case "is":
				if haveIS {
					return c, errUnsupported
				}
				haveIS = true
				inline, err = stringItem(s)
			case "f":
				s.fBuf, err = textOnly(s, s.fBuf[:0])
			default:
				err = errUnsupported
			}
			if err != nil {
				return c, err
			}
		}
	}
}

// cellValue is a cell's raw value by its type.
func cellValue(typ string, v []byte, haveV bool, inline string, haveIS bool, sst []string) (string, error) {
	switch typ {
	case "s":
		if !haveV || len(v) == 0 {
			return "", nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(string(v)))
		if err != nil || i < 0 || i >= len(sst) {
			return "", errUnsupported
		}
		return sst[i], nil
	case "inlineStr":
		if haveIS {
			return inline, nil
		}
	}
	return string(v), nil
}

// parseCellRef reads "AB12" as column 28, row 12.
func parseCellRef(ref string) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		col = col*26 + int(ref[i]-'A'+1)
		i++
		if col > maxCols {
			return 0, 0, false
		}
	}
	if i == 0 || i == len(ref) {
		return 0, 0, false
	}
	row, err := strconv.Atoi(ref[i:])
	if err != nil || row < 1 || row > maxRows || ref[i] == '+' || ref[i] == '0' {
		return 0, 0, false
	}
	return col, row, true
}

// errFastChanged: the second pass over a sheet found what the first did
// not; the part changed under the reader.
var errFastChanged = errors.New("the sheet changed while it was read")

// startFast sets the fast reader up, with the parts inspect kept, unless
// the workbook is excelize's alone: two sheets whose names differ only in
// case (excelize picks either).
func (w *Workbook) startFast(kept map[*zip.File][]byte) {
	for i, a := range w.Sheets {
		for _, b := range w.Sheets[:i] {
			if strings.EqualFold(a.Name, b.Name) {
				return
			}
		}
	}
	fb := &fastBook{parts: make(map[string]*zip.File, len(w.zr.File)), sstPart: w.sst, kept: kept}
	for _, zf := range w.zr.File {
		fb.parts[strings.ReplaceAll(zf.Name, "\\", "/")] = zf
	}
	w.fast = fb
}

// readFast reads a sheet with the fast reader; done is false when the sheet
// is for excelize (and nothing was passed on yet).
func (w *Workbook) readFast(idx int, rd *rowReader) (done bool, err error) {
	if w.fast == nil || !w.fast.sharedStrings() {
		return false, nil
	}
	zf := w.fast.parts[w.Sheets[idx].exact]
	if zf == nil {
		return false, nil
	}
	fail := func(err error) error {
		return &CellError{File: w.Name, Sheet: w.Sheets[idx].Name, Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}
	}
	rows, err := w.fast.check(zf)
	if err == errUnsupported {
		return false, nil
	} else if err != nil {
		return true, fail(err)
	}
	last := 0
	gaps := len(rd.fill.merges) > 0 // merged ranges fill rows without cells
	emit := func(r fastRow) error {
		for n := last + 1; gaps && n < r.num; n++ {
			if err := rd.row(n, r.hidden, nil); err != nil {
				return err
			}
		}
		last = r.num
		return rd.row(r.num, r.hidden, r.cells)
	}
	if rows != nil {
		err = emitAll(rows, emit)
	} else if err = w.fast.scan(zf, emit); err == errUnsupported {
		return true, fail(errFastChanged)
	}
	w.fastSheets++
	return true, err
}

// keepRows bounds the sheet parts (uncompressed) whose rows the first pass
// keeps, so that a second pass is needed only for large sheets.
const keepRows = 8 << 20

// check is the first pass over a sheet: errUnsupported, or the rows when
// the part is small enough to keep them (nil otherwise).
func (b *fastBook) check(zf *zip.File) ([]fastRow, error) {
	if zf.UncompressedSize64 > keepRows {
		return nil, b.scan(zf, nil)
	}
	rows := []fastRow{}
	err := b.scan(zf, func(r fastRow) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

func emitAll(rows []fastRow, emit func(fastRow) error) error {
	for _, r := range rows {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// open reads a part: from what inspect kept of it, once, else from the
// package.
func (b *fastBook) open(zf *zip.File) (io.ReadCloser, error) {
	if data, ok := b.kept[zf]; ok {
		delete(b.kept, zf)
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	return zf.Open()
}

// scan runs scanSheet over a part.
func (b *fastBook) scan(zf *zip.File, emit func(fastRow) error) error {
	rc, err := b.open(zf)
	if err != nil {
		return err
	}
	defer rc.Close()
	return scanSheet(rc, b.sst, emit)
}
