package transform

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
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
)

// Finding is a non-fatal note about what was read or skipped, with its place.
type Finding struct {
	Sheet   string
	Cell    string // A1 reference, or "" for a whole sheet
	Message string
}

func (f Finding) String() string {
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

// Result is what one workbook yields.
type Result struct {
	Facts    []fact.Fact // every fact, unless Options.Batch took them
	Count    int         // facts read
	Findings []Finding
	flush    func() error
}

// Workbook reads every wanted sheet of an open workbook with its spec and
// returns the canonical facts in sheet and row order.
func Workbook(ctx context.Context, wb *extract.Workbook, spec *Spec, opt Options) (*Result, error) {
	if opt.SourceFile == "" {
		opt.SourceFile = wb.Name
	}
	res := &Result{}
	asOf := spec.asOf
	if asOf.IsZero() && !wb.Modified.IsZero() {
		y, m, d := wb.Modified.Date()
		asOf = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	// finish completes facts with what is the same for the whole workbook.
	finish := func(facts []fact.Fact) {
		for i := range facts {
			facts[i].AsOf = asOf
			facts[i].SourceSHA256 = wb.SHA256
			facts[i].SourceFile = opt.SourceFile
			facts[i].SourceKind = spec.SourceKind
			if facts[i].Company == "" {
				facts[i].Company = spec.Company
			}
		}
	}
	if opt.Batch != nil {
		res.flush = func() error {
			finish(res.Facts)
			res.Count += len(res.Facts)
			err := opt.Batch(res.Facts)
			res.Facts = res.Facts[:0]
			return err
		}
	}
	for _, sh := range wb.Sheets {
		if !spec.wantsSheet(sh.Name, sh.Hidden) {
			continue
		}
		st := newSheetState(wb, spec, &opt, sh.Name, res)
		if err := wb.ReadSheet(ctx, sh.Name, st.row); err != nil {
			return nil, err
		}
		if st.flushErr != nil {
			return nil, st.flushErr
		}
	}
	if res.flush != nil {
		if err := res.flush(); err != nil {
			return nil, err
		}
		res.flush, res.Facts = nil, nil // Batch has them; keep no buffer alive
	} else {
		res.Count = len(res.Facts)
		if asOf.IsZero() {
			// No vintage anywhere: the latest period in the workbook, so
			// that the same file always gets the same as_of. (In batch mode
			// as_of stays empty and the load step fills in the same date.)
			for _, f := range res.Facts {
				if f.PeriodEnd.After(asOf) {
					asOf = f.PeriodEnd
				}
			}
		}
		finish(res.Facts)
	}
	if res.Count == 0 {
		return nil, &extract.CellError{File: wb.Name, Err: ErrNoFacts}
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

var (
	reScale      = regexp.MustCompile(`\b(thousands|millions|billions)\b|[$€£¥]\s?(000s?|mm?|mn|bn|b|k)\b|\b(usd|eur|gbp|chf|jpy)\s?(m|mn|bn|k)\b`)
	reShareScale = regexp.MustCompile(`shares?\s+in\s+(thousands|millions|billions)`)
	// XBRL renderings put axis and line-item captions between blocks.
	reXBRL     = regexp.MustCompile(`(?i)\[(line items?|axis|member|abstract|domain|table)\]?|\[line item`)
	reNotLevel = regexp.MustCompile(`%|growth|\bmargin\b|\bchange\b|\by/y\b|\byoy\b|\bq/q\b|\bqoq\b|\bmix\b|\bper\b|\bratio\b`)
)

// captionScale finds a scale statement such as "(in millions)", "$ in
// billions", "USD m" or "$000s" in a text cell.
func captionScale(s string) (float64, bool) {
	// EDGAR: "USD ($) shares in Thousands, $ in Millions": the share count's
	// scale is not the money's.
	s = strings.ToLower(s)
	if !strings.ContainsAny(s, "$€£¥") && !containsAny(s, "illion", "housand", "usd", "eur", "gbp", "chf", "jpy") {
		return 0, false
	}
	s = reShareScale.ReplaceAllString(s, "")
	m := reScale.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	word := m[1] + m[2] + m[4]
	switch word {
	case "thousands", "000", "000s", "k":
		return 1e3, true
	case "millions", "m", "mm", "mn":
		return 1e6, true
	case "billions", "bn", "b":
		return 1e9, true
	}
	return 0, false
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func captionCurrency(s string) string {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(s, "€") || strings.Contains(l, "eur"):
		return "EUR"
	case strings.Contains(s, "£") || strings.Contains(l, "gbp"):
		return "GBP"
	case strings.Contains(l, "chf"):
		return "CHF"
	case strings.Contains(s, "¥") || strings.Contains(l, "jpy"):
		return "JPY"
	}
	return ""
}

// Cells longer than these are never a period header, a column name or a
// scale caption; skipping them keeps sheets full of long text fast.
const (
	maxLabel   = 80
	maxCaption = 160
)

type colPeriod struct {
	p  Period
	ok bool // a quarter column whose values become facts
}

// longCols maps the roles of a long (tidy) table to columns.
type longCols struct {
	company, segment, metric, period, periodEnd, value, unit int
}

type sheetState struct {
	wb    *extract.Workbook
	spec  *Spec
	opt   *Options
	sheet string
	res   *Result
	cal   Calendar

	scale    float64
	currency string

	// wide layout
	cols      map[int]colPeriod
	firstCol  int // first period column; labels sit left of it
	ctx       map[int]string
	ctxRows   int
	section   string
	segCtx    string
	unmapped  bool   // inside a block whose heading is not a known metric or segment
	segCand   string // that heading, as a segment for metric rows right below it (EDGAR's segment blocks)
	flushErr  error  // from Options.Batch
	units     bool   // the row after a header may be a units row ("€m", "%")
	long      *longCols
	sawHeader bool
}

func newSheetState(wb *extract.Workbook, spec *Spec, opt *Options, sheet string, res *Result) *sheetState {
	st := &sheetState{
		wb: wb, spec: spec, opt: opt, sheet: sheet, res: res, cal: spec.Calendar(),
		scale: spec.scale, currency: spec.Currency, ctx: map[int]string{},
	}
	if st.scale == 0 {
		st.scale = 1
	}
	return st
}

func (st *sheetState) note(cell, format string, args ...any) {
	st.res.Findings = append(st.res.Findings, Finding{Sheet: st.sheet, Cell: cell, Message: fmt.Sprintf(format, args...)})
}

func (st *sheetState) cellErr(row, col int, err error) error {
	return &extract.CellError{File: st.wb.Name, Sheet: st.sheet, Cell: extract.CellName(col, row), Row: row, Col: col, Err: err}
}

// text is how a cell reads as a header: date cells as ISO dates.
func (st *sheetState) text(c extract.Cell) string {
	if c.Date {
		if v, err := strconv.ParseFloat(c.Raw, 64); err == nil {
			if t, ok := ExcelDate(v, st.wb.Date1904); ok {
				return t.Format("2006-01-02")
			}
		}
	}
	return c.Raw
}

func (st *sheetState) row(r extract.Row) error {
	if st.flushErr != nil {
		return st.flushErr
	}
	if r.Hidden && !st.spec.IncludeHidden {
		return nil
	}
	numeric := false
	for _, c := range r.Cells {
		if c.Date {
			continue
		}
		if _, k := ParseNumber(c.Raw); k == NotNumber {
			if st.spec.scale == 0 && len(c.Raw) <= maxCaption {
				if sc, ok := captionScale(c.Raw); ok {
					st.scale = sc
					if cur := captionCurrency(c.Raw); cur != "" {
						st.currency = cur
					}
				}
			}
		} else if k != Missing {
			numeric = true
		}
	}
	if st.long != nil {
		return st.longRow(r)
	}
	if st.spec.Layout != "wide" && st.cols == nil && !numeric {
		if lc, ok := detectLong(r); ok {
			st.long, st.sawHeader = lc, true
			return nil
		}
	}
	if st.spec.Layout != "long" && st.tryHeader(r) {
		return nil
	}
	if st.cols == nil {
		if !numeric {
			st.addContext(r)
		}
		return nil
	}
	return st.wideRow(r, numeric)
}

// addContext remembers the text of header-like rows, per column, so that a
// two-row header ("Three Months Ended" over "March 31, 2026") reads as one.
func (st *sheetState) addContext(r extract.Row) {
	if st.ctxRows >= 2 {
		st.ctx, st.ctxRows = map[int]string{}, 0
	}
	for _, c := range r.Cells {
		if len(c.Raw) > maxLabel {
			continue
		}
		if prev := st.ctx[c.Col]; prev != "" {
			st.ctx[c.Col] = prev + " " + st.text(c)
		} else {
			st.ctx[c.Col] = st.text(c)
		}
	}
	st.ctxRows++
}

// tryHeader recognises a period header row: at least two cells that read as
// periods, alone or under the context rows above them.
func (st *sheetState) tryHeader(r extract.Row) bool {
	cols := map[int]colPeriod{}
	first, misses := 0, 0
	for _, c := range r.Cells {
		if len(c.Raw) > maxLabel {
			continue
		}
		// A header's periods come in a run; a row whose first candidates
		// are not periods is data or text, and parsing the rest would make
		// large text sheets slow.
		if misses >= 3 && len(cols) == 0 {
			return false
		}
		t := st.text(c)
		_, k := ParseNumber(t)
		if k != NotNumber && !c.Date {
			// A bare year as a number counts only under a context row
			// ("Three Months Ended March 31," over 2026).
			v, _ := strconv.Atoi(t)
			if st.ctx[c.Col] == "" || v < 1900 || v > 2200 {
				continue
			}
		}
		var l Label
		ok := false
		if ctx := st.ctx[c.Col]; ctx != "" {
			l, ok = ParseLabel(ctx + " " + t)
		}
		if !ok {
			l, ok = ParseLabel(t)
		}
		if !ok {
			if strings.ContainsAny(t, "0123456789") {
				misses++
			}
			continue
		}
		p, ok := st.cal.Resolve(l)
		if !ok {
			misses++
			continue
		}
		// Growth or percentage columns repeat the periods ("Organic growth"
		// over "Q1 22/23"); they hold no levels.
		level := p.Kind == KindQuarter && !reNotLevel.MatchString(strings.ToLower(st.ctx[c.Col]))
		cols[c.Col] = colPeriod{p: p, ok: level}
		if first == 0 || c.Col < first {
			first = c.Col
		}
	}
	if len(cols) < 2 {
		return false
	}
	// The first column of a period wins; a repeat is noted and skipped.
	seen := map[time.Time]int{}
	for _, c := range r.Cells {
		cp, ok := cols[c.Col]
		if !ok || !cp.ok {
			continue
		}
		if prev, dup := seen[cp.p.End]; dup {
			cp.ok = false
			cols[c.Col] = cp
			st.note(extract.CellName(c.Col, r.Num), "period %s already in column %s; column skipped", cp.p.CalendarQuarter(), extract.ColumnName(prev))
			continue
		}
		seen[cp.p.End] = c.Col
	}
	st.cols, st.firstCol, st.sawHeader, st.units = cols, first, true, true
	st.section, st.segCtx, st.unmapped, st.segCand = "", "", false, ""
	st.ctx, st.ctxRows = map[int]string{}, 0
	// A metric named on the header row itself ("Revenue | Q1-17 | Q2-17 ...").
	for _, c := range r.Cells {
		if c.Col >= first {
			break
		}
		if m, ok := st.spec.dict.Metric(c.Raw); ok {
			st.section = m
		}
	}
	return true
}

func (st *sheetState) wideRow(r extract.Row, numeric bool) error {
	label := ""
	labelCol := 0
	for _, c := range r.Cells {
		if c.Col >= st.firstCol {
			break
		}
		if _, k := ParseNumber(c.Raw); k == NotNumber && strings.TrimSpace(c.Raw) != "" {
			label, labelCol = c.Raw, c.Col
			break
		}
	}
	hasValue := false
	for _, c := range r.Cells {
		if _, ok := st.cols[c.Col]; ok {
			if _, k := ParseNumber(c.Raw); k == Number || k == Percent {
				hasValue = true
				break
			}
		}
	}
	if !hasValue {
		if st.units && label == "" {
			st.unitsRow(r)
		}
		if !numeric {
			st.addContext(r)
		}
		if label == "" || reXBRL.MatchString(label) {
			return nil
		}
		st.ctxRows, st.units = 0, false
		k := NormKey(label)
		if m, ok := st.spec.dict.metricKey(k); ok {
			st.section, st.segCtx, st.unmapped, st.segCand = m, "", false, ""
		} else if s, ok := st.spec.dict.segmentKey(k); ok {
			st.section, st.segCtx, st.unmapped, st.segCand = "", s, false, ""
		} else {
			st.section, st.segCtx, st.unmapped, st.segCand = "", "", true, ""
			if l := cleanLabel(label); !strings.HasSuffix(strings.TrimSpace(label), ":") && l != "" {
				st.segCand = l
			}
		}
		return nil
	}
	st.ctx, st.ctxRows, st.units = map[int]string{}, 0, false
	if label == "" {
		return nil
	}
	ref := extract.CellName(labelCol, r.Num)
	metric, segment, ok := st.classify(label)
	if !ok {
		st.segCand = ""
		if st.spec.Strict {
			return st.rowError(st.cellErr(r.Num, labelCol, fmt.Errorf("%w: %q", ErrUnmappedRow, cleanLabel(label))))
		}
		st.note(ref, "row %q not mapped to a metric and segment; skipped", cleanLabel(label))
		return nil
	}
	if segment == fact.TotalSegment && st.section != "" {
		defer func() { st.section = "" }() // a total row closes its block
	}
	unit := fact.MetricUnit(metric)
	if err := st.checkFormulas(r, label); err != nil {
		return err
	}
	for _, c := range r.Cells {
		cp, isCol := st.cols[c.Col]
		if !isCol || !cp.ok {
			continue
		}
		v, k := ParseNumber(c.Raw)
		switch k {
		case Missing:
			continue
		case NotNumber:
			if err := st.rowError(st.cellErr(r.Num, c.Col, fmt.Errorf("%w: %q in row %q", ErrBadNumber, c.Raw, cleanLabel(label)))); err != nil {
				return err
			}
			continue
		case Percent:
			if unit != fact.Ratio {
				st.note(extract.CellName(c.Col, r.Num), "percentage %q in a %s row; skipped", c.Raw, metric)
				continue
			}
		}
		st.emit(metric, segment, cp.p, v, 0, r.Num, c.Col)
	}
	return nil
}

// checkFormulas reports the quarter cells of a mapped row that hold a
// formula but no value: reading them as blanks would lose a number silently.
func (st *sheetState) checkFormulas(r extract.Row, label string) error {
	have := make(map[int]bool, len(r.Cells))
	for _, c := range r.Cells {
		have[c.Col] = true
	}
	for col, cp := range st.cols {
		if !cp.ok || have[col] {
			continue
		}
		f, err := st.wb.Formula(st.sheet, col, r.Num)
		if err != nil {
			return err
		}
		if f != "" {
			if err := st.rowError(st.cellErr(r.Num, col, fmt.Errorf("%w: =%s in row %q", extract.ErrNoCachedValue, f, cleanLabel(label)))); err != nil {
				return err
			}
		}
	}
	return nil
}

// unitsRow reads the row under a period header that gives each column's
// unit: a "%" column holds no levels.
func (st *sheetState) unitsRow(r extract.Row) {
	for _, c := range r.Cells {
		cp, ok := st.cols[c.Col]
		if ok && cp.ok && strings.Contains(c.Raw, "%") {
			cp.ok = false
			st.cols[c.Col] = cp
		}
	}
}

func (st *sheetState) rowError(err error) error {
	if st.opt.OnRowError == nil {
		return err
	}
	return st.opt.OnRowError(err)
}

// classify maps a data row's label to a metric and segment using the block
// it sits in (metric-major "Net sales:" over segment rows, or segment-major
// "AWS" over metric rows).
func (st *sheetState) classify(label string) (metric, segment string, ok bool) {
	d, k := st.spec.dict, NormKey(label)
	switch {
	case st.section != "":
		if s, ok := d.segmentKey(k); ok {
			return st.section, s, true
		}
		if m, ok := d.totalOfKey(k); ok && m == st.section {
			return st.section, fact.TotalSegment, true
		}
		if m, ok := d.metricKey(k); ok {
			// The block's metric repeated ("Revenue" under "Group"), or
			// another company-level metric.
			return m, fact.TotalSegment, true
		}
		if reNotLevel.MatchString(strings.ToLower(label)) {
			return "", "", false
		}
		return st.section, cleanLabel(label), true
	case st.segCtx != "":
		if m, ok := d.metricKey(k); ok {
			return m, st.segCtx, true
		}
		if m, ok := d.totalOfKey(k); ok {
			return m, st.segCtx, true
		}
		return "", "", false
	case st.unmapped:
		// Under an unknown heading: a metric row right below it belongs to
		// the heading as a segment (EDGAR's "Americas" over "Net sales");
		// once other rows intervene, metric rows are company-level again.
		if m, ok := d.metricKey(k); ok {
			if st.segCand != "" {
				return m, st.segCand, true
			}
			return m, fact.TotalSegment, true
		}
		return "", "", false
	default:
		if m, ok := d.metricKey(k); ok {
			return m, fact.TotalSegment, true
		}
		if m, ok := d.totalOfKey(k); ok {
			return m, fact.TotalSegment, true
		}
		return "", "", false
	}
}

// emit records a fact from the number written in a cell. scale is the
// multiplier a long table's Unit column fixes; 0 means the sheet's scale for
// money and 1 otherwise.
func (st *sheetState) emit(metric, segment string, p Period, v, scale float64, row, col int) {
	kind := fact.MetricUnit(metric)
	if scale == 0 {
		scale = 1
		if kind == fact.Money {
			scale = st.scale
		}
	}
	v *= scale
	unit := kind.Unit(st.currency)
	if st.res.flush != nil && len(st.res.Facts) >= BatchSize {
		if err := st.res.flush(); err != nil {
			st.flushErr = err
		}
	}
	st.res.Facts = append(st.res.Facts, fact.Fact{
		Segment:         segment,
		Metric:          metric,
		CalendarQuarter: p.CalendarQuarter(),
		FiscalYear:      p.FiscalYear,
		FiscalQuarter:   p.FiscalQuarter,
		PeriodEnd:       p.End,
		Value:           v,
		Unit:            unit,
		SourceSheet:     st.sheet,
		SourceCell:      st.sourceCell(col, row),
		SourceScale:     scale,
	})
}

// sourceCell is the lineage reference "Sheet!F12", built in one allocation.
func (st *sheetState) sourceCell(col, row int) string {
	var buf [64]byte
	b := append(append(buf[:0], st.sheet...), '!')
	return string(extract.AppendCellName(b, col, row))
}

var longRoles = map[string]string{
	"company": "company", "ticker": "company", "issuer": "company",
	"segment": "segment", "business line": "segment", "line": "segment", "business": "segment",
	"metric": "metric", "line item": "metric", "item": "metric", "measure": "metric", "kpi": "metric", "series": "metric",
	"period": "period", "quarter": "period", "fiscal period": "period", "period label": "period", "fiscal quarter": "period",
	"period end": "period_end", "quarter end": "period_end", "date": "period_end", "period end date": "period_end", "period ending": "period_end",
	"value": "value", "amount": "value",
	"unit": "unit", "units": "unit",
}

// detectLong recognises the header of a long (tidy) table: a metric column,
// a value column and a period or period-end column.
func detectLong(r extract.Row) (*longCols, bool) {
	lc := &longCols{}
	seen := map[string]bool{}
	for _, c := range r.Cells {
		if len(c.Raw) > maxLabel || strings.ContainsAny(c.Raw, "0123456789") {
			continue
		}
		role, ok := longRoles[NormKey(c.Raw)]
		if !ok || seen[role] {
			continue
		}
		seen[role] = true
		switch role {
		case "company":
			lc.company = c.Col
		case "segment":
			lc.segment = c.Col
		case "metric":
			lc.metric = c.Col
		case "period":
			lc.period = c.Col
		case "period_end":
			lc.periodEnd = c.Col
		case "value":
			lc.value = c.Col
		case "unit":
			lc.unit = c.Col
		}
	}
	if lc.metric == 0 || lc.value == 0 || (lc.period == 0 && lc.periodEnd == 0) {
		return nil, false
	}
	return lc, true
}

func cellAt(r extract.Row, col int) (extract.Cell, bool) {
	if col == 0 {
		return extract.Cell{}, false
	}
	for _, c := range r.Cells {
		if c.Col == col {
			return c, true
		}
		if c.Col > col {
			break
		}
	}
	return extract.Cell{}, false
}

// longUnit reads a unit column: "$m", "USD millions", "MW", "years", "%".
// scale is 0 when the unit does not fix one.
func longUnit(s string) (kind fact.UnitKind, scale float64, currency string, known bool) {
	k := strings.ToLower(strings.TrimSpace(s))
	switch k {
	case "":
		return fact.Money, 0, "", false
	case "mw":
		return fact.MW, 1, "", true
	case "years", "yrs", "year", "yr":
		return fact.Years, 1, "", true
	case "%", "pct", "percent":
		return fact.Ratio, 0.01, "", true
	case "ratio", "x":
		return fact.Ratio, 1, "", true
	case "tokens":
		return fact.Tokens, 1, "", true
	}
	cur := captionCurrency(s)
	if cur == "" && (strings.Contains(k, "$") || strings.Contains(k, "usd")) {
		cur = "USD"
	}
	if sc, ok := captionScale(k); ok {
		return fact.Money, sc, cur, true
	}
	if cur != "" {
		return fact.Money, 1, cur, true
	}
	return fact.Money, 0, "", false
}

func (st *sheetState) longRow(r extract.Row) error {
	lc := st.long
	mc, ok := cellAt(r, lc.metric)
	if !ok {
		return nil
	}
	metric, ok := st.spec.dict.Metric(mc.Raw)
	if !ok {
		if st.spec.Strict {
			return st.rowError(st.cellErr(r.Num, lc.metric, fmt.Errorf("%w: metric %q", ErrUnmappedRow, mc.Raw)))
		}
		st.note(extract.CellName(lc.metric, r.Num), "metric %q not in the dictionary; row skipped", mc.Raw)
		return nil
	}
	vc, ok := cellAt(r, lc.value)
	if !ok {
		f, err := st.wb.Formula(st.sheet, lc.value, r.Num)
		if err != nil {
			return err
		}
		if f != "" {
			return st.rowError(st.cellErr(r.Num, lc.value, fmt.Errorf("%w: =%s", extract.ErrNoCachedValue, f)))
		}
		return nil
	}
	v, k := ParseNumber(vc.Raw)
	switch k {
	case Missing:
		return nil
	case NotNumber:
		return st.rowError(st.cellErr(r.Num, lc.value, fmt.Errorf("%w: %q", ErrBadNumber, vc.Raw)))
	}
	company := ""
	cal := st.cal
	if cc, ok := cellAt(r, lc.company); ok && strings.TrimSpace(cc.Raw) != "" {
		company = strings.ToUpper(strings.TrimSpace(cc.Raw))
		if !ValidTicker(company) {
			return st.rowError(st.cellErr(r.Num, lc.company, fmt.Errorf("%w: %q", ErrBadCompany, cc.Raw)))
		}
		if st.opt.Calendar != nil && company != st.spec.Company {
			if c, ok := st.opt.Calendar(company); ok {
				cal = c
			}
		}
	}
	var p Period
	placed := false
	if pc, ok := cellAt(r, lc.periodEnd); ok {
		if f, k := ParseNumber(pc.Raw); k == Number {
			if t, ok := ExcelDate(f, st.wb.Date1904); ok {
				p, placed = cal.Resolve(Label{Kind: KindQuarter, End: t})
			}
		} else if l, ok := ParseLabel(pc.Raw); ok {
			p, placed = cal.Resolve(l)
		}
		if !placed {
			return st.rowError(st.cellErr(r.Num, lc.periodEnd, fmt.Errorf("%w: %q", ErrBadDate, pc.Raw)))
		}
	} else if pc, ok := cellAt(r, lc.period); ok {
		if l, ok := ParseLabel(pc.Raw); ok {
			p, placed = cal.Resolve(l)
		}
		if !placed {
			return st.rowError(st.cellErr(r.Num, lc.period, fmt.Errorf("%w: %q is not a period", ErrBadDate, pc.Raw)))
		}
	} else {
		return nil
	}
	if p.Kind != KindQuarter {
		return nil
	}
	segment := fact.TotalSegment
	if sc, ok := cellAt(r, lc.segment); ok && strings.TrimSpace(sc.Raw) != "" {
		if s, ok := st.spec.dict.Segment(sc.Raw); ok {
			segment = s
		} else {
			segment = cleanLabel(sc.Raw)
		}
	}
	scale := 0.0
	if uc, ok := cellAt(r, lc.unit); ok {
		kind, sc, cur, known := longUnit(uc.Raw)
		if known {
			if kind != fact.MetricUnit(metric) {
				return st.rowError(st.cellErr(r.Num, lc.unit, fmt.Errorf("unit %q does not fit metric %s", uc.Raw, metric)))
			}
			scale = sc
			if k == Percent && kind == fact.Ratio {
				scale = 1 // "37%" in a % row: already a fraction
			}
			if cur != "" {
				defer func(prev string) { st.currency = prev }(st.currency)
				st.currency = cur
			}
		}
	}
	st.emit(metric, segment, p, v, scale, r.Num, lc.value)
	st.res.Facts[len(st.res.Facts)-1].Company = company
	return nil
}
