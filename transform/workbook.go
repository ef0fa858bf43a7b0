package transform

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
)

// Sentinel causes for transform errors, carried inside *extract.CellError.
var (
	ErrBadNumber = errors.New("not a number")
	ErrBadDate   = errors.New("not a date")
	ErrNoFacts   = errors.New("no facts found: no sheet has a period header with mapped rows")
	// ErrBadCompany: a Company cell that is not a ticker.
	ErrBadCompany = errors.New("not a ticker (letters, digits, '.', '-' and '_', at most 32)")
	// ErrUnmappedRow: a strict spec met a row it does not map.
	ErrUnmappedRow = errors.New("row not mapped by the strict spec")
	// ErrUnitMismatch: a long table's Unit cell names a unit of another kind
	// than the row's metric ("MW" on a revenue row).
	ErrUnitMismatch = errors.New("unit does not fit the metric")
)

// Finding is a non-fatal note about what was read or skipped, with its place.
type Finding struct {
	Sheet   string
	Cell    string // A1 reference, or "" for a whole sheet
	Message string
	// Cells, for a finding about several cells of the sheet (rows not
	// mapped), lists every one of them, Cell first.
	Cells []string
}

func (f Finding) String() string {
	if f.Sheet == "" {
		return f.Message // about the whole workbook
	}
	if f.Cell == "" {
		return fmt.Sprintf("%s: %s", f.Sheet, f.Message)
	}
	return fmt.Sprintf("%s!%s: %s", f.Sheet, f.Cell, f.Message)
}

// Options configure Workbook.
type Options struct {
	// SourceFile is the lineage name of the workbook (its path below the inbox).
	SourceFile string
	// OnRowError decides what a bad cell in a mapped row does: return nil to
	// skip the cell and go on, or an error to stop. A nil OnRowError stops at
	// the first bad cell.
	OnRowError func(error) error
	// Batch, when set, receives the facts in batches of up to BatchSize as
	// they are read, instead of Result.Facts holding them all; the slice is
	// reused after Batch returns. Facts of a workbook without any vintage
	// date (no as_of in the spec, no modified date) then have a zero AsOf.
	Batch func([]fact.Fact) error
	// Calendar returns another company's fiscal calendar, for workbooks
	// (analysts' models) whose rows name several companies. Rows of a company
	// it does not know use the spec's calendar.
	Calendar func(company string) (Calendar, bool)
}

// BatchSize is how many facts Options.Batch receives at most at a time.
// (A variable so that tests can make batches small.)
var BatchSize = 16384

// batchBufs holds batch mode's fact buffers between workbooks, so that a
// worker reading one workbook after another fills the same buffer instead
// of growing a new one from nothing each time (that growth and its garbage
// took a tenth of a worker's CPU: BenchmarkWorker). A channel, not a
// sync.Pool: a pool drops what it holds at every other collection, and a
// worker then allocated and zeroed a buffer of BatchSize facts (4.7 MB)
// for most workbooks. It keeps one buffer per CPU; a buffer beyond that
// goes to the collector. The buffers it holds hold no strings (flush
// clears what it used).
var batchBufs = make(chan []fact.Fact, runtime.GOMAXPROCS(0))

func batchBuf() []fact.Fact {
	select {
	case b := <-batchBufs:
		if cap(b) >= BatchSize {
			return b[:0]
		}
	default:
	}
	return make([]fact.Fact, 0, BatchSize)
}

// putBatchBuf gives a buffer back to batchBufs, or to the collector when
// batchBufs is full.
func putBatchBuf(b []fact.Fact) {
	select {
	case batchBufs <- b[:0]:
	default:
	}
}

// Result is what one workbook yields.
type Result struct {
	Facts    []fact.Fact // every fact, unless Options.Batch took them
	Count    int         // facts read
	Findings []Finding
	// Company is the workbook's: the spec's, else its cover sheet's.
	Company string
	// Cover is what an EDGAR cover sheet says; nil without one.
	Cover *Cover
	flush func() error
	// spans is the first period header whose periods are all longer than
	// a quarter; a workbook without facts says it holds those.
	spans *spanHeader
}

