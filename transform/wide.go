package transform

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
)

var (
	// XBRL renderings put axis and line-item captions between blocks.
	reXBRL     = regexp.MustCompile(`(?i)\[(line items?|axis|member|abstract|domain|table)\]?|\[line item`)
	reNotLevel = regexp.MustCompile(`%|growth|\bmargin\b|\bchange\b|\by/y\b|\byoy\b|\bq/q\b|\bqoq\b|\bmix\b|\bper\b|\bratio\b`)
)

type colPeriod struct {
	p  Period
	ok bool // a quarter column whose values become facts
	// date: the header gave only a date, no quarter or year label and no
	// span ("Feb. 28, 2015"), so the span is a guess a header above can fix
	date bool
}

// wideTable reads the wide layout: a period header row ("Q1 2026 | Q2
// 2026"), then rows of a label and one value per period column, in
// metric-major blocks ("Net sales:" over segment rows) or segment-major
// ones ("AWS" over metric rows).
type wideTable struct {
	sh *sheetReader

	cols     map[int]colPeriod // nil until a period header
	order    []int             // the keys of cols, in column order
	firstCol int               // first period column; labels sit left of it

	// Header-like rows above a period header, per column ("Three Months
	// Ended" over "March 31, 2026").
	ctx     map[int]string
	ctxRows int

	// The block a data row sits in.
	section  string // metric of a metric-major block
	segCtx   string // segment of a segment-major block
	unmapped bool   // inside a block whose heading is not a known metric or segment
	segCand  string // that heading, as a segment for metric rows right below it (EDGAR's segment blocks)
	// member is the segment of a metric block that sits right under an
	// unknown heading: EDGAR writes an axis member ("Sales of goods") over
	// the line items it repeats for that member ("Revenue:" / "Revenues").
	member   string
	heading1 bool // the last row was a heading
	// aggregate is a heading that names the sum of several segments
	// ("Operating segments", "Segment reconciling items"): its rows are
	// neither one segment nor the company.
	aggregate string

	e edgarScope // the EDGAR rendering's member scopes (edgar.go)
	// perShare: the rows sit under a heading of per-share or share-count
	// lines ("Basic and diluted earnings per share:")
	perShare bool
	// netPlain: the table has a plain net income line, so a "Net income
	// attributable to <the registrant>" line below it is not read again
	netPlain bool

	units bool // the row after a header may be a units row ("€m", "%")
	fresh bool // the last row was a period header
}

func (w *wideTable) hasHeader() bool { return w.cols != nil }

// inheritKinds: a header row right below another one (EDGAR repeats the
// dates under an axis caption) says the same periods again, without the
// "12 Months Ended" above them; a column of a bare date keeps what the first
// header made of it, so that a year is not read as a quarter. A column that
// says its span ("Q4 FY2025" under "FY2025") is taken as it says.
func (w *wideTable) inheritKinds(cols map[int]colPeriod) {
	for col, cp := range cols {
		old, ok := w.cols[col]
		if !ok || !cp.date || !old.p.End.Equal(cp.p.End) {
			continue
		}
		if old.p.Kind != KindQuarter {
			cp.p.Kind = old.p.Kind
		}
		cp.ok = cp.ok && old.ok
		cols[col] = cp
	}
}

// text is how a cell reads as a header: date cells as ISO dates.
func (w *wideTable) text(c extract.Cell) string {
	if c.Date {
		if v, err := strconv.ParseFloat(c.Raw, 64); err == nil {
			if t, ok := ExcelDate(v, w.sh.wb.date1904); ok {
				return t.Format("2006-01-02")
			}
		}
	}
	return c.Raw
}

// addContext remembers the text of header-like rows, per column, so that a
// two-row header ("Three Months Ended" over "March 31, 2026") reads as one.
func (w *wideTable) addContext(r extract.Row) {
	if w.ctxRows >= 2 {
		w.ctx, w.ctxRows = map[int]string{}, 0
	}
	for _, c := range r.Cells {
		if len(c.Raw) > maxLabel {
			continue
		}
		if prev := w.ctx[c.Col]; prev != "" {
			w.ctx[c.Col] = prev + " " + w.text(c)
		} else {
			w.ctx[c.Col] = w.text(c)
		}
	}
	w.ctxRows++
}

