package transform

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/marginmix/marginmix/extract"
)

// The fiscal year's end month, from the cover's "--MM-DD", or (where the
// rendering computed it: "--01-31" shows as -30) from the period end and
// the fiscal period the filing closes.
func TestCoverFiscalYearEnd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		vals   map[string]string
		want   time.Month
		annual bool
	}{
		{"month-day", map[string]string{"fye": "--06-30", "type": "10-Q", "end": "Sep. 30,\n\t\t2021", "period": "Q1"}, time.June, false},
		{"52/53 weeks", map[string]string{"fye": "--01-02", "type": "10-K"}, time.December, true},
		{"computed, 10-K serial end", map[string]string{"fye": "-30", "type": "10-K", "end": "42035", "period": "FY"}, time.January, true},
		{"computed, 10-K end in first week", map[string]string{"fye": "-26", "type": "10-K", "end": "Jan. 3, 2015"}, time.December, true},
		{"Q2 10-Q", map[string]string{"type": "10-Q", "end": "Jul.  01,  2023", "period": "Q2"}, time.December, false},
		{"Q1 10-Q, June year", map[string]string{"type": "10-Q", "end": "Sep. 30, 2021", "period": "Q1"}, time.June, false},
		{"Q3 10-Q, March year", map[string]string{"type": "10-Q", "end": "Dec. 31, 2021", "period": "Q3"}, time.March, false},
		{"no period end", map[string]string{"type": "10-Q", "period": "Q2"}, 0, false},
		{"Q4 is not told", map[string]string{"type": "10-Q", "end": "Dec. 31, 2021", "period": "Q4"}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cover{}
			c.fill(tc.vals, false)
			if c.FYEnd != tc.want || c.Annual() != tc.annual {
				t.Errorf("FYEnd %v, annual %v; want %v, %v", c.FYEnd, c.Annual(), tc.want, tc.annual)
			}
		})
	}
}

func TestCoverFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []extract.Row
		want Cover
	}{{
		name: "rendering",
		in: rows(
			"Cover Page - USD ($) $ in Millions|12 Months Ended",
			"Document Type|10-K",
			"Entity Registrant Name|\u00a0|Dean Foods Co",
			"Trading Symbol|dfodq",
			"Trading Symbol|OTHER",
			"Document Period End Date|Dec. 31,\n\t\t2019",
			"Document Fiscal Period Focus|FY",
		),
		want: Cover{Registrant: "Dean Foods Co", Symbol: "DFODQ", DocType: "10-K", FiscalPeriod: "FY",
			PeriodEnd: time.Date(2019, 12, 31, 0, 0, 0, 0, time.UTC), FYEnd: time.December,
			cells: map[string]string{"type": "B2", "registrant": "C3", "symbol": "B4", "end": "B6", "period": "B7"}},
	}, {
		// Excel's text-entry apostrophe in every value, and a lone one in
		// the empty cells: the same cover without them.
		name: "quote prefix",
		in: rows(
			"Document and Entity Information (USD $)|3 Months Ended",
			"Document Type|'10-Q|'|'",
			"Entity Registrant Name|'|'GENERAL DYNAMICS CORPORATION",
			"Trading Symbol|'gd|'",
			"Document Period End Date|Mar. 30, 2014",
			"Document Fiscal Period Focus|'Q1",
		),
		want: Cover{Registrant: "GENERAL DYNAMICS CORPORATION", Symbol: "GD", DocType: "10-Q", FiscalPeriod: "Q1",
			PeriodEnd: time.Date(2014, 3, 30, 0, 0, 0, 0, time.UTC), FYEnd: time.December,
			cells: map[string]string{"type": "B2", "registrant": "C3", "symbol": "B4", "end": "B5", "period": "B6"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cover{cells: map[string]string{}}
			vals := map[string]string{}
			for _, r := range tc.in {
				c.field(r, vals)
			}
			c.fill(vals, false)
			if !reflect.DeepEqual(*c, tc.want) {
				t.Errorf("cover\ngot  %+v\nwant %+v", *c, tc.want)
			}
		})
	}
}

// A spec may leave the company and the fiscal year end to the cover; what
// it does say wins, and a disagreement is a finding.
func TestApplyCover(t *testing.T) {
	spec := func(y string) *Spec {
		s, err := ParseSpecBytes("s.yaml", []byte("files: ['*']\n"+y))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cover := &Cover{Sheet: "Cover", Registrant: "INTEL CORPORATION", Symbol: "INTC", FYEnd: time.December,
		cells: map[string]string{"symbol": "B24", "fye": "B11"}}

	eff, notes, err := applyCover(spec(""), cover, "b.xlsx")
	if err != nil || eff.Company != "INTC" || eff.fye != time.December || notes != nil {
		t.Errorf("files only: %v %v %v %v", eff, eff.fye, notes, err)
	}
	eff, notes, err = applyCover(spec("company: intel\nfiscal_year_end: June\n"), cover, "b.xlsx")
	wantNotes := []Finding{
		{Sheet: "Cover", Cell: "B24", Message: "the cover gives trading symbol INTC; the spec's company INTEL is used"},
		{Sheet: "Cover", Cell: "B11", Message: "the cover's fiscal year ends in December; the spec's June is used"},
	}
	if err != nil || eff.Company != "INTEL" || eff.fye != time.June || !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("spec wins: %v %v %q %v", eff.Company, eff.fye, notes, err)
	}

	_, _, err = applyCover(spec(""), &Cover{Sheet: "Document and Entity Information", Registrant: "CARMAX INC"}, "k.xlsx")
	var ce *extract.CellError
	if !errors.As(err, &ce) || !errors.Is(err, ErrNoCompany) || err.Error() !=
		`k.xlsx: sheet "Document and Entity Information": no company: the spec names none and no EDGAR cover sheet gives a trading symbol; add company: to the spec (registrant "CARMAX INC")` {
		t.Errorf("no symbol: %v", err)
	}
	_, _, err = applyCover(spec(""), nil, "m.xlsx")
	if !errors.Is(err, ErrNoCompany) || err.Error() != "m.xlsx: no company: the spec names none and no EDGAR cover sheet gives a trading symbol; add company: to the spec" {
		t.Errorf("no cover: %v", err)
	}
}