// formulaReader gives the formula of a cell that a row needs but that holds
// no value. *extract.Workbook is one; tests use a fake.
type formulaReader interface {
	Formula(sheet string, col, row int) (string, error)
}

var _ formulaReader = (*extract.Workbook)(nil)

// book is what reading a sheet needs of its workbook.
type book struct {
	name     string // in errors
	date1904 bool   // the date system of date serials
	formulas formulaReader
}

// Workbook reads every wanted sheet of an open workbook with its spec and
// returns the canonical facts in sheet and row order.
func Workbook(ctx context.Context, wb *extract.Workbook, spec *Spec, opt Options) (*Result, error) {
	cover, err := readCover(ctx, wb)
	if err != nil {
		return nil, err
	}
	spec, notes, err := applyCover(spec, cover, wb.Name)
	if err != nil {
		return nil, err
	}
	rd := newReader(book{name: wb.Name, date1904: wb.Date1904, formulas: wb}, spec, opt, wb.Modified, wb.SHA256)
	rd.res.Company, rd.res.Cover, rd.res.Findings = spec.Company, cover, notes
	rd.annual = cover != nil && cover.Annual()
	for _, sh := range preferredFirst(wb.Sheets, spec) {
		if !spec.wantsSheet(sh.Name, sh.Hidden) || cover != nil && sh.Name == cover.Sheet {
			continue // the cover sheet was read as such: it holds no figures
		}
		err := rd.readSheet(sh.Name, func(fn func(extract.Row) error) error {
			return wb.ReadSheet(ctx, sh.Name, fn)
		})
		if err != nil {
			return nil, err
		}
	}
	return rd.done()
}

// reader holds what is the same for every sheet of a workbook.
type reader struct {
	wb   book
	spec *Spec
	opt  Options
	res  *Result
	asOf time.Time
	// latestEnd is the latest period end of the facts finished so far.
	latestEnd time.Time
	// prefs holds the facts of the sheets prefer_sheets names (nil without).
	prefs  map[factKey]stated
	sha256 string
	annual bool // an annual report: a column of a bare date is a year
}

