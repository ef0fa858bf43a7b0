package transform

import (
	"strings"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
)

// transposedTable reads a table whose periods run down a column ("Q1-16",
// "Q2-16", ... in column A) under a row of column headers that name metrics
// ("Capital expenditures"): each header's column holds one value a period.
// Its values are the company's. A table whose headers name no metric is a
// finding, once: it was seen and not read.
type transposedTable struct {
	sh       *sheetReader
	labelCol int            // the column of the periods
	metrics  map[int]string // column -> metric
	headers  map[int]string // column -> its header as written
}

// newTransposed reads the column headers of a table whose first period row
// is r, from head, the last text row above it.
func newTransposed(s *sheetReader, head extract.Row, r extract.Row, labelCol int) *transposedTable {
	t := &transposedTable{sh: s, labelCol: labelCol, metrics: map[int]string{}, headers: map[int]string{}}
	for _, c := range head.Cells {
		if c.Col <= labelCol || len(c.Raw) > maxLabel {
			continue
		}
		if m, ok := s.spec.dict.Metric(xbrlMember(c.Raw)); ok {
			t.metrics[c.Col], t.headers[c.Col] = m, c.Raw
		}
	}
	if len(t.metrics) == 0 {
		where := extract.CellName(labelCol, r.Num)
		if head.Num > 0 {
			s.note(where, "periods run down column %s from here, but no column header in row %d names a metric; table not read", extract.ColumnName(labelCol), head.Num)
		} else {
			s.note(where, "periods run down column %s from here, with no row of column headers above; table not read", extract.ColumnName(labelCol))
		}
	}
	return t
}

// row reads one row of the table: the quarter its label names, and a value
// in each metric's column. Rows of other periods (a fiscal year's total)
// and rows without a period are passed over.
func (t *transposedTable) row(r extract.Row, label string) {
	if len(t.metrics) == 0 {
		return
	}
	p, ok := t.sh.period(label)
	if !ok || p.Kind != KindQuarter {
		return
	}
	for _, c := range r.Cells {
		m, ok := t.metrics[c.Col]
		if !ok {
			continue
		}
		v, k := ParseNumber(c.Raw)
		switch {
		case k == Missing:
			continue
		case k == NotNumber || (k == Percent && fact.MetricUnit(m) != fact.Ratio):
			t.sh.note(extract.CellName(c.Col, r.Num), "%q is not a %s value; skipped", clip(c.Raw), m)
			continue
		}
		if why := doubtOf(t.headers[c.Col]).why(v); why != "" {
			t.sh.note(extract.CellName(c.Col, r.Num), "%s %q under %q; skipped", why, clip(c.Raw), cleanLabel(t.headers[c.Col]))
			continue
		}
		t.sh.emit(cellValue{
			currency: t.sh.currency, metric: m, segment: fact.TotalSegment, label: t.headers[c.Col],
			period: p, v: v, row: r.Num, col: c.Col,
		})
	}
}

// period reads a cell's text as a period of the sheet's company, if it
// names one.
func (s *sheetReader) period(label string) (Period, bool) {
	if len(label) > maxLabel || !strings.ContainsAny(label, "0123456789") {
		return Period{}, false
	}
	l, ok := ParseLabel(label)
	if !ok {
		return Period{}, false
	}
	return s.cal.Resolve(l)
}

// transposedRow hands a row to the transposed table, starting one at the
// first row whose label names a period and that holds a number. It reports
// whether the row was the table's.
func (s *sheetReader) transposedRow(r extract.Row, numeric bool) bool {
	label, col := firstText(r)
	if s.trans == nil {
		if !numeric || label == "" {
			if !numeric && len(r.Cells) > 0 {
				s.lastText = r
			}
			return false
		}
		if _, ok := s.period(label); !ok {
			return false
		}
		s.trans = newTransposed(s, s.lastText, r, col)
	}
	if col != s.trans.labelCol {
		return false
	}
	s.trans.row(r, label)
	return true
}

// firstText is a row's first text cell and its column.
func firstText(r extract.Row) (string, int) {
	for _, c := range r.Cells {
		if c.Date {
			continue
		}
		if _, k := ParseNumber(c.Raw); k == NotNumber && strings.TrimSpace(c.Raw) != "" {
			return c.Raw, c.Col
		}
	}
	return "", 0
}