// tryHeader recognises a period header row: at least two cells that read as
// periods, alone or under the context rows above them.
func (w *wideTable) tryHeader(r extract.Row) bool {
	cols, first := w.headerCols(r)
	if len(cols) < 2 {
		return false
	}
	if w.fresh && mergedOnly(r, cols) {
		// The lower row of header cells merged across two rows (B2:C3
		// under "3 Months Ended"): the header above, not a new one of
		// bare dates.
		return true
	}
	w.skipRepeats(r, cols)
	if w.fresh {
		w.inheritKinds(cols)
	}
	w.noteSpans(r, cols, first)
	order := make([]int, 0, len(cols))
	for _, c := range r.Cells {
		if _, ok := cols[c.Col]; ok {
			order = append(order, c.Col)
		}
	}
	w.cols, w.order, w.firstCol, w.units, w.fresh = cols, order, first, true, true
	w.section, w.segCtx, w.unmapped, w.segCand, w.member, w.aggregate = "", "", false, "", "", ""
	w.ctx, w.ctxRows = map[int]string{}, 0
	w.closeMember()
	w.e, w.netPlain, w.perShare = edgarScope{}, false, false
	// A metric named on the header row itself ("Revenue | Q1-17 | Q2-17 ...").
	for _, c := range r.Cells {
		if c.Col >= first {
			break
		}
		if m, ok := w.sh.spec.dict.Metric(c.Raw); ok {
			w.section = m
		}
	}
	return true
}

// headerCols reads the cells of a candidate header row as periods, and
// returns them with the first period column; nil when the row is not one.
func (w *wideTable) headerCols(r extract.Row) (map[int]colPeriod, int) {
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
			return nil, 0
		}
		t := w.text(c)
		_, k := ParseNumber(t)
		if k != NotNumber && !c.Date {
			// A bare year as a number counts only under a context row
			// ("Three Months Ended March 31," over 2026).
			v, _ := strconv.Atoi(t)
			if w.ctx[c.Col] == "" || v < 1900 || v > 2200 {
				continue
			}
		}
		var l Label
		ok := false
		if ctx := w.ctx[c.Col]; ctx != "" {
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
		p, ok := w.sh.cal.Resolve(l)
		if !ok {
			misses++
			continue
		}
		// Growth or percentage columns repeat the periods ("Organic growth"
		// over "Q1 22/23"); they hold no levels.
		level := p.Kind == KindQuarter && !notLevel(w.ctx[c.Col])
		date := l.Quarter == 0 && l.Year == 0 && w.ctx[c.Col] == "" && !l.Span
		if date && w.sh.annual {
			// An annual report's bare date is a year's end or an instant,
			// never a quarter the header does not name.
			p.Kind, level = KindAnnual, false
		}
		cols[c.Col] = colPeriod{p: p, ok: level, date: date}
		if first == 0 || c.Col < first {
			first = c.Col
		}
	}
	return cols, first
}

// mergedOnly reports whether every period cell of a row is a copy of a
// merged range that starts above it.
func mergedOnly(r extract.Row, cols map[int]colPeriod) bool {
	for _, c := range r.Cells {
		if _, ok := cols[c.Col]; ok && !c.Merged {
			return false
		}
	}
	return true
}

// skipRepeats keeps the first column of each quarter: a repeat is noted
// and its values are not read.
func (w *wideTable) skipRepeats(r extract.Row, cols map[int]colPeriod) {
	seen := map[time.Time]int{}
	for _, c := range r.Cells {
		cp, ok := cols[c.Col]
		if !ok || !cp.ok {
			continue
		}
		if prev, dup := seen[cp.p.End]; dup {
			cp.ok = false
			cols[c.Col] = cp
			w.sh.note(extract.CellName(c.Col, r.Num), "period %s already in column %s; column skipped", cp.p.CalendarQuarter(), extract.ColumnName(prev))
			continue
		}
		seen[cp.p.End] = c.Col
	}
}