func newReader(wb book, spec *Spec, opt Options, modified time.Time, sha256 string) *reader {
	if opt.SourceFile == "" {
		opt.SourceFile = wb.name
	}
	rd := &reader{wb: wb, spec: spec, opt: opt, res: &Result{Company: spec.Company}, asOf: spec.asOf, sha256: sha256}
	if len(spec.PreferSheets) > 0 {
		rd.prefs = map[factKey]stated{}
	}
	if rd.asOf.IsZero() && !modified.IsZero() {
		y, m, d := modified.Date()
		rd.asOf = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if opt.Batch != nil {
		res := rd.res
		res.Facts = batchBuf()
		res.flush = func() error {
			rd.finish(res.Facts)
			res.Count += len(res.Facts)
			err := opt.Batch(res.Facts)
			clear(res.Facts) // hold no strings of this workbook in the pool
			res.Facts = res.Facts[:0]
			return err
		}
	}
	return rd
}

// finish completes facts with what is the same for the whole workbook.
func (rd *reader) finish(facts []fact.Fact) {
	for i := range facts {
		facts[i].AsOf = rd.asOf
		if facts[i].PeriodEnd.After(rd.latestEnd) {
			rd.latestEnd = facts[i].PeriodEnd
		}
		facts[i].SourceSHA256 = rd.sha256
		facts[i].SourceFile = rd.opt.SourceFile
		facts[i].SourceKind = rd.spec.SourceKind
		if facts[i].Company == "" {
			facts[i].Company = rd.spec.Company
		}
	}
}

// readSheet reads one sheet. read passes the sheet's rows in order to the
// function it is given, and stops at (and returns) that function's first
// error: extract.Workbook.ReadSheet in Workbook, a slice of rows in tests.
func (rd *reader) readSheet(name string, read func(func(extract.Row) error) error) error {
	s := newSheetReader(rd, name)
	if err := read(s.row); err != nil {
		return err
	}
	s.wide.closeMember()
	s.noteUnmapped()
	s.notePassedOver()
	s.noteHeadless()
	return s.flushErr
}

// done completes the facts once every sheet has been read.
func (rd *reader) done() (*Result, error) {
	res := rd.res
	if res.flush != nil {
		if err := res.flush(); err != nil {
			return nil, err
		}
		putBatchBuf(res.Facts)
		res.flush, res.Facts = nil, nil // Batch has them; keep no buffer alive
	} else {
		res.Count = len(res.Facts)
		if rd.asOf.IsZero() {
			// No vintage anywhere: the latest period in the workbook, so
			// that the same file always gets the same as_of. (In batch mode
			// as_of stays empty and the load step fills in the same date.)
			for _, f := range res.Facts {
				if f.PeriodEnd.After(rd.asOf) {
					rd.asOf = f.PeriodEnd
				}
			}
		}
		rd.finish(res.Facts)
	}
	rd.noteOldVintage()
	if res.Count == 0 {
		if c := res.Cover; c != nil && c.Annual() {
			// An annual report with no quarter columns has nothing wrong
			// with it: it says so, and the run goes on.
			res.Findings = append(res.Findings, Finding{Sheet: c.Sheet, Cell: c.cells["type"],
				Message: fmt.Sprintf("an annual report (%s) without quarterly columns: no quarterly facts", c.DocType)})
			return res, nil
		}
		if sp := res.spans; sp != nil {
			return nil, &extract.CellError{File: rd.wb.name, Sheet: sp.Sheet, Cell: sp.Cell, Err: &NoQuartersError{What: sp.What, Labels: sp.Labels}}
		}
		return nil, &extract.CellError{File: rd.wb.name, Err: ErrNoFacts}
	}
	return res, nil
}

// ExcelDate converts a date serial to a date (time of day dropped).
func ExcelDate(serial float64, date1904 bool) (time.Time, bool) {
	if math.IsNaN(serial) || serial < 1 || serial > 2958465 {
		return time.Time{}, false
	}
	days := int(math.Floor(serial))
	var base time.Time
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days < 60:
		// Serials before Excel's phantom 29 February 1900.
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	case days == 60:
		return time.Time{}, false
	default:
		base = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	}
	return base.AddDate(0, 0, days), true
}

// A cell longer than this is never a period header or a column name;
// skipping it keeps sheets full of long text fast.
const maxLabel = 80

// sheetReader reads the rows of one sheet. It holds what every layout
// shares; the wide and long layouts keep their own state.
type sheetReader struct {
	wb   book
	spec *Spec
	opt  *Options
	name string // the sheet's
	res  *Result
	cal  Calendar

	titles []string // NormKeys of the statement's title (noteTitle)
	annual bool     // the workbook is an annual report (its cover says 10-K)
	cover  bool     // the workbook has an EDGAR cover sheet that names the form

	scale    float64 // of money values: the spec's, else the latest caption's
	currency string  // of money values: the spec's, else the latest caption's
	flushErr error   // from Options.Batch

	wide wideTable  // reads context rows until a period header, then a wide table
	long *longTable // set once a long table's header has been seen
	// trans is set at the first row whose label is a period, before any
	// period header: a table whose periods run down a column.
	trans    *transposedTable
	lastText extract.Row // the last text row before trans, its column headers
	unmapped []labelCell // rows not mapped, noted together at the sheet's end
	// what the sheet's name and titles say it splits, and the breakdown of
	// each segment read so far (breakdownOf)
	say        sheetSays
	breakdowns map[string]string
	headless   headless // rows of numbers seen before any period header
	// prefer_sheets: whether this sheet is one, the facts such sheets
	// stated, and the cells passed over for them (with those that differ)
	preferred          bool
	prefs              map[factKey]stated
	passedOver, differ []string
}

func newSheetReader(rd *reader, name string) *sheetReader {
	s := &sheetReader{
		wb: rd.wb, spec: rd.spec, opt: &rd.opt, name: name, res: rd.res, cal: rd.spec.Calendar(), annual: rd.annual, cover: rd.res.Cover != nil && rd.res.Cover.DocType != "",
		scale: rd.spec.scale, currency: rd.spec.Currency,
		preferred: rd.spec.prefersSheet(name), prefs: rd.prefs,
	}
	if s.scale == 0 {
		s.scale = 1
	}
	s.wide = wideTable{sh: s, ctx: map[int]string{}}
	return s
}

