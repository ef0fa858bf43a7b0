package transform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/marginmix/marginmix/fact"
)

// The EDGAR rendering's grammar (docs/edgar.md). Every Financial_Report.xlsx
// is written by one program, the SEC's renderer, from the filing's XBRL: a
// title row ("Segment Information (Details) (USD $)") with the duration
// headers, the dates under them, and then the rows of one presentation
// table. A row without values is structure:
//
//   - "X [Axis]", "X [Table]", "X [Domain]": the table and its dimensions;
//   - "X [Line Items]", "X [Abstract]": the line items' heading, repeated
//     at the top of every member's block;
//   - "X [Member]", or a member path "X | Y": a member heading, which scopes
//     the rows under it until the next member heading or period header;
//   - in renderings that drop the suffixes, a heading directly followed by
//     a "[Line Items]" row, or by the table's first row again, is a member
//     heading too: each member's block repeats the table's rows from the
//     top ("Aerospace" over "Segment Reporting Information [Line Items]",
//     "United States" over "Revenue by Geographical Area", "Products" over
//     "Net sales").
//
// The rows before the first member heading are the table's default member:
// the company as a whole. A heading that is none of these (a caption, the
// statement's title, "Numerator", "Operations") is never a segment.

// xbrlRole is the role a row label's suffix gives it.
type xbrlRole int

const (
	rolePlain     xbrlRole = iota
	roleAxis               // [Axis]
	roleTable              // [Table]
	roleDomain             // [Domain]
	roleLineItems          // [Line Items]
	roleAbstract           // [Abstract]
	roleMember             // [Member], or a member path "X | Y"
)

var reRole = regexp.MustCompile(`(?i)\[(axis|table|domain|line items?|abstract|member)\]?\s*$|\[line item`)

// roleOf reads a label's XBRL role.
func roleOf(label string) xbrlRole {
	m := reRole.FindStringSubmatch(label)
	if m == nil {
		if strings.Contains(label, " | ") {
			return roleMember
		}
		return rolePlain
	}
	switch strings.ToLower(m[1]) {
	case "axis":
		return roleAxis
	case "table":
		return roleTable
	case "domain":
		return roleDomain
	case "abstract":
		return roleAbstract
	case "member":
		return roleMember
	}
	return roleLineItems
}

// reSaysBreakdown matches an axis (as a NormKey) that splits the company
// into segments, products and services, or places.
var reSaysBreakdown = regexp.MustCompile(`\bsegments?\b|\bproducts?\b|\bservices?\b|\bgeograph|\bregions?\b|\bcountr|\bbusiness\b|\bdivisions?\b|\bconsolidation items\b|\bdisaggregat|\bmajor customers?\b`)

// reNoBreakdown matches a member (as a NormKey) that is no part of a
// segment, product or geographic split, whatever the sheet: share classes,
// scenarios and restatements, the predecessor and successor periods of
// fresh-start or acquisition accounting, accounting changes, the legal entities of a
// consolidating statement, and the components of other comprehensive income.
var reNoBreakdown = regexp.MustCompile(`\bclass [a-z]\b|\bcommon (stock|class)\b|\bcommon shares?\b|\bpreferred\b|\bscenario\b|\bpreviously reported\b|\bsuccessor\b|\bpredecessor\b|` +
	`\brestate|\badjustments?\b|\basu \d|\baccounting standards update\b|\btopic \d|\bparent\b|\bguarantor|\bissuer\b|\bsubsidiar|` +
	`\baoci\b|\bcomprehensive\b|\breclassification|\bderivative|\bpro forma\b|\btransaction\b|\bacquisition\b|\bplan\b|\bpension\b`)

// edgarScope is the grammar's state within one table of a sheet.
type edgarScope struct {
	first    string // NormKey of the table's first row: every member's block repeats it
	prev     string // the previous row when it was a plain heading
	prevCell string // that heading's cell
	axis     string // the last "[Axis]" row, as a NormKey
	// in: a member heading has been read; member is its segment ("" while
	// skip says why its rows are not read)
	in     bool
	member string
	skip   string
	// the member being skipped: its heading's cell and the rows under it
	skipCell string
	skipped  []string
}

// edgar reports whether a sheet is an EDGAR rendering: the workbook has an
// EDGAR cover sheet, or the sheet's title carries the renderer's marks.
func (s *sheetReader) edgar() bool { return s.cover || len(s.titles) > 0 }