// row reads a row that is not a period header. Before the first header, a
// text row is context for one.
func (w *wideTable) row(r extract.Row, numeric bool) error {
	w.fresh = false
	if w.cols == nil {
		if !numeric {
			w.addContext(r)
		}
		return nil
	}
	label, labelCol := w.label(r)
	if !w.hasValue(r) {
		if w.units && label == "" {
			w.unitsRow(r)
		}
		if !numeric {
			w.addContext(r)
		}
		if label == "" {
			return nil
		}
		structure := w.sh.edgar() && w.edgarHeading(label, extract.CellName(labelCol, r.Num))
		if !structure && !reXBRL.MatchString(label) {
			w.heading(label)
		}
		return nil
	}
	w.ctx, w.ctxRows, w.units, w.heading1 = map[int]string{}, 0, false, false
	if label == "" {
		w.e.prev = ""
		return nil
	}
	if w.sh.edgar() {
		w.edgarData(label)
	}
	var metric, segment string
	var ok bool
	switch {
	case perShare(label) || w.perShare:
		// a per-share or share-count line: no amount, whatever it names
	case w.netPlain && netAttributable(NormKey(label)):
		// the plain net income line came first: this one is after
		// non-controlling interests
	case w.e.in:
		if metric, segment, ok = w.edgarClassify(label, extract.CellName(labelCol, r.Num)); !ok && w.e.skip != "" {
			return nil // noted with its member when the scope closes
		}
	default:
		metric, segment, ok = w.classify(label)
	}
	if ok && metric == fact.NetIncome && !netAttributable(NormKey(label)) {
		w.netPlain = true
	}
	if !ok {
		w.segCand = ""
		if w.aggregate != "" {
			w.sh.note(extract.CellName(labelCol, r.Num), "row %q under %q, a sum of segments rather than one segment or the company; skipped", cleanLabel(label), w.aggregate)
			return nil
		}
		if w.sh.spec.Strict {
			return w.sh.rowError(w.sh.cellErr(r.Num, labelCol, fmt.Errorf("%w: %q", ErrUnmappedRow, cleanLabel(label))))
		}
		w.sh.unmapped = append(w.sh.unmapped, labelCell{extract.CellName(labelCol, r.Num), cleanLabel(label)})
		return nil
	}
	if segment == fact.TotalSegment && w.section != "" {
		defer func() { w.section = "" }() // a total row closes its block
	}
	if err := w.checkFormulas(r, label); err != nil {
		return err
	}
	return w.values(r, label, metric, segment)
}

// label finds a row's label: its first text cell left of the periods.
func (w *wideTable) label(r extract.Row) (label string, col int) {
	for _, c := range r.Cells {
		if c.Col >= w.firstCol {
			break
		}
		if _, k := ParseNumber(c.Raw); k == NotNumber && strings.TrimSpace(c.Raw) != "" {
			return c.Raw, c.Col
		}
	}
	return "", 0
}

// hasValue reports whether a row has a number in a period column.
func (w *wideTable) hasValue(r extract.Row) bool {
	for _, c := range r.Cells {
		if _, ok := w.cols[c.Col]; ok {
			if _, k := ParseNumber(c.Raw); k == Number || k == Percent {
				return true
			}
		}
	}
	return false
}

// heading opens the block a labelled row without values heads.
func (w *wideTable) heading(label string) {
	w.ctxRows, w.units = 0, false
	w.perShare = perShare(label)
	label = xbrlMember(label)
	k := NormKey(label)
	after := w.heading1 && w.unmapped
	w.heading1, w.member, w.aggregate = true, "", ""
	if aggregateKey(k) {
		w.section, w.segCtx, w.unmapped, w.segCand = "", "", true, ""
		w.aggregate = cleanLabel(label)
	} else if m, ok := w.sh.spec.dict.metricKey(k); ok {
		if after {
			w.member = w.segCand
		}
		w.section, w.segCtx, w.unmapped, w.segCand = m, "", false, ""
	} else if s, ok := w.sh.spec.dict.segmentKey(k); ok {
		w.section, w.segCtx, w.unmapped, w.segCand = "", s, false, ""
	} else {
		w.section, w.segCtx, w.unmapped, w.segCand = "", "", true, ""
		// In an EDGAR rendering only a member heading names a segment
		// (edgar.go); elsewhere a heading over metric rows may.
		if l := cleanLabel(label); !strings.HasSuffix(strings.TrimSpace(label), ":") && l != "" && !w.sh.isTitle(k) && !w.sh.edgar() && !w.sh.companyStatement() {
			w.segCand = l
		}
	}
}

