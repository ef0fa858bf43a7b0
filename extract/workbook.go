package extract

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// Cell is one non-empty cell of a streamed row.
type Cell struct {
	Col    int    // 1-based
	Raw    string // the stored value: numbers as written ("1234.5"), text as is
	Date   bool   // a number displayed as a date or time: Raw is a serial day count
	Merged bool   // copied from the top-left cell of a merged range
}

// Row is one worksheet row with its non-empty cells in column order.
type Row struct {
	Num    int // 1-based
	Hidden bool
	Cells  []Cell
}

// Options configure Open.
type Options struct {
	// Name is how the workbook is named in errors and lineage; the path when empty.
	Name   string
	Limits Limits
	// TmpDir is where excelize keeps its temporary files (large parts
	// unzipped to disk); "" is the system's. A run passes its own work
	// folder, which the next run sweeps if this one is killed.
	TmpDir string
	// Excelize reads every sheet with excelize, the reference, instead of
	// the fast reader (fast.go).
	Excelize bool
}

// Workbook is an open, verified .xlsx file.
type Workbook struct {
	Name     string
	SHA256   string
	Size     int64
	Date1904 bool
	Sheets   []SheetInfo
	// Modified is the document's last-modified time from docProps/core.xml,
	// zero when the workbook does not record one.
	Modified time.Time

	// Cells counts the non-empty cells read so far.
	Cells int64

	path  string
	opt   Options
	file  *os.File       // open for the fast reader
	zr    *zip.Reader    // the package, over file
	sst   *zip.File      // its shared strings part, nil without
	fast  *fastBook      // nil: excelize reads every sheet
	f     *excelize.File // opened at the first need
	dates [][]dateRun    // date cells of each sheet, as Sheets

	fastSheets int // sheets the fast reader read, for tests
}

// Open verifies the file (format, encryption, every zip entry, size limits)
// and opens it for streaming. Errors are *CellError.
func Open(path string, opt Options) (*Workbook, error) {
	name := opt.Name
	if name == "" {
		name = path
	}
	opt.Limits = opt.Limits.withDefaults()
	file, err := os.Open(path)
	if err != nil {
		return nil, &CellError{File: name, Err: err}
	}
	p, err := inspect(name, file, opt.Limits)
	if err != nil {
		file.Close()
		return nil, err
	}
	wb := &Workbook{
		Name: name, SHA256: p.sha256, Size: p.size, Date1904: p.date1904, Sheets: p.sheets,
		path: path, opt: opt, file: file, zr: p.zr, sst: p.sst, dates: p.dates,
	}
	// excelize opens every workbook, so that what it refuses on opening
	// (a damaged relationship, styles or theme part) stays refused; it
	// costs a tenth of reading the sheets with it.
	if _, err := wb.excel(); err != nil {
		wb.Close()
		return nil, err
	}
	if props, err := wb.f.GetDocProps(); err == nil {
		wb.Modified = modifiedTime(props.Modified)
	}
	if !opt.Excelize {
		wb.startFast(p.kept)
	}
	return wb, nil
}

