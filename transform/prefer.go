package transform

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
)

// A spec's prefer_sheets: the sheets it names are read first, and a fact
// they state is taken from them only. The same fact on another sheet of the
// workbook is passed over and noted, with its value where it differs.

// factKey is what makes two cells of a workbook the same fact.
type factKey struct{ company, segment, metric, quarter string }

// stated is a fact read on a preferred sheet: its value and cell.
type stated struct {
	value float64
	scale float64
	cell  string // Sheet!A1
}

// preferredFirst orders the sheets: those prefer_sheets names, in workbook
// order, then the others.
func preferredFirst(sheets []extract.SheetInfo, spec *Spec) []extract.SheetInfo {
	if len(spec.PreferSheets) == 0 {
		return sheets
	}
	out := make([]extract.SheetInfo, 0, len(sheets))
	for _, pass := range []bool{true, false} {
		for _, sh := range sheets {
			if spec.prefersSheet(sh.Name) == pass {
				out = append(out, sh)
			}
		}
	}
	return out
}

// overruled reports whether a preferred sheet states f already; a fact of a
// preferred sheet is recorded for the sheets read after it.
func (s *sheetReader) overruled(f *fact.Fact) bool {
	if len(s.spec.PreferSheets) == 0 {
		return false
	}
	company := f.Company
	if company == "" {
		company = s.spec.Company
	}
	k := factKey{company, f.Segment, f.Metric, f.CalendarQuarter}
	if s.preferred {
		if _, ok := s.prefs[k]; !ok {
			s.prefs[k] = stated{f.Value, f.SourceScale, f.SourceCell}
		}
		return false
	}
	p, ok := s.prefs[k]
	if !ok {
		return false
	}
	cell := f.SourceCell[strings.LastIndexByte(f.SourceCell, '!')+1:]
	s.passedOver = append(s.passedOver, cell)
	if !agree(p.value, p.scale, f.Value, f.SourceScale) {
		s.differ = append(s.differ, fmt.Sprintf("%s states %s where %s states %s", cell, plain(f.Value), p.cell, plain(p.value)))
	}
	return true
}

// agree reports whether two values are the same within the coarser of the
// precisions they were written in (as disputes.sql compares them).
func agree(a, sa, b, sb float64) bool {
	coarse := max(sa, sb, 1)
	d := a/coarse - b/coarse
	return d < 0.5 && d > -0.5
}

// plain writes a value as data_quality does: whole, digits grouped by
// thousands ("-1,234,000"); a fraction keeps its decimals.
func plain(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	sign, digits, frac := "", s, ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	if i := strings.IndexByte(digits, '.'); i >= 0 {
		digits, frac = digits[:i], digits[i:]
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + frac
}

// notePassedOver notes, once a sheet, the values passed over for a
// preferred sheet's.
func (s *sheetReader) notePassedOver() {
	if len(s.passedOver) == 0 {
		return
	}
	msg := fmt.Sprintf("%d values also stated on a sheet prefer_sheets names; passed over", len(s.passedOver))
	if len(s.differ) > 0 {
		msg += fmt.Sprintf(", %d of them different: %s", len(s.differ), strings.Join(s.differ, "; "))
	}
	s.res.Findings = append(s.res.Findings, Finding{Sheet: s.name, Cell: s.passedOver[0], Message: msg, Cells: s.passedOver})
}
