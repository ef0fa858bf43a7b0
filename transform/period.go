package transform

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind says what span of time a column header covers.
type Kind int

const (
	KindUnknown Kind = iota
	KindQuarter
	KindAnnual
	KindYTD // six or nine months, half years, year to date
	KindTTM // trailing twelve months
	// KindOther: a span of another number of months, "1 Months Ended" or
	// "11 Months Ended" (a stub period around an acquisition or a change of
	// fiscal year), "82 Months Ended" (a development-stage company's
	// inception to date)
	KindOther
)

func (k Kind) String() string {
	return [...]string{"unknown", "quarter", "annual", "ytd", "ttm", "other"}[k]
}

// Label is what a period header says before the company's calendar is
// applied: either an end date, or a year with an optional quarter.
type Label struct {
	Kind    Kind
	End     time.Time // explicit end date (the month's last day when only a month is given)
	Year    int       // with Quarter, or alone for an annual label
	Quarter int       // 1..4, 0 when not given
	Fiscal  bool      // the label says FY / fiscal
	Cal     bool      // the label says CY / calendar
	Span    bool      // the label names its span ("Three Months Ended", "YTD")
}

var (
	reDashes = strings.NewReplacer("–", "-", "—", "-", "−", "-", "‐", "-", "‑", "-", "’", "'", "‘", "'", "\u00a0", " ")
	reSpaces = regexp.MustCompile(`\s+`)
	reFoot   = regexp.MustCompile(`\s*(\(\d{1,2}\)|\([a-z]\)|[*†‡¹²³⁴⁵⁶⁷⁸⁹⁰]+)$`)

	reQSplit   = regexp.MustCompile(`\b(?:q([1-4])|([1-4])q)\s*(?:fy)?\s*'?(\d{4}|\d{2})\s*/\s*(\d{4}|\d{2})\b`)
	reHSplit   = regexp.MustCompile(`\b(?:h([12])|([12])h)\s*(?:fy)?\s*'?(\d{4}|\d{2})\s*/\s*(\d{4}|\d{2})\b`)
	reMonRange = regexp.MustCompile(`\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*(?:-|to|through)\s*(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s*'?(\d{4}|\d{2})\b`)
	reQYear    = regexp.MustCompile(`\bq([1-4])\s*['-]?\s*(fy|cy)?\s*['-]?\s*(\d{4}|\d{2})\b`)
	reNQYear   = regexp.MustCompile(`\b([1-4])q\s*['-]?\s*(fy|cy)?\s*'?(\d{4}|\d{2})\b`)
	reFYQ      = regexp.MustCompile(`\b(fy|cy)\s*'?(\d{4}|\d{2})\s*[-/ ]?\s*q([1-4])\b`)
	reYearQ    = regexp.MustCompile(`\b(\d{4})\s*[-/ ]?\s*q([1-4])\b`)
	reQFiscal  = regexp.MustCompile(`\bq([1-4]) (?:of )?(fiscal|calendar) (?:year )?(\d{4}|\d{2})\b`)
	reWordQ    = regexp.MustCompile(`\b(first|second|third|fourth|1st|2nd|3rd|4th) quarter (?:of )?(?:(fiscal|calendar) )?(?:year )?(\d{4}|\d{2})\b`)
	reISO      = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	reUS       = regexp.MustCompile(`\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b`)
	reMonDY    = regexp.MustCompile(`\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? (\d{1,2}),? (\d{4})\b`)
	reDMonY    = regexp.MustCompile(`\b(\d{1,2}) (jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,? (\d{4})\b`)
	reMonY     = regexp.MustCompile(`\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:\s*[-'/]\s*'?(\d{4}|\d{2})|\s+'(\d{2})|\s+(\d{4}))\b`)
	reFYOnly   = regexp.MustCompile(`\b(fy|cy)\s*'?(\d{4}|\d{2})[ae]?\b`)
	reFiscalY  = regexp.MustCompile(`\b(fiscal|calendar)(?: year)? (\d{4})\b`)
	reYearOnly = regexp.MustCompile(`^(\d{4})[ae]?$`)
	reHalf     = regexp.MustCompile(`\b(?:([12])h|h([12]))\s*(fy|cy)?\s*'?(\d{4}|\d{2})\b`)
	reMonths   = regexp.MustCompile(`\b([69])m\s*(fy|cy)?\s*'?(\d{4}|\d{2})\b`)
	// reMonthCount: a span given as a number of months ("3 Months Ended");
	// any number but 3, 6, 9 and 12 is another span (KindOther).
	reMonthCount = regexp.MustCompile(`\b(\d{1,3}) months?\b`)
	kindWords    = []struct {
		re   *regexp.Regexp
		kind Kind
	}{
		{regexp.MustCompile(`\b(ttm|ltm|trailing (twelve|12)|last (twelve|12) months)\b`), KindTTM},
		{regexp.MustCompile(`\b(ytd|year[ -]to[ -]date|(six|nine|6|9) months|half[ -]year|first half|second half)\b`), KindYTD},
		{regexp.MustCompile(`\b(one|two|four|five|seven|eight|ten|eleven) months?\b`), KindOther},
		{regexp.MustCompile(`\b((three|3) months|quarter end(ed|ing)|qtr)\b`), KindQuarter},
		{regexp.MustCompile(`\b((twelve|12) months|years? end(ed|ing)|full[ -]year|annual)\b`), KindAnnual},
	}
	monthNum = map[string]time.Month{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
		"sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
	}
	ordinal = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
)