// edgarHeading reads a row without values under an EDGAR rendering's
// grammar. It reports whether the row was structure; a plain heading is
// left to heading, which never makes a segment of it here.
func (w *wideTable) edgarHeading(label string, cell string) bool {
	e := &w.e
	prev, prevCell := e.prev, e.prevCell
	e.prev, e.prevCell = "", ""
	k := NormKey(label)
	switch roleOf(label) {
	case roleAxis:
		w.closeMember()
		e.axis = NormKey(reRole.ReplaceAllString(label, ""))
		return true
	case roleTable, roleDomain:
		w.closeMember()
		return true
	case roleMember:
		w.openMember(label, cell)
		return true
	case roleLineItems, roleAbstract:
		if e.first == "" {
			e.first = k
		}
		if prev != "" && (roleOf(label) == roleLineItems || k == e.first) {
			w.openMember(prev, prevCell)
		}
		return true
	}
	if prev != "" && k == e.first {
		w.openMember(prev, prevCell)
		return false // the line items' heading, which may name a metric
	}
	if e.first == "" {
		e.first = k
	}
	e.prev, e.prevCell = label, cell
	return false
}

// edgarData reads a row with values under the grammar: the table's first
// row, or its repeat under a member heading ("Products" over "Net sales"),
// which opens that member's scope before the row is read.
func (w *wideTable) edgarData(label string) {
	e := &w.e
	k := NormKey(label)
	if e.first == "" {
		e.first = k
	}
	if e.prev != "" && k == e.first {
		w.openMember(e.prev, e.prevCell)
	}
	e.prev, e.prevCell = "", ""
}

// openMember opens the scope of a member heading. Its rows are the
// member's when the member is a segment, product or place: the axis or the
// sheet says the table splits the company so, and the member is none of
// the things no breakdown holds. Otherwise they are skipped, and noted
// together when the scope closes.
func (w *wideTable) openMember(label, cell string) {
	w.closeMember()
	e := &w.e
	e.in, e.member, e.skip = true, "", ""
	w.section, w.segCtx, w.unmapped, w.segCand, w.member, w.aggregate = "", "", false, "", "", ""
	name := cleanLabel(xbrlMember(label))
	k := NormKey(name)
	declared := reSaysBreakdown.MatchString(e.axis) || w.sh.declaresBreakdown()
	switch s, known := w.sh.spec.dict.segmentKey(k); {
	case known && s == fact.TotalSegment:
		e.member = fact.TotalSegment
	case aggregateKey(k):
		e.skip = fmt.Sprintf("%q, a sum of segments rather than one segment or the company", name)
	case reNoBreakdown.MatchString(k):
		e.skip = fmt.Sprintf("member %q, which is no segment, product or place", name)
	case !declared:
		e.skip = fmt.Sprintf("member %q, on a sheet that declares no segment, product or geographic breakdown", name)
	case known:
		e.member = s
	default:
		e.member = name
	}
	if e.skip != "" {
		e.skipCell = cell
	}
}

// closeMember ends a member's scope, noting the rows a skipped member held.
func (w *wideTable) closeMember() {
	e := &w.e
	if e.skip != "" && len(e.skipped) > 0 {
		w.sh.res.Findings = append(w.sh.res.Findings, Finding{Sheet: w.sh.name, Cell: e.skipCell,
			Message: fmt.Sprintf("rows under %s (%d); skipped", e.skip, len(e.skipped)),
			Cells:   append([]string{e.skipCell}, e.skipped...)})
	}
	e.in, e.member, e.skip, e.skipCell, e.skipped = false, "", "", "", nil
}

// edgarClassify maps a data row inside a member's scope: a metric row is
// the member's; any other row is no fact (a line item's component is no
// segment of the member).
func (w *wideTable) edgarClassify(label, cell string) (metric, segment string, ok bool) {
	e := &w.e
	if e.skip != "" {
		e.skipped = append(e.skipped, cell)
		return "", "", false
	}
	k := NormKey(xbrlMember(label))
	if m, ok := w.sh.spec.dict.lineMetric(k); ok {
		return m, e.member, true
	}
	if rePretax.MatchString(k) && w.sh.titleSays(reSegmentProfit) {
		return fact.OperatingIncome, e.member, true
	}
	return "", "", false
}
