package transform

import (
	"fmt"
	"strings"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
)

// longCols maps the roles of a long (tidy) table to columns; 0 is absent.
type longCols struct {
	company, segment, metric, period, periodEnd, value, unit int
}

// longTable reads the long (tidy) layout: a header row naming the roles of
// the columns, then one value a row ("AMZN | AWS | Revenue | Q1 2026 |
// 29,267 | $m").
type longTable struct {
	sh   *sheetReader
	cols longCols
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

// byRole is the field of a role of longRoles.
func (lc *longCols) byRole(role string) *int {
	return map[string]*int{
		"company": &lc.company, "segment": &lc.segment, "metric": &lc.metric, "period": &lc.period,
		"period_end": &lc.periodEnd, "value": &lc.value, "unit": &lc.unit,
	}[role]
}

// detectLong recognises the header of a long (tidy) table: a metric column,
// a value column and a period or period-end column.
func detectLong(r extract.Row) (longCols, bool) {
	var lc longCols
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
		*lc.byRole(role) = c.Col
	}
	if lc.metric == 0 || lc.value == 0 || (lc.period == 0 && lc.periodEnd == 0) {
		return longCols{}, false
	}
	return lc, true
}

// cellAt returns a row's cell in a column; column 0 has none.
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

// row reads one data row of the table. A bad cell skips the whole row when
// Options.OnRowError lets the read go on.
func (l *longTable) row(r extract.Row) error {
	s, lc := l.sh, l.cols
	mc, ok := cellAt(r, lc.metric)
	if !ok {
		return nil
	}
	metric, ok := s.spec.dict.Metric(mc.Raw)
	if !ok {
		if s.spec.Strict {
			return s.rowError(s.cellErr(r.Num, lc.metric, fmt.Errorf("%w: metric %q", ErrUnmappedRow, clip(mc.Raw))))
		}
		s.note(extract.CellName(lc.metric, r.Num), "metric %q not in the dictionary; row skipped", clip(mc.Raw))
		return nil
	}
	vc, ok := cellAt(r, lc.value)
	if !ok {
		f, err := s.wb.formulas.Formula(s.name, lc.value, r.Num)
		if err != nil {
			return err
		}
		if f != "" {
			return s.rowError(s.cellErr(r.Num, lc.value, fmt.Errorf("%w: =%s", extract.ErrNoCachedValue, f)))
		}
		return nil
	}
	v, k := ParseNumber(vc.Raw)
	switch k {
	case Missing:
		return nil
	case NotNumber:
		return s.rowError(s.cellErr(r.Num, lc.value, fmt.Errorf("%w: %q", ErrBadNumber, clip(vc.Raw))))
	case Percent:
		if fact.MetricUnit(metric) != fact.Ratio {
			s.note(extract.CellName(lc.value, r.Num), "percentage %q in a %s row; skipped", clip(vc.Raw), metric)
			return nil
		}
	}
	if why := doubtOf(mc.Raw).why(v); why != "" {
		s.note(extract.CellName(lc.value, r.Num), "%s %q in row %q; skipped", why, clip(vc.Raw), cleanLabel(mc.Raw))
		return nil
	}
	company, cal, err := l.company(r)
	if err != nil {
		return s.rowError(err)
	}
	p, ok, err := l.period(r, cal)
	if err != nil {
		return s.rowError(err)
	}
	if !ok || p.Kind != KindQuarter {
		return nil
	}
	x := cellValue{
		company: company, currency: s.currency, metric: metric, segment: l.segment(r), label: mc.Raw,
		period: p, v: v, row: r.Num, col: lc.value,
	}
	known, err := l.unit(r, k, &x)
	if err != nil {
		return s.rowError(err)
	}
	if !known {
		uc, _ := cellAt(r, lc.unit)
		s.note(extract.CellName(lc.unit, r.Num), "unit %q not recognised; row skipped", clip(uc.Raw))
		return nil
	}
	s.emit(x)
	return nil
}

// company reads a row's Company cell: "" for the spec's company, with the
// calendar of the company the row names.
func (l *longTable) company(r extract.Row) (string, Calendar, error) {
	s := l.sh
	cc, ok := cellAt(r, l.cols.company)
	if !ok || strings.TrimSpace(cc.Raw) == "" {
		return "", s.cal, nil
	}
	company := strings.ToUpper(strings.TrimSpace(cc.Raw))
	if !ValidTicker(company) {
		return "", s.cal, s.cellErr(r.Num, l.cols.company, fmt.Errorf("%w: %q", ErrBadCompany, clip(cc.Raw)))
	}
	if s.opt.Calendar != nil && company != s.spec.Company {
		if c, ok := s.opt.Calendar(company); ok {
			return company, c, nil
		}
	}
	return company, s.cal, nil
}

// period reads a row's period from its period-end cell, else its period
// cell; ok is false when the row has neither.
func (l *longTable) period(r extract.Row, cal Calendar) (p Period, ok bool, err error) {
	s, placed := l.sh, false
	if pc, ok := cellAt(r, l.cols.periodEnd); ok {
		if f, k := ParseNumber(pc.Raw); k == Number {
			if t, ok := ExcelDate(f, s.wb.date1904); ok {
				p, placed = cal.Resolve(Label{Kind: KindQuarter, End: t})
			}
		} else if lb, ok := ParseLabel(pc.Raw); ok {
			p, placed = cal.Resolve(lb)
		}
		if !placed {
			return p, false, s.cellErr(r.Num, l.cols.periodEnd, fmt.Errorf("%w: %q", ErrBadDate, clip(pc.Raw)))
		}
		return p, true, nil
	}
	if pc, ok := cellAt(r, l.cols.period); ok {
		if lb, ok := ParseLabel(pc.Raw); ok {
			p, placed = cal.Resolve(lb)
		}
		if !placed {
			return p, false, s.cellErr(r.Num, l.cols.period, fmt.Errorf("%w: %q is not a period", ErrBadDate, clip(pc.Raw)))
		}
		return p, true, nil
	}
	return p, false, nil
}

// segment reads a row's segment: Total when its Segment cell is empty.
func (l *longTable) segment(r extract.Row) string {
	sc, ok := cellAt(r, l.cols.segment)
	if !ok || strings.TrimSpace(sc.Raw) == "" {
		return fact.TotalSegment
	}
	if seg, ok := l.sh.spec.dict.Segment(sc.Raw); ok {
		return seg
	}
	return cleanLabel(sc.Raw)
}

// unit applies a row's Unit cell to its value: the scale and currency it
// fixes. An empty or missing Unit cell leaves the sheet's scale and
// currency; a unit it does not know is reported (known false), since the
// value's scale would be a guess; a unit of another kind than the metric's
// is an error.
func (l *longTable) unit(r extract.Row, k NumKind, x *cellValue) (known bool, err error) {
	uc, ok := cellAt(r, l.cols.unit)
	if !ok || strings.TrimSpace(uc.Raw) == "" {
		return true, nil
	}
	kind, sc, cur, known := longUnit(uc.Raw)
	if !known {
		return false, nil
	}
	if kind != fact.MetricUnit(x.metric) {
		return true, l.sh.cellErr(r.Num, l.cols.unit, fmt.Errorf("%w: %q for %s", ErrUnitMismatch, clip(uc.Raw), x.metric))
	}
	x.scale = sc
	if k == Percent && kind == fact.Ratio {
		x.scale = 1 // "37%" in a % row: already a fraction
	}
	if cur != "" {
		x.currency = cur
	}
	return true, nil
}
