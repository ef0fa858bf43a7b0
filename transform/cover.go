package transform

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/marginmix/marginmix/extract"
)

// ErrNoCompany: the spec names no company and the workbook has no EDGAR
// cover sheet that gives a trading symbol.
var ErrNoCompany = errors.New("no company: the spec names none and no EDGAR cover sheet gives a trading symbol; add company: to the spec")

// Cover is what an EDGAR workbook's cover sheet ("Document and Entity
// Information", "Cover Page") says of the filing.
type Cover struct {
	Sheet        string
	Registrant   string     // Entity Registrant Name
	Symbol       string     // Trading Symbol, upper case; "" when not given
	DocType      string     // Document Type: 10-Q, 10-K, 20-F, ...
	PeriodEnd    time.Time  // Document Period End Date
	FiscalPeriod string     // Document Fiscal Period Focus: Q1..Q4, FY
	FYEnd        time.Month // the fiscal year's last month; 0 when it cannot be told
	cells        map[string]string
}

// Annual reports whether the filing is an annual report, whose bare date
// columns are years.
func (c *Cover) Annual() bool {
	t := strings.ToUpper(c.DocType)
	return strings.HasPrefix(t, "10-K") || strings.HasPrefix(t, "20-F") || strings.HasPrefix(t, "40-F")
}

// coverFields are the cover's rows marginmix reads, by NormKey of the label.
var coverFields = map[string]string{
	"entity registrant name": "registrant", "trading symbol": "symbol", "trading symbol s": "symbol",
	"document type": "type", "document period end date": "end", "document fiscal period focus": "period",
	"current fiscal year end date": "fye",
}

// isCoverSheet reports whether a sheet's name is an EDGAR cover sheet's
// (names are cut at 31 characters, with "_" for spaces in older filings).
func isCoverSheet(name string) bool {
	k := strings.ToLower(strings.ReplaceAll(name, "_", " "))
	return strings.HasPrefix(k, "document and entity info") || k == "cover page" || k == "cover"
}

// readCover reads a workbook's first cover sheet, wherever it is (EDGAR
// puts it first; a workbook saved again by someone may have moved it);
// nil when there is none.
func readCover(ctx context.Context, wb *extract.Workbook) (*Cover, error) {
	for _, sh := range wb.Sheets {
		if !isCoverSheet(sh.Name) {
			continue
		}
		c := &Cover{Sheet: sh.Name, cells: map[string]string{}}
		vals := map[string]string{}
		err := wb.ReadSheet(ctx, sh.Name, func(r extract.Row) error {
			if r.Num > 120 {
				return errStopCover
			}
			c.field(r, vals)
			return nil
		})
		if err != nil && !errors.Is(err, errStopCover) {
			return nil, err
		}
		c.fill(vals, wb.Date1904)
		return c, nil
	}
	return nil, nil
}

var errStopCover = errors.New("cover read")

// field keeps a row's value when its label is a cover field, the first time.
func (c *Cover) field(r extract.Row, vals map[string]string) {
	unquote(&r)
	if len(r.Cells) < 2 || r.Cells[0].Col != 1 {
		return
	}
	f, ok := coverFields[NormKey(r.Cells[0].Raw)]
	if !ok || vals[f] != "" {
		return
	}
	for _, cell := range r.Cells[1:] {
		if v := strings.TrimSpace(strings.ReplaceAll(cell.Raw, "\u00a0", " ")); v != "" {
			vals[f], c.cells[f] = v, extract.CellName(cell.Col, r.Num)
			return
		}
	}
}

// fill sets the cover's fields from the values read.
func (c *Cover) fill(vals map[string]string, date1904 bool) {
	c.Registrant, c.DocType, c.FiscalPeriod = vals["registrant"], vals["type"], strings.ToUpper(vals["period"])
	if s := strings.ToUpper(vals["symbol"]); ValidTicker(s) {
		c.Symbol = s
	}
	c.PeriodEnd = coverDate(vals["end"], date1904)
	c.FYEnd = c.fiscalYearEnd(vals["fye"])
}

// coverDate reads the period end: a date serial or text ("Jun. 30,\n 2018").
func coverDate(s string, date1904 bool) time.Time {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		t, _ := ExcelDate(f, date1904)
		return t
	}
	if l, ok := ParseLabel(strings.Join(strings.Fields(s), " ")); ok && !l.End.IsZero() {
		return l.End
	}
	return time.Time{}
}

var reMonthDay = regexp.MustCompile(`^--(\d{2})-(\d{2})$`)

// fiscalYearEnd is the month the fiscal year ends in: from the cover's
// "--MM-DD"; else (older renderings show it computed, "--01-31" as -30)
// from the period end and the fiscal period it closes. A year that ends in
// the first week of a month (52/53 weeks) ends in the month before.
func (c *Cover) fiscalYearEnd(fye string) time.Month {
	if m := reMonthDay.FindStringSubmatch(fye); m != nil {
		month, _ := strconv.Atoi(m[1])
		day, _ := strconv.Atoi(m[2])
		if month >= 1 && month <= 12 {
			return closingMonth(time.Date(2001, time.Month(month), day, 0, 0, 0, 0, time.UTC))
		}
	}
	if c.PeriodEnd.IsZero() {
		return 0
	}
	end := closingMonth(c.PeriodEnd)
	switch p := c.FiscalPeriod; {
	case p == "FY" || (p == "" && c.Annual()):
		return end
	case len(p) == 2 && p[0] == 'Q' && p[1] >= '1' && p[1] <= '3':
		return time.Month((int(end)-1+3*int('4'-p[1]))%12 + 1)
	}
	return 0
}

// closingMonth is the month a period ending on t closes: the month before
// when t falls in a month's first weekSlack days (52/53-week years).
func closingMonth(t time.Time) time.Month {
	if t.Day() <= weekSlack {
		return t.AddDate(0, 0, -t.Day()).Month()
	}
	return t.Month()
}

// applyCover completes a spec that leaves the company or the fiscal year
// end to the cover sheet, and notes where the spec and the cover disagree.
func applyCover(spec *Spec, c *Cover, wbName string) (*Spec, []Finding, error) {
	if c == nil {
		if spec.Company == "" {
			return nil, nil, &extract.CellError{File: wbName, Err: ErrNoCompany}
		}
		return spec, nil, nil
	}
	eff := *spec
	var notes []Finding
	note := func(field, format string, args ...any) {
		notes = append(notes, Finding{Sheet: c.Sheet, Cell: c.cells[field], Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case spec.Company == "" && c.Symbol == "":
		err := fmt.Errorf("%w (registrant %q)", ErrNoCompany, c.Registrant)
		return nil, nil, &extract.CellError{File: wbName, Sheet: c.Sheet, Err: err}
	case spec.Company == "":
		eff.Company = c.Symbol
	case c.Symbol != "" && c.Symbol != spec.Company:
		note("symbol", "the cover gives trading symbol %s; the spec's company %s is used", c.Symbol, spec.Company)
	}
	switch {
	case c.FYEnd == 0:
	case !spec.fyeSet:
		eff.fye = c.FYEnd
	case c.FYEnd != spec.fye:
		note("fye", "the cover's fiscal year ends in %s; the spec's %s is used", c.FYEnd, spec.fye)
	}
	return &eff, notes, nil
}