// spanKind is the span the words of a label name ("Nine Months Ended" a
// year to date, "TTM" trailing twelve months), KindUnknown without such
// words. s is normLabel's.
func spanKind(s string) Kind {
	if m := reMonthCount.FindStringSubmatch(s); m != nil {
		switch m[1] {
		case "3", "6", "9", "12": // the words below say which
		default:
			return KindOther
		}
	}
	for _, k := range kindWords {
		if k.re.MatchString(s) {
			return k.kind
		}
	}
	return KindUnknown
}

// monthsSpanned is how many months a range of months covers, its ends
// included ("jan" to "jun": 6), across a year's end too.
func monthsSpanned(from, to string) int {
	return (int(monthNum[to])-int(monthNum[from])+12)%12 + 1
}

// reQuarterNote is a quarter label with a two-digit year and a footnote
// digit glued to it ("Q3-951" is Q3-95, note 1): no year has three digits.
var reQuarterNote = regexp.MustCompile(`^(q[1-4]\s*['-]\s*\d{2})\d$`)

// normLabel lowercases a header and folds dashes, quotes, spaces and
// footnote markers so the patterns above see one spelling.
func normLabel(s string) string {
	s = strings.ToLower(replaceDashes(s))
	s = strings.TrimSpace(reSpaces.ReplaceAllString(s, " "))
	s = reQuarterNote.ReplaceAllString(s, "$1")
	for {
		t := strings.TrimSpace(reFoot.ReplaceAllString(s, ""))
		if t == s {
			return s
		}
		s = t
	}
}

func year(s string) int {
	y, _ := strconv.Atoi(s)
	if len(s) == 2 {
		if y < 70 {
			return 2000 + y
		}
		return 1900 + y
	}
	return y
}

func monthEnd(y int, m time.Month) time.Time {
	return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
}

func date(y int, m time.Month, d int) (time.Time, bool) {
	if y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return t, t.Day() == d && t.Month() == m
}

// parseLabel reads a period header: quarter labels (Q1 2026, 1Q26, Q1'26,
// Q1-26, Q3 FY26, FY26 Q3, FY2026 Q3, 3QFY26, 2026Q1), dates (Mar-26,
// Mar 2026, March 31, 2026, Mar. 31, 2026, 3/31/2026, 2026-03-31), annual
// labels (FY25, Fiscal Year 2025, 2025), and the words that make a date a
// quarter, a year to date, a year or a trailing twelve months ("Three Months
// Ended", "Nine Months Ended", "Year Ended", "TTM"). ok is false when s holds
// no period.
func parseLabel(s string) (Label, bool) {
	if !strings.ContainsAny(s, "0123456789") {
		return Label{}, false
	}
	s = normLabel(s)
	kw := spanKind(s)
	l, ok := parseCore(s)
	if !ok {
		return Label{}, false
	}
	if kw != KindUnknown {
		if l.Kind == KindAnnual && l.Quarter == 0 && l.End.IsZero() && kw != KindAnnual {
			return Label{}, false // "nine months ... 2025" without a date: not placeable
		}
		l.Kind, l.Span = kw, true
	}
	return l, true
}