// excel opens the workbook with excelize, once.
func (w *Workbook) excel() (*excelize.File, error) {
	if w.f != nil {
		return w.f, nil
	}
	f, err := excelize.OpenFile(w.path, excelize.Options{
		UnzipSizeLimit:    w.opt.Limits.MaxUnzippedBytes,
		UnzipXMLSizeLimit: min(16<<20, w.opt.Limits.MaxPartBytes),
		TmpDir:            w.opt.TmpDir,
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, &CellError{File: w.Name, Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}
	}
	w.f = f
	return f, nil
}

func modifiedTime(s string) time.Time {
	if t, err := time.Parse(time.RFC3339, s); err == nil && s != "" {
		return t.UTC()
	}
	return time.Time{}
}

// Close releases the workbook's file and excelize's temporary files.
func (w *Workbook) Close() error {
	var errs []error
	if w.f != nil {
		errs = append(errs, w.f.Close())
	}
	if w.file != nil {
		errs = append(errs, w.file.Close())
	}
	return errors.Join(errs...)
}

// Sheet returns the named sheet's description.
func (w *Workbook) Sheet(name string) (SheetInfo, bool) {
	for _, s := range w.Sheets {
		if s.Name == name {
			return s, true
		}
	}
	return SheetInfo{}, false
}

// Formula returns the formula of a cell, "" when it has none. It is for the
// rare cell that a row needs but that holds no value: the first call for a
// sheet loads that sheet whole.
func (w *Workbook) Formula(sheet string, col, row int) (string, error) {
	if info, ok := w.Sheet(sheet); !ok || !info.Formulas {
		return "", nil
	}
	f, err := w.excel()
	if err != nil {
		return "", err
	}
	v, err := f.GetCellFormula(sheet, CellName(col, row))
	if err != nil {
		return "", &CellError{File: w.Name, Sheet: sheet, Cell: CellName(col, row), Row: row, Col: col, Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}
	}
	return v, nil
}

// ReadSheet streams the sheet's rows in order to fn, one row at a time.
// Cells of merged ranges carry the top-left value. fn's error stops the read
// and is returned as is; read errors are *CellError.
func (w *Workbook) ReadSheet(ctx context.Context, sheet string, fn func(Row) error) error {
	idx := slices.IndexFunc(w.Sheets, func(s SheetInfo) bool { return s.Name == sheet })
	if idx < 0 {
		return &CellError{File: w.Name, Sheet: sheet, Err: ErrNoSheet}
	}
	rd := &rowReader{ctx: ctx, w: w, fill: newMergeFill(w.Sheets[idx].Merges, w.Sheets[idx].MaxCol),
		dates: dateCursor{runs: w.dates[idx]}, fn: fn}
	if done, err := w.readFast(idx, rd); done {
		return err
	}
	return w.readExcelize(sheet, rd)
}

// rowReader takes a sheet's rows from either reader to fn: it marks date
// cells, counts cells and fills merged ranges.
type rowReader struct {
	ctx   context.Context
	w     *Workbook
	fill  *mergeFill
	dates dateCursor
	fn    func(Row) error
}

// row passes one row on; it is called for every row number in order, empty
// ones too (merged ranges fill them).
func (r *rowReader) row(num int, hidden bool, cells []Cell) error {
	// Every row: a row of a hostile sheet may cost much, and a timeout
	// must stop the work within seconds.
	if err := r.ctx.Err(); err != nil {
		return err
	}
	for i := range cells {
		r.w.Cells++
		cells[i].Date = r.dates.at(num, cells[i].Col) && isDaySerial(cells[i].Raw)
	}
	cells = r.fill.apply(num, cells)
	if len(cells) == 0 {
		return nil
	}
	return r.fn(Row{Num: num, Hidden: hidden, Cells: cells})
}

// readExcelize reads a sheet with excelize's Rows.
func (w *Workbook) readExcelize(sheet string, rd *rowReader) error {
	fail := func(row int, err error) error {
		return &CellError{File: w.Name, Sheet: sheet, Row: row, Err: err}
	}
	f, err := w.excel()
	if err != nil {
		return err
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return fail(0, fmt.Errorf("%w: %v", ErrCorrupt, err))
	}
	defer rows.Close()
	raw := excelize.Options{RawCellValue: true}
	for num := 1; rows.Next(); num++ {
		vals, err := rows.Columns(raw)
		if err != nil {
			return fail(num, fmt.Errorf("%w: %v", ErrCorrupt, err))
		}
		cells := make([]Cell, 0, len(vals))
		for i, v := range vals {
			if v != "" {
				cells = append(cells, Cell{Col: i + 1, Raw: v})
			}
		}
		if err := rd.row(num, rows.GetRowOpts().Hidden, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		if errors.Is(err, excelize.ErrMaxRows) {
			return fail(0, fmt.Errorf("%w: %v", ErrTooLarge, err))
		}
		return fail(0, fmt.Errorf("%w: %v", ErrCorrupt, err))
	}
	return nil
}

// dateCursor walks a sheet's date cells alongside its rows.
type dateCursor struct {
	runs []dateRun
	next int
}

// at reports whether the cell has a date style. Calls must come in row,
// then column order.
func (d *dateCursor) at(row, col int) bool {
	for d.next < len(d.runs) {
		r := d.runs[d.next]
		if int(r.Row) > row || int(r.Row) == row && int(r.Col)+int(r.N) > col {
			return int(r.Row) == row && int(r.Col) <= col
		}
		d.next++
	}
	return false
}

// isDaySerial reports whether a date-styled cell's value is shown as a date:
// a number, and not a negative one (Excel shows those as ####).
func isDaySerial(raw string) bool {
	v, err := strconv.ParseFloat(raw, 64)
	return err == nil && v >= 0
}

// mergeFill copies each merged range's top-left cell into the rest of the
// range as rows stream past.
type mergeFill struct {
	merges []Merge // sorted by Top
	next   int     // first merge whose top row has not been reached
	active []int   // merges whose top row has been seen and bottom not passed
	value  map[int]Cell
}

func newMergeFill(ms []Merge, maxCol int) *mergeFill {
	sorted := slices.Clone(ms)
	if maxCol > 0 {
		// Fill no further than the sheet's cells reach: a merge over the
		// whole sheet costs the cells used, not its area.
		sorted = slices.DeleteFunc(sorted, func(m Merge) bool { return m.Left > maxCol })
		for i := range sorted {
			sorted[i].Right = min(sorted[i].Right, maxCol)
		}
	}
	slices.SortStableFunc(sorted, func(a, b Merge) int { return a.Top - b.Top })
	return &mergeFill{merges: sorted, value: make(map[int]Cell)}
}

func (m *mergeFill) apply(num int, cells []Cell) []Cell {
	m.open(num, cells)
	if len(m.active) == 0 {
		return cells
	}
	var fills []Cell
	kept := m.active[:0]
	for _, i := range m.active {
		mg := m.merges[i]
		if mg.Bottom < num {
			delete(m.value, i)
			continue
		}
		kept = append(kept, i)
		v, ok := m.value[i]
		if !ok {
			continue
		}
		for col := mg.Left; col <= mg.Right; col++ {
			if col == mg.Left && num == mg.Top {
				continue
			}
			fills = append(fills, Cell{Col: col, Raw: v.Raw, Date: v.Date, Merged: true})
		}
	}
	m.active = kept
	return fillEmpty(cells, fills)
}

// open makes the merges that start at row num active, keeping the value of
// their top-left cell.
func (m *mergeFill) open(num int, cells []Cell) {
	for m.next < len(m.merges) && m.merges[m.next].Top <= num {
		i := m.next
		m.next++
		mg := m.merges[i]
		if mg.Top == num {
			for _, c := range cells {
				if c.Col == mg.Left {
					m.value[i] = c
				}
			}
		}
		m.active = append(m.active, i)
	}
}

// fillEmpty adds the fill cells to the row's cells where a column has none,
// the first fill of a column winning, in one pass: linear in the cells, not
// quadratic.
func fillEmpty(cells, fills []Cell) []Cell {
	if len(fills) == 0 {
		return cells
	}
	slices.SortStableFunc(fills, func(a, b Cell) int { return a.Col - b.Col })
	out := make([]Cell, 0, len(cells)+len(fills))
	i := 0
	for _, f := range fills {
		for i < len(cells) && cells[i].Col < f.Col {
			out = append(out, cells[i])
			i++
		}
		if i < len(cells) && cells[i].Col == f.Col || len(out) > 0 && out[len(out)-1].Col == f.Col {
			continue // a cell of its own, or an earlier fill
		}
		out = append(out, f)
	}
	return append(out, cells[i:]...)
}
