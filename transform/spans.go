package transform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/marginmix/marginmix/extract"
)

// spanHeader is a period header whose periods are all longer than a
// quarter: half years, nine months, years.
type spanHeader struct {
	Sheet, Cell string
	What        string   // "half years", "nine-month periods", ...
	Labels      []string // the header's period cells, as written
}

// NoQuartersError: a workbook whose tables are of periods longer than a
// quarter, which marginmix does not split into quarters. It is an
// ErrNoFacts.
type NoQuartersError struct {
	What   string
	Labels []string
}

func (e *NoQuartersError) Error() string {
	labels := e.Labels
	more := ""
	if len(labels) > 4 {
		labels, more = labels[:4], fmt.Sprintf(" and %d more", len(e.Labels)-4)
	}
	return fmt.Sprintf("no quarterly facts: the workbook holds %s (%s%s), which marginmix does not split into quarters",
		e.What, strings.Join(labels, ", "), more)
}

func (e *NoQuartersError) Is(target error) bool { return target == ErrNoFacts }

// noteSpans remembers a header of the workbook whose periods are all
// longer than a quarter: the first, unless a later one is of half years or
// other year-to-date spans where the first was of years. A header with any
// quarter column is not one, nor one of bare numbers under no caption that
// names their span (a row of values under a caption can read as years).
func (w *wideTable) noteSpans(r extract.Row, cols map[int]colPeriod, first int) {
	if old := w.sh.res.spans; old != nil && old.What != "years" {
		return
	}
	var labels, texts []string
	kinds := map[Kind]bool{}
	bare := true
	for _, c := range r.Cells {
		cp, ok := cols[c.Col]
		if !ok {
			continue
		}
		if cp.ok || cp.p.Kind == KindQuarter {
			return
		}
		kinds[cp.p.Kind] = true
		t := w.text(c)
		bare = bare && strings.Trim(t, "0123456789 ") == "" && !saysSpan(w.ctx[c.Col])
		labels = append(labels, clip(reSpaces.ReplaceAllString(strings.TrimSpace(t), " ")))
		texts = append(texts, w.ctx[c.Col]+" "+t)
	}
	what := spanWord(kinds, strings.Join(texts, " | "))
	if bare || (w.sh.res.spans != nil && what == "years") {
		return
	}
	w.sh.res.spans = &spanHeader{Sheet: w.sh.name, Cell: extract.CellName(first, r.Num), What: what, Labels: labels}
}

var (
	reHalfWords = regexp.MustCompile(`\b(h[12]|[12]h|half[ -]years?|first half|second half|(six|6) months|6m)\b`)
	reNineWords = regexp.MustCompile(`\b((nine|9) months|9m)\b`)
)

// spanWord names the periods of a header: its kinds, and for year-to-date
// columns what the text says (or the months a "January–June" range spans).
func spanWord(kinds map[Kind]bool, text string) string {
	t := reDashes.Replace(strings.ToLower(text))
	switch {
	case len(kinds) == 1 && kinds[KindAnnual]:
		return "years"
	case len(kinds) == 1 && kinds[KindTTM]:
		return "trailing twelve months"
	case reHalfWords.MatchString(t):
		return "half years"
	case reNineWords.MatchString(t):
		return "nine-month periods"
	}
	if m := reMonRange.FindStringSubmatch(t); m != nil {
		switch monthsSpanned(m[1], m[2]) {
		case 6:
			return "half years"
		case 9:
			return "nine-month periods"
		}
	}
	return "periods longer than a quarter"
}

// saysSpan: a caption names a span ("Nine Months Ended", "Half year").
func saysSpan(caption string) bool { return spanKind(strings.ToLower(caption)) != KindUnknown }
