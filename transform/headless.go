package transform

import (
	"github.com/marginmix/marginmix/extract"
)

// headless counts the labelled rows of numbers a sheet holds before any
// period header: a table whose header could not be read. A sheet that never
// shows a header (nor a long or transposed table) but has such rows is a
// finding: its numbers were seen and not read.
type headless struct {
	rows  int
	first string // the first such row's first number, as A1
}

// minHeadless is how many labelled rows of numbers make a table: a lone
// figure in a note's text is none.
const minHeadless = 3

func (h *headless) see(r extract.Row) {
	label := false
	for _, c := range r.Cells {
		_, k := ParseNumber(c.Raw)
		switch {
		case k == NotNumber && !c.Date:
			label = true
		case label && (k == Number || k == Percent):
			h.rows++
			if h.first == "" {
				h.first = extract.CellName(c.Col, r.Num)
			}
			return
		}
	}
}

// noteHeadless notes a table of numbers that no period header named.
func (s *sheetReader) noteHeadless() {
	if s.headless.rows < minHeadless || s.wide.hasHeader() || s.long != nil || s.trans != nil {
		return
	}
	s.note(s.headless.first, "%d rows of numbers, but no row above them reads as a period header (such as \"Q1 2026\" or \"3 Months Ended\" over \"Mar. 31, 2026\"); table not read", s.headless.rows)
}