func parseCore(s string) (Label, bool) {
	q := func(qs, fy, ys string) (Label, bool) {
		n, _ := strconv.Atoi(qs)
		return Label{Kind: KindQuarter, Year: year(ys), Quarter: n, Fiscal: fy == "fy" || fy == "fiscal", Cal: fy == "cy" || fy == "calendar"}, true
	}
	// Split fiscal years: "Q1 21/22" is the first quarter of the year ending in 2022.
	if m := reQSplit.FindStringSubmatch(s); m != nil {
		return q(m[1]+m[2], "fy", m[4])
	}
	if m := reHSplit.FindStringSubmatch(s); m != nil {
		qn := 2
		if m[1] == "2" || m[2] == "2" {
			qn = 4
		}
		return Label{Kind: KindYTD, Year: year(m[4]), Quarter: qn, Fiscal: true}, true
	}
	if m := reQFiscal.FindStringSubmatch(s); m != nil {
		return q(m[1], m[2], m[3])
	}
	if m := reWordQ.FindStringSubmatch(s); m != nil {
		return q(strconv.Itoa(ordinal[m[1]]), m[2], m[3])
	}
	if m := reFYQ.FindStringSubmatch(s); m != nil {
		return q(m[3], m[1], m[2])
	}
	if m := reQYear.FindStringSubmatch(s); m != nil {
		return q(m[1], m[2], m[3])
	}
	if m := reNQYear.FindStringSubmatch(s); m != nil {
		return q(m[1], m[2], m[3])
	}
	if m := reYearQ.FindStringSubmatch(s); m != nil {
		return q(m[2], "", m[1])
	}
	if m := reHalf.FindStringSubmatch(s); m != nil {
		q := 2
		if m[1] == "2" || m[2] == "2" {
			q = 4
		}
		return Label{Kind: KindYTD, Year: year(m[4]), Quarter: q, Fiscal: m[3] == "fy", Cal: m[3] == "cy"}, true
	}
	if m := reMonths.FindStringSubmatch(s); m != nil {
		q := 2
		if m[1] == "9" {
			q = 3
		}
		return Label{Kind: KindYTD, Year: year(m[3]), Quarter: q, Fiscal: m[2] == "fy", Cal: m[2] == "cy"}, true
	}
	dateLabel := func(t time.Time, ok bool) (Label, bool) {
		if !ok {
			return Label{}, false
		}
		return Label{Kind: KindQuarter, End: t}, true
	}
	if m := reISO.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		return dateLabel(date(year(m[1]), time.Month(mo), d))
	}
	if m := reUS.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[1])
		d, _ := strconv.Atoi(m[2])
		return dateLabel(date(year(m[3]), time.Month(mo), d))
	}
	if m := reMonDY.FindStringSubmatch(s); m != nil {
		d, _ := strconv.Atoi(m[2])
		return dateLabel(date(year(m[3]), monthNum[m[1]], d))
	}
	if m := reDMonY.FindStringSubmatch(s); m != nil {
		d, _ := strconv.Atoi(m[1])
		return dateLabel(date(year(m[3]), monthNum[m[2]], d))
	}
	// A span of months ("January–June 2023"): a quarter only if it is three months.
	if m := reMonRange.FindStringSubmatch(s); m != nil {
		y := year(m[3])
		if y < 1900 || y > 2200 {
			return Label{}, false
		}
		kind := KindYTD
		switch monthsSpanned(m[1], m[2]) {
		case 3:
			kind = KindQuarter
		case 12:
			kind = KindAnnual
		}
		return Label{Kind: kind, End: monthEnd(y, monthNum[m[2]])}, true
	}
	if m := reMonY.FindStringSubmatch(s); m != nil {
		y := year(m[2] + m[3] + m[4])
		if y < 1900 || y > 2200 {
			return Label{}, false
		}
		return Label{Kind: KindQuarter, End: monthEnd(y, monthNum[m[1]])}, true
	}
	if m := reFYOnly.FindStringSubmatch(s); m != nil {
		return Label{Kind: KindAnnual, Year: year(m[2]), Fiscal: m[1] == "fy", Cal: m[1] == "cy"}, true
	}
	if m := reFiscalY.FindStringSubmatch(s); m != nil {
		return Label{Kind: KindAnnual, Year: year(m[2]), Fiscal: m[1] == "fiscal", Cal: m[1] == "calendar"}, true
	}
	if m := reYearOnly.FindStringSubmatch(s); m != nil {
		if y := year(m[1]); y >= 1900 && y <= 2200 {
			return Label{Kind: KindAnnual, Year: y}, true
		}
	}
	return Label{}, false
}