// values emits the quarter cells of a mapped row.
func (w *wideTable) values(r extract.Row, label, metric, segment string) error {
	unit, doubt := fact.MetricUnit(metric), doubtOf(label)
	for _, c := range r.Cells {
		cp, isCol := w.cols[c.Col]
		if !isCol || !cp.ok {
			continue
		}
		v, k := ParseNumber(c.Raw)
		switch k {
		case Missing:
			continue
		case NotNumber:
			if err := w.sh.rowError(w.sh.cellErr(r.Num, c.Col, fmt.Errorf("%w: %q in row %q", ErrBadNumber, clip(c.Raw), cleanLabel(label)))); err != nil {
				return err
			}
			continue
		case Percent:
			if unit != fact.Ratio {
				w.sh.note(extract.CellName(c.Col, r.Num), "percentage %q in a %s row; skipped", clip(c.Raw), metric)
				continue
			}
		}
		if why := doubt.why(v); why != "" {
			w.sh.note(extract.CellName(c.Col, r.Num), "%s %q in row %q; skipped", why, clip(c.Raw), cleanLabel(label))
			continue
		}
		w.sh.emit(cellValue{
			currency: w.sh.currency, metric: metric, segment: segment, label: label, period: cp.p, v: v,
			row: r.Num, col: c.Col,
		})
	}
	return nil
}

// checkFormulas reports, in column order, the quarter cells of a mapped row
// that hold a formula but no value: reading them as blanks would lose a
// number silently.
func (w *wideTable) checkFormulas(r extract.Row, label string) error {
	have := make(map[int]bool, len(r.Cells))
	for _, c := range r.Cells {
		have[c.Col] = true
	}
	for _, col := range w.order {
		if !w.cols[col].ok || have[col] {
			continue
		}
		f, err := w.sh.wb.formulas.Formula(w.sh.name, col, r.Num)
		if err != nil {
			return err
		}
		if f != "" {
			if err := w.sh.rowError(w.sh.cellErr(r.Num, col, fmt.Errorf("%w: =%s in row %q", extract.ErrNoCachedValue, f, cleanLabel(label)))); err != nil {
				return err
			}
		}
	}
	return nil
}

// unitsRow reads the row under a period header that gives each column's
// unit: a "%" column holds no levels.
func (w *wideTable) unitsRow(r extract.Row) {
	for _, c := range r.Cells {
		cp, ok := w.cols[c.Col]
		if ok && cp.ok && strings.Contains(c.Raw, "%") {
			cp.ok = false
			w.cols[c.Col] = cp
		}
	}
}

// classify maps a data row's label to a metric and segment using the block
// it sits in (metric-major "Net sales:" over segment rows, or segment-major
// "AWS" over metric rows).
func (w *wideTable) classify(label string) (metric, segment string, ok bool) {
	label = xbrlMember(label)
	d, k := w.sh.spec.dict, NormKey(label)
	switch {
	case w.section != "":
		if s, ok := d.segmentKey(k); ok {
			return w.section, s, true
		}
		total := fact.TotalSegment
		if w.member != "" {
			total = w.member // the member's own line ("Revenues" under "Sales of goods")
		}
		if m, ok := d.totalOfKey(k); ok && m == w.section {
			return w.section, total, true
		}
		if m, ok := d.metricKey(k); ok {
			// The block's metric repeated ("Revenue" under "Group"), or
			// another company-level metric.
			return m, total, true
		}
		if notLevel(label) || w.sh.edgar() && !w.sh.splits(w.section) {
			// In an EDGAR rendering, the rows under a metric's heading are
			// its components (line items), not segments, unless the sheet
			// is a breakdown.
			return "", "", false
		}
		return w.section, cleanLabel(label), true
	case w.segCtx != "":
		if m, ok := d.lineMetric(k); ok {
			return m, w.segCtx, true
		}
		return "", "", false
	case w.unmapped:
		// Under an unknown heading: a metric row right below it belongs to
		// the heading as a segment (EDGAR's "Americas" over "Net sales");
		// once other rows intervene, metric rows are company-level again.
		if w.aggregate != "" {
			return "", "", false
		}
		if m, ok := d.metricKey(k); ok {
			if w.segCand != "" {
				return m, w.segCand, true
			}
			return m, fact.TotalSegment, true
		}
		if w.segCand != "" && rePretax.MatchString(k) && w.sh.titleSays(reSegmentProfit) {
			return fact.OperatingIncome, w.segCand, true
		}
		return "", "", false
	default:
		if m, ok := d.lineMetric(k); ok {
			return m, fact.TotalSegment, true
		}
		return "", "", false
	}
}