// noteTitle keeps the title of a statement as EDGAR renders it in the first
// cell of its first rows, up to the period header ("CONSOLIDATED STATEMENTS
// OF OPERATIONS (USD $)", "Segment reporting (Detail) (USD $)"): the text
// before its rendering marks, which tell such a title from a sheet that an
// analyst titled after a segment.
func (s *sheetReader) noteTitle(r extract.Row) {
	if r.Num > 2 || s.wide.hasHeader() {
		return
	}
	for _, c := range r.Cells {
		if _, k := ParseNumber(c.Raw); k != NotNumber || c.Date {
			continue
		}
		if loc := reRendering.FindStringIndex(c.Raw); loc != nil {
			if t := NormKey(c.Raw[:loc[0]]); t != "" {
				s.titles = append(s.titles, t)
			}
		}
		return
	}
}

// reRendering matches the marks EDGAR adds to a statement's title.
var reRendering = regexp.MustCompile(`(?i)\((details?|tables?|parenthetical|narrative|[a-z]{3} [^a-z0-9()][^()]*)\)`)

// isTitle reports whether a heading (as a NormKey) is the statement's title:
// EDGAR repeats it as the first heading over company-level rows, which are
// then no segment of that name.
func (s *sheetReader) isTitle(k string) bool {
	for _, t := range s.titles {
		if t == k {
			return true
		}
	}
	return false
}

// titleSays reports whether the statement's title matches re.
func (s *sheetReader) titleSays(re *regexp.Regexp) bool {
	for _, t := range s.titles {
		if re.MatchString(t) {
			return true
		}
	}
	return false
}

func (s *sheetReader) note(cell, format string, args ...any) {
	s.res.Findings = append(s.res.Findings, Finding{Sheet: s.name, Cell: cell, Message: fmt.Sprintf(format, args...)})
}

func (s *sheetReader) cellErr(row, col int, err error) error {
	return &extract.CellError{File: s.wb.name, Sheet: s.name, Cell: extract.CellName(col, row), Row: row, Col: col, Err: err}
}

// rowError hands a bad cell to Options.OnRowError: nil means skip it,
// and the cell skipped becomes a finding that names it.
func (s *sheetReader) rowError(err error) error {
	if s.opt.OnRowError == nil {
		return err
	}
	if err := s.opt.OnRowError(err); err != nil {
		return err
	}
	var ce *extract.CellError
	if errors.As(err, &ce) {
		s.note(ce.Cell, "%v; skipped", ce.Err)
	}
	return nil
}

// row reads one row: it takes the scale captions in it, then hands it to
// the layout the sheet has shown so far.
func (s *sheetReader) row(r extract.Row) error {
	if s.flushErr != nil {
		return s.flushErr
	}
	if r.Hidden && !s.spec.IncludeHidden {
		return nil
	}
	unquote(&r)
	s.noteTitle(r)
	numeric := false
	for _, c := range r.Cells {
		if c.Date {
			continue
		}
		if _, k := ParseNumber(c.Raw); k == NotNumber {
			if s.long == nil {
				// A long table states units per row, in its Unit column.
				s.caption(c.Raw, r.Num)
			}
		} else if k != Missing {
			numeric = true
		}
	}
	if s.long != nil {
		return s.long.row(r)
	}
	if s.spec.Layout != "wide" && !s.wide.hasHeader() && !numeric {
		if lc, ok := detectLong(r); ok {
			s.long = &longTable{sh: s, cols: lc}
			return nil
		}
	}
	if s.spec.Layout != "long" && s.wide.tryHeader(r) {
		return nil
	}
	if s.spec.Layout != "long" && !s.wide.hasHeader() && s.transposedRow(r, numeric) {
		return nil
	}
	if numeric && !s.wide.hasHeader() {
		s.headless.see(r)
	}
	return s.wide.row(r, numeric)
}