// Calendar is a company's fiscal calendar.
type Calendar struct {
	FYEndMonth time.Month // month in which the fiscal year ends (12 for calendar years)
	// CalendarLabels: quarter labels that do not say FY ("Q1 2026", "1Q26")
	// name calendar quarters. When false (the default) they name fiscal
	// quarters, as companies' own reports do.
	CalendarLabels bool
	// NamedByMost: a fiscal year is named for the calendar year that holds
	// most of its months, not the one it ends in. It differs for years
	// ending January to May: the year ending 31 January 2015 is fiscal 2014.
	NamedByMost bool
}

// nameShift is what the fiscal year's name adds to the year it ends in: -1
// for a year named for most of its months that ends January to May.
func (c Calendar) nameShift(fye time.Month) int {
	if c.NamedByMost && fye <= time.May {
		return -1
	}
	return 0
}

// Period is a resolved quarter (or other span) of one company.
type Period struct {
	Kind          Kind
	End           time.Time
	FiscalYear    int
	FiscalQuarter int
}

// weekSlack is how many days after a quarter's month end a quarter of a
// 52/53-week year may end: such years end on the same weekday each year,
// so their quarters end up to a week after the month (1 July, 3 January).
const weekSlack = 7

// quarterMonth is the year and month a period ending on d closes, for
// quarters that end with a month every three months from endMonth (3 for
// calendar quarters, the fiscal year's last month for fiscal ones): the
// month of d, or the month before when d is at most weekSlack days into a
// month that follows such a quarter end.
func quarterMonth(d time.Time, endMonth time.Month) (int, time.Month) {
	y, m := d.Year(), d.Month()
	prev := m - 1
	if prev == 0 {
		prev = 12
	}
	if d.Day() <= weekSlack && (int(prev)-int(endMonth)+12)%3 == 0 {
		if m == time.January {
			y--
		}
		return y, prev
	}
	return y, m
}

// CalendarQuarter is the calendar quarter containing End, e.g. "2026Q1";
// an End up to a week after a calendar quarter's end (1 July, 3 January:
// 52/53-week years) belongs to the quarter just ended.
func (p Period) CalendarQuarter() string {
	y, m := quarterMonth(p.End, time.March)
	var buf [24]byte
	b := strconv.AppendInt(buf[:0], int64(y), 10)
	return string(append(b, 'Q', byte('0'+(int(m)-1)/3+1)))
}

// Resolve places a label on the company's calendar.
func (c Calendar) Resolve(l Label) (Period, bool) {
	fye := c.FYEndMonth
	if fye < 1 || fye > 12 {
		fye = 12
	}
	end := l.End
	if end.IsZero() {
		if l.Year < 1900 || l.Year > 2200 {
			return Period{}, false
		}
		q := l.Quarter
		if q == 0 {
			q = 4
		}
		if l.Cal || (!l.Fiscal && c.CalendarLabels) {
			end = monthEnd(l.Year, time.Month(3*q))
		} else {
			idx := (l.Year-c.nameShift(fye))*12 + int(fye) - 1 - 3*(4-q)
			end = monthEnd(idx/12, time.Month(idx%12+1))
		}
	}
	fy, fq := c.Fiscal(end)
	return Period{Kind: l.Kind, End: end, FiscalYear: fy, FiscalQuarter: fq}, true
}

// Fiscal returns the fiscal year and quarter that a period ending on d
// closes. A date up to a week after a fiscal quarter's month end closes that
// quarter (52/53-week years: a year ending 3 January 2015 is fiscal 2014).
// The year is the one the fiscal year ends in, or with NamedByMost the one
// holding most of its months.
func (c Calendar) Fiscal(d time.Time) (year, quarter int) {
	fye := int(c.FYEndMonth)
	if fye < 1 || fye > 12 {
		fye = 12
	}
	year, month := quarterMonth(d, time.Month(fye))
	m := int(month)
	if m > fye {
		year++
	}
	quarter = ((m-fye-1+24)%12)/3 + 1
	return year + c.nameShift(time.Month(fye)), quarter
}