// cellValue is a number read from a cell, with what it measures.
type cellValue struct {
	company         string // "" for the spec's company
	currency        string // of a money value
	metric, segment string
	label           string // the row label as written
	period          Period
	v               float64 // as written in the cell
	// scale is the multiplier a long table's Unit column fixes; 0 means the
	// sheet's scale for money and 1 otherwise.
	scale    float64
	row, col int
}

// emit records a fact from the number written in a cell.
func (s *sheetReader) emit(x cellValue) {
	kind := fact.MetricUnit(x.metric)
	scale := x.scale
	if scale == 0 {
		scale = 1
		if kind == fact.Money {
			scale = s.scale
		}
	}
	if s.res.flush != nil && len(s.res.Facts) >= BatchSize {
		if err := s.res.flush(); err != nil {
			s.flushErr = err
		}
	}
	p := x.period
	f := fact.Fact{
		Company:         x.company,
		Segment:         x.segment,
		Metric:          x.metric,
		CalendarQuarter: p.CalendarQuarter(),
		FiscalYear:      p.FiscalYear,
		FiscalQuarter:   p.FiscalQuarter,
		PeriodEnd:       p.End,
		Value:           Scaled(x.v, scale),
		Unit:            kind.Unit(x.currency),
		SourceSheet:     s.name,
		SourceCell:      s.sourceCell(x.col, x.row),
		SourceScale:     scale,
		SourceLabel:     x.label,
		Breakdown:       s.breakdownOf(x.segment),
	}
	if s.overruled(&f) {
		return
	}
	s.res.Facts = append(s.res.Facts, f)
}

// sourceCell is the lineage reference "Sheet!F12", built in one allocation.
func (s *sheetReader) sourceCell(col, row int) string {
	var buf [64]byte
	b := append(append(buf[:0], s.name...), '!')
	return string(extract.AppendCellName(b, col, row))
}

// labelCell is a row label and its cell.
type labelCell struct{ cell, label string }

// maxListed is how many distinct labels a finding about unmapped rows names;
// its Cells list them all.
const maxListed = 20

// noteUnmapped notes the rows of the sheet that were not mapped, as one
// finding: a statement of a hundred lines gives one note, not a hundred.
func (s *sheetReader) noteUnmapped() {
	rows := s.unmapped
	switch len(rows) {
	case 0:
		return
	case 1:
		s.note(rows[0].cell, "row %q not mapped to a metric and segment; skipped", rows[0].label)
		return
	}
	cells := make([]string, len(rows))
	var order []string
	seen := map[string][]string{}
	for i, r := range rows {
		cells[i] = r.cell
		if _, ok := seen[r.label]; !ok {
			order = append(order, r.label)
		}
		seen[r.label] = append(seen[r.label], r.cell)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows not mapped to a metric and segment; skipped: ", len(rows))
	for i, l := range order {
		if i == maxListed {
			fmt.Fprintf(&b, ", and %d other labels", len(order)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		at := seen[l]
		if len(at) == 1 {
			fmt.Fprintf(&b, "%q (%s)", l, at[0])
		} else {
			fmt.Fprintf(&b, "%q (%s and %d more)", l, at[0], len(at)-1)
		}
	}
	s.res.Findings = append(s.res.Findings, Finding{Sheet: s.name, Cell: cells[0], Message: b.String(), Cells: cells})
}

// noteOldVintage notes a vintage date older than the data it dates: a
// workbook's modified date of 2006 (a template's, or a writer's default) on
// 2025 figures. The facts keep it (a guess at the report date would be no
// better), and the finding says how to set it. Estimates are not checked.
func (rd *reader) noteOldVintage() {
	// An analyst's model dates quarters still to come: no finding there.
	if rd.spec.SourceKind == fact.Estimate || rd.asOf.IsZero() || !rd.asOf.Before(rd.latestEnd) {
		return
	}
	from := "the workbook's modified date"
	if !rd.spec.asOf.IsZero() {
		from = "the spec's as_of"
	}
	rd.res.Findings = append(rd.res.Findings, Finding{Message: fmt.Sprintf(
		"the vintage date %s (%s) is older than the latest period it dates, %s; the facts keep it as their as_of: set as_of in the spec to the date of the report",
		rd.asOf.Format(time.DateOnly), from, rd.latestEnd.Format(time.DateOnly))})
}
