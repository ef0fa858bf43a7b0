package transform

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
)

// rows writes a sheet compactly: one string a row, from row 1, cells split
// by "|" from column A, empty cells left out. A row "" is an empty row; a
// row starting "hidden:" is hidden; a cell starting "date:" is a date
// serial shown as a date; "¦" stands for a "|" inside a cell.
func rows(lines ...string) []extract.Row {
	var out []extract.Row
	for i, line := range lines {
		r := extract.Row{Num: i + 1}
		if s, ok := strings.CutPrefix(line, "hidden:"); ok {
			r.Hidden, line = true, s
		}
		for j, v := range strings.Split(line, "|") {
			if v == "" {
				continue
			}
			c := extract.Cell{Col: j + 1, Raw: strings.ReplaceAll(v, "¦", "|")}
			if s, ok := strings.CutPrefix(v, "date:"); ok {
				c.Raw, c.Date = s, true
			}
			r.Cells = append(r.Cells, c)
		}
		if len(r.Cells) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// got is a fact as the table compares it: every field but those the same
// for every fact of the workbook, which readTests checks separately.
type got struct {
	Company, Segment, Metric string
	Quarter                  string // calendar quarter
	Fiscal                   string // fiscal year and quarter, FY2026Q3
	End                      string // period end
	Value                    float64
	Unit                     string
	Cell                     string // source cell, without the sheet
	Scale                    float64
}

func project(facts []fact.Fact) []got {
	var out []got
	for _, f := range facts {
		out = append(out, got{
			Company: f.Company, Segment: f.Segment, Metric: f.Metric, Quarter: f.CalendarQuarter,
			Fiscal: fmt.Sprintf("FY%dQ%d", f.FiscalYear, f.FiscalQuarter), End: f.PeriodEnd.Format("2006-01-02"),
			Value: f.Value, Unit: f.Unit, Cell: strings.TrimPrefix(f.SourceCell, "Sheet1!"), Scale: f.SourceScale,
		})
	}
	return out
}

const baseSpec = "company: ACME\nfiles: ['*']\n"

var readTests = []struct {
	Name  string
	Spec  string // YAML added to baseSpec
	Skip  bool   // Options.OnRowError skips every bad cell
	Opt   Options
	Input []extract.Row
	// Formulas are the formulas of cells without a value, by A1 name.
	Formulas map[string]string

	Want         []got
	WantFindings []string
	WantSkipped  []string // errors passed to OnRowError, as text
	WantErr      *extract.CellError
	WantErrText  string
}{{
	Name: "MetricMajor",
	Input: rows(
		"(in millions)",
		"|Q1 2026|Q2 2026",
		"Net sales:",
		"AWS|100|110",
		"North America|200|210",
		"Total net sales|300|320",
		"Operating income (loss):",
		"AWS|10|11",
		"Total operating income|30|32",
	),
	Want: []got{
		{"ACME", "AWS", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100e6, "USD", "B4", 1e6},
		{"ACME", "AWS", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 110e6, "USD", "C4", 1e6},
		{"ACME", "North America", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 200e6, "USD", "B5", 1e6},
		{"ACME", "North America", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 210e6, "USD", "C5", 1e6},
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 300e6, "USD", "B6", 1e6},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 320e6, "USD", "C6", 1e6},
		{"ACME", "AWS", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 10e6, "USD", "B8", 1e6},
		{"ACME", "AWS", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", 11e6, "USD", "C8", 1e6},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 30e6, "USD", "B9", 1e6},
		{"ACME", "Total", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", 32e6, "USD", "C9", 1e6},
	},
}, {
	Name: "SegmentMajor",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"AWS",
		"Net sales|100|110",
		"Operating income|10|11",
		"North America",
		"Revenue|200|",
	),
	Want: []got{
		{"ACME", "AWS", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B3", 1},
		{"ACME", "AWS", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 110, "USD", "C3", 1},
		{"ACME", "AWS", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 10, "USD", "B4", 1},
		{"ACME", "AWS", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", 11, "USD", "C4", 1},
		{"ACME", "North America", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 200, "USD", "B6", 1},
	},
}, {
	// EDGAR repeats a statement's title as its first heading: the rows
	// below it are the company's, not a segment named after the title.
	Name: "HeadingRepeatsTheSheetTitle",
	Input: rows(
		"Quarterly results of operations (unaudited) (Details) (USD $)|3 Months Ended|3 Months Ended",
		"In Thousands, unless otherwise specified|Feb. 28, 2015|Nov. 29, 2014",
		"Quarterly results of operations",
		"Net sales|224259|190922",
		"Income (loss) from operations|21606|13756",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2015Q1", "FY2015Q1", "2015-02-28", 224259e3, "USD", "B4", 1e3},
		{"ACME", "Total", "revenue", "2014Q4", "FY2014Q4", "2014-11-29", 190922e3, "USD", "C4", 1e3},
		{"ACME", "Total", "operating_income", "2015Q1", "FY2015Q1", "2015-02-28", 21606e3, "USD", "B5", 1e3},
		{"ACME", "Total", "operating_income", "2014Q4", "FY2014Q4", "2014-11-29", 13756e3, "USD", "C5", 1e3},
	},
}, {
	// An income statement: every line of it has a metric now.
	Name: "IncomeStatementLines",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Revenue|100|",
		"Cost of revenue|40|",
		"Gross profit|60|",
		"Gross margin|0.6|",
		"Operating loss|12|",
		"Operating expenses:",
		"Research and development|10|",
		"Sales and marketing|8|",
		"General and administrative|5|",
		"Total operating expenses|23|",
		"Operating income|37|",
		"Net income (loss)|30|",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1},
		{"ACME", "Total", "cost_of_revenue", "2026Q1", "FY2026Q1", "2026-03-31", 40, "USD", "B3", 1},
		{"ACME", "Total", "gross_profit", "2026Q1", "FY2026Q1", "2026-03-31", 60, "USD", "B4", 1},
		{"ACME", "Total", "research_and_development", "2026Q1", "FY2026Q1", "2026-03-31", 10, "USD", "B8", 1},
		{"ACME", "Total", "sales_and_marketing", "2026Q1", "FY2026Q1", "2026-03-31", 8, "USD", "B9", 1},
		{"ACME", "Total", "general_and_administrative", "2026Q1", "FY2026Q1", "2026-03-31", 5, "USD", "B10", 1},
		{"ACME", "Total", "operating_expenses", "2026Q1", "FY2026Q1", "2026-03-31", 23, "USD", "B11", 1},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 37, "USD", "B12", 1},
		{"ACME", "Total", "net_income", "2026Q1", "FY2026Q1", "2026-03-31", 30, "USD", "B13", 1},
	},
	// "Gross margin" is a ratio in many workbooks, and a loss shown as a
	// positive number has no sign to tell: findings, not values.
	WantFindings: []string{
		`Sheet1!B5: a fraction, which reads as a ratio, "0.6" in row "Gross margin"; skipped`,
		`Sheet1!B6: a positive value, whose sign as a loss cannot be told, "12" in row "Operating loss"; skipped`,
	},
}, {
	// EDGAR's member paths name one segment however the row writes it, so
	// that its revenue and its operating income meet; a second member (a
	// product line inside the segment) stays apart.
	Name: "XBRLMemberPaths",
	Input: rows(
		"|Jul. 01, 2023|Jul. 02, 2022",
		"Operating income (loss):",
		"Client Computing Group|1039|876",
		"Net revenue:",
		"Client Computing Group ¦ Operating Segments|6780|7678",
		"Operating Segments [Member] ¦ Client Computing Group [Member] ¦ Desktop [Member]|2314|2506",
	),
	Want: []got{
		{"ACME", "Client Computing Group", "operating_income", "2023Q2", "FY2023Q2", "2023-07-01", 1039, "USD", "B3", 1},
		{"ACME", "Client Computing Group", "operating_income", "2022Q2", "FY2022Q2", "2022-07-02", 876, "USD", "C3", 1},
		{"ACME", "Client Computing Group", "revenue", "2023Q2", "FY2023Q2", "2023-07-01", 6780, "USD", "B5", 1},
		{"ACME", "Client Computing Group", "revenue", "2022Q2", "FY2022Q2", "2022-07-02", 7678, "USD", "C5", 1},
		{"ACME", "Client Computing Group | Desktop", "revenue", "2023Q2", "FY2023Q2", "2023-07-01", 2314, "USD", "B6", 1},
		{"ACME", "Client Computing Group | Desktop", "revenue", "2022Q2", "FY2022Q2", "2022-07-02", 2506, "USD", "C6", 1},
	},
}, {
	// EDGAR repeats the dates under an axis caption; the second header row
	// lacks the "12 Months Ended" above the first, and a year stays a year.
	Name: "RepeatedHeaderKeepsAnnualColumns",
	Input: rows(
		"Segment reporting (Detail) (USD $)|3 Months Ended|3 Months Ended|12 Months Ended|12 Months Ended",
		"In Thousands|Feb. 28, 2015|Nov. 29, 2014|Feb. 28, 2015|Mar. 01, 2014",
		"|Feb. 28, 2015|Nov. 29, 2014|segment|Mar. 01, 2014",
		"Sales|224259|190922|781866|748538",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2015Q1", "FY2015Q1", "2015-02-28", 224259e3, "USD", "B4", 1e3},
		{"ACME", "Total", "revenue", "2014Q4", "FY2014Q4", "2014-11-29", 190922e3, "USD", "C4", 1e3},
	},
}, {
	// A header that says its quarters under one of years keeps them.
	Name: "QuartersUnderYears",
	Input: rows(
		"|FY2025|FY2024",
		"|Q4 FY2025|Q4 FY2024",
		"Revenue|10|9",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2025Q4", "FY2025Q4", "2025-12-31", 10, "USD", "B3", 1},
		{"ACME", "Total", "revenue", "2024Q4", "FY2024Q4", "2024-12-31", 9, "USD", "C3", 1},
	},
}, {
	// A sheet an analyst titled after a segment is that segment's: only
	// EDGAR's rendered titles ("... (Details) (USD $)") are statements'.
	Name: "HeadingRepeatsAPlainTitle",
	Input: rows(
		"Industrial Automation",
		"|Q1 2026|Q2 2026",
		"Industrial Automation",
		"Net sales|100|110",
	),
	Want: []got{
		{"ACME", "Industrial Automation", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B4", 1},
		{"ACME", "Industrial Automation", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 110, "USD", "C4", 1},
	},
}, {
	// EDGAR writes an axis member over the line items it repeats for that
	// member: "Sales of goods" / "Revenue:" / "Revenues" is the revenue of
	// sales of goods, not a second company total.
	Name: "MemberOverLineItems",
	Input: rows(
		"Statements of Income (Loss) (Unaudited) - USD ($) $ in Millions|3 Months Ended|3 Months Ended",
		"Statements of Income (Loss) (Unaudited) - USD ($) $ in Millions|Jun. 30, 2018|Jun. 30, 2017",
		"Revenue:",
		"Revenues|5548.0|3015.0",
		"Operating income (loss)|78.0|-66.0",
		"Sales of goods",
		"Revenue:",
		"Revenues|3119.0|2270.0",
		"Sales of services",
		"Revenue:",
		"Revenues|2429.0|745.0",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2018Q2", "FY2018Q2", "2018-06-30", 5548e6, "USD", "B4", 1e6},
		{"ACME", "Total", "revenue", "2017Q2", "FY2017Q2", "2017-06-30", 3015e6, "USD", "C4", 1e6},
		{"ACME", "Total", "operating_income", "2018Q2", "FY2018Q2", "2018-06-30", 78e6, "USD", "B5", 1e6},
		{"ACME", "Total", "operating_income", "2017Q2", "FY2017Q2", "2017-06-30", -66e6, "USD", "C5", 1e6},
		{"ACME", "Sales of goods", "revenue", "2018Q2", "FY2018Q2", "2018-06-30", 3119e6, "USD", "B8", 1e6},
		{"ACME", "Sales of goods", "revenue", "2017Q2", "FY2017Q2", "2017-06-30", 2270e6, "USD", "C8", 1e6},
		{"ACME", "Sales of services", "revenue", "2018Q2", "FY2018Q2", "2018-06-30", 2429e6, "USD", "B11", 1e6},
		{"ACME", "Sales of services", "revenue", "2017Q2", "FY2017Q2", "2017-06-30", 745e6, "USD", "C11", 1e6},
	},
}, {
	Name: "MetricOnHeaderRow",
	Input: rows(
		"Revenue|Q1 2026|Q2 2026",
		"AWS|1|2",
		"Total|3|4",
		"Operating income|5|6",
	),
	Want: []got{
		{"ACME", "AWS", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 1, "USD", "B2", 1},
		{"ACME", "AWS", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 2, "USD", "C2", 1},
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 3, "USD", "B3", 1},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 4, "USD", "C3", 1},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 5, "USD", "B4", 1},
		{"ACME", "Total", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", 6, "USD", "C4", 1},
	},
}, {
	// EDGAR: a heading that is no known segment names the segment of the
	// metric rows right below it, until an unmapped row intervenes.
	Name: "UnknownHeadingAsSegment",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Americas",
		"Net sales|100|110",
		"Units shipped|7|8",
		"Operating income|10|11",
	),
	Want: []got{
		{"ACME", "Americas", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B3", 1},
		{"ACME", "Americas", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 110, "USD", "C3", 1},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 10, "USD", "B5", 1},
		{"ACME", "Total", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", 11, "USD", "C5", 1},
	},
	WantFindings: []string{`Sheet1!A4: row "Units shipped" not mapped to a metric and segment; skipped`},
}, {
	// A sheet's unmapped rows make one finding: each label once, with its
	// first cell and how many more rows repeat it.
	Name: "UnmappedRowsNotedOnce",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Revenue|100|110",
		"Interest income|1|1",
		"Item as percent of receivables|2|2",
		"Other income|3|3",
		"Item as percent of receivables|4|4",
		"Item as percent of receivables|5|5",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 110, "USD", "C2", 1},
	},
	WantFindings: []string{`Sheet1!A3: 5 rows not mapped to a metric and segment; skipped: "Interest income" (A3), "Item as percent of receivables" (A4 and 2 more), "Other income" (A5)`},
}, {
	Name: "TwoRowHeader",
	Input: rows(
		"|Three Months Ended|Three Months Ended",
		"|March 31, 2026|December 31, 2025",
		"Revenue|100|90",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B3", 1},
		{"ACME", "Total", "revenue", "2025Q4", "FY2025Q4", "2025-12-31", 90, "USD", "C3", 1},
	},
}, {
	Name: "TwoRowHeaderDateCells",
	Input: rows(
		"|Three Months Ended|Three Months Ended",
		"|date:46112|date:46022",
		"Revenue|100|90",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B3", 1},
		{"ACME", "Total", "revenue", "2025Q4", "FY2025Q4", "2025-12-31", 90, "USD", "C3", 1},
	},
}, {
	Name: "FiscalYearJune",
	Spec: "fiscal_year_end: June\n",
	Input: rows(
		"|Q3 FY26|Q4 FY26",
		"Revenue|100|110",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q3", "2026-03-31", 100, "USD", "B2", 1},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q4", "2026-06-30", 110, "USD", "C2", 1},
	},
}, {
	Name: "CaptionInBillions",
	Input: rows(
		"($ in billions)",
		"|Q1 2026|Q2 2026",
		"Revenue|1.5|",
	),
	Want: []got{{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 1.5e9, "USD", "B3", 1e9}},
}, {
	// The share count's scale is not the money's.
	Name: "CaptionSharesInThousandsDollarsInMillions",
	Input: rows(
		"CONDENSED CONSOLIDATED STATEMENTS - USD ($) shares in Thousands, $ in Millions|3 Months Ended|3 Months Ended",
		"|Mar. 31, 2026|Mar. 31, 2025",
		"Revenue|7|6",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 7e6, "USD", "B3", 1e6},
		{"ACME", "Total", "revenue", "2025Q1", "FY2025Q1", "2025-03-31", 6e6, "USD", "C3", 1e6},
	},
}, {
	Name: "CaptionCurrency",
	Input: rows(
		"€m|Q1 2026|Q2 2026",
		"Revenue|12",
	),
	Want: []got{{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 12e6, "EUR", "B2", 1e6}},
}, {
	Name: "SpecScaleOverridesCaption",
	Spec: "scale: thousands\n",
	Input: rows(
		"(in millions)",
		"|Q1 2026|Q2 2026",
		"Revenue|12",
	),
	Want: []got{{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 12e3, "USD", "B3", 1e3}},
}, {
	// A caption scales money, not megawatts or ratios.
	Name: "CaptionScalesMoneyOnly",
	Input: rows(
		"(in millions)",
		"|Q1 2026|Q2 2026",
		"Capacity (MW)|300",
		"Tax rate|25%",
	),
	Want: []got{
		{"ACME", "Total", "capacity_mw", "2026Q1", "FY2026Q1", "2026-03-31", 300, "MW", "B3", 1},
		{"ACME", "Total", "tax_rate", "2026Q1", "FY2026Q1", "2026-03-31", 0.25, "ratio", "B4", 1},
	},
}, {
	Name: "PercentInMoneyRow",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Revenue|100|12%",
	),
	Want:         []got{{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1}},
	WantFindings: []string{`Sheet1!C2: percentage "12%" in a revenue row; skipped`},
}, {
	// The row under the header gives units: a % column holds no levels.
	Name: "UnitsRow",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"|$m|%",
		"Revenue|100|5",
	),
	Want: []got{{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100e6, "USD", "B3", 1e6}},
}, {
	Name: "DuplicatePeriodColumn",
	Input: rows(
		"|Q1 2026|Q2 2026|Q1 2026",
		"Revenue|100|110|100",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 110, "USD", "C2", 1},
	},
	WantFindings: []string{"Sheet1!D1: period 2026Q1 already in column B; column skipped"},
}, {
	Name: "HiddenRow",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"hidden:Revenue|100",
		"Operating income|10",
	),
	Want: []got{{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 10, "USD", "B3", 1}},
}, {
	Name: "HiddenRowIncluded",
	Spec: "include_hidden: true\n",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"hidden:Revenue|100",
		"Operating income|10",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 10, "USD", "B3", 1},
	},
}, {
	Name: "BadNumberStops",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Revenue|100|12O",
		"Operating income|10|12",
	),
	WantErr:     &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "C2", Row: 2, Col: 3, Err: ErrBadNumber},
	WantErrText: `test.xlsx: sheet "Sheet1" cell C2: not a number: "12O" in row "Revenue"`,
}, {
	Name: "BadNumberSkipped",
	Skip: true,
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Revenue|100|12O",
		"Operating income|10|12",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 10, "USD", "B3", 1},
		{"ACME", "Total", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", 12, "USD", "C3", 1},
	},
	WantSkipped:  []string{`test.xlsx: sheet "Sheet1" cell C2: not a number: "12O" in row "Revenue"`},
	WantFindings: []string{`Sheet1!C2: not a number: "12O" in row "Revenue"; skipped`},
}, {
	// A writer that stores Excel's text-entry apostrophe in the value: a
	// lone "'" is an empty cell, "'Revenues" the label Revenues.
	Name: "QuotePrefix",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"'Segment Reporting Information [Line Items]|'|'",
		"'Revenues|100|'",
		"'Operating income|'12|(3)",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B3", 1},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 12, "USD", "B4", 1},
		{"ACME", "Total", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", -3, "USD", "C4", 1},
	},
}, {
	Name: "UnmappedRowNotStrict",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Revenue|100",
		"Widgets sold|5",
	),
	Want:         []got{{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1}},
	WantFindings: []string{`Sheet1!A3: row "Widgets sold" not mapped to a metric and segment; skipped`},
}, {
	Name: "UnmappedRowStrict",
	Spec: "strict: true\n",
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Revenue|100",
		"Widgets sold:|5",
	),
	WantErr:     &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "A3", Row: 3, Col: 1, Err: ErrUnmappedRow},
	WantErrText: `test.xlsx: sheet "Sheet1" cell A3: row not mapped by the strict spec: "Widgets sold"`,
}, {
	Name: "UnmappedRowStrictSkipped",
	Spec: "strict: true\n",
	Skip: true,
	Input: rows(
		"|Q1 2026|Q2 2026",
		"Widgets sold|5",
		"Revenue|100",
	),
	Want:         []got{{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B3", 1}},
	WantSkipped:  []string{`test.xlsx: sheet "Sheet1" cell A2: row not mapped by the strict spec: "Widgets sold"`},
	WantFindings: []string{`Sheet1!A2: row not mapped by the strict spec: "Widgets sold"; skipped`},
}, {
	Name:     "FormulaWithoutCachedValue",
	Input:    rows("|Q1 2026|Q2 2026", "Revenue|100", "Operating income|10|12"),
	Formulas: map[string]string{"C2": "B2*1.1"},
	WantErr:  &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "C2", Row: 2, Col: 3, Err: extract.ErrNoCachedValue},
	WantErrText: `test.xlsx: sheet "Sheet1" cell C2: formula has no cached value (open and save the workbook in Excel to calculate it): ` +
		`=B2*1.1 in row "Revenue"`,
}, {
	Name:     "FormulaWithoutCachedValueSkipped",
	Skip:     true,
	Input:    rows("|Q1 2026|Q2 2026", "Revenue|100", "Operating income|10|12"),
	Formulas: map[string]string{"C2": "B2*1.1"},
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 10, "USD", "B3", 1},
		{"ACME", "Total", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", 12, "USD", "C3", 1},
	},
	WantSkipped: []string{`test.xlsx: sheet "Sheet1" cell C2: formula has no cached value (open and save the workbook in Excel to calculate it): ` +
		`=B2*1.1 in row "Revenue"`},
	WantFindings: []string{"Sheet1!C2: formula has no cached value (open and save the workbook in Excel to calculate it): =B2*1.1 in row \"Revenue\"; skipped"},
}, {
	// Cells without values are reported in column order.
	Name:     "FormulasWithoutCachedValuesInColumnOrder",
	Input:    rows("|Q1 2026|Q2 2026|Q3 2026|Q4 2026|Q1 2027", "Revenue|100"),
	Formulas: map[string]string{"C2": "B2*2", "D2": "C2*2", "E2": "D2*2", "F2": "E2*2"},
	WantErr:  &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "C2", Row: 2, Col: 3, Err: extract.ErrNoCachedValue},
	WantErrText: `test.xlsx: sheet "Sheet1" cell C2: formula has no cached value (open and save the workbook in Excel to calculate it): ` +
		`=B2*2 in row "Revenue"`,
}, {
	Name:     "FormulasWithoutCachedValuesInColumnOrderSkipped",
	Skip:     true,
	Input:    rows("|Q1 2026|Q2 2026|Q3 2026|Q4 2026|Q1 2027", "Revenue|100"),
	Formulas: map[string]string{"C2": "B2*2", "D2": "C2*2", "E2": "D2*2", "F2": "E2*2"},
	Want:     []got{{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 100, "USD", "B2", 1}},
	WantSkipped: []string{
		`test.xlsx: sheet "Sheet1" cell C2: formula has no cached value (open and save the workbook in Excel to calculate it): =B2*2 in row "Revenue"`,
		`test.xlsx: sheet "Sheet1" cell D2: formula has no cached value (open and save the workbook in Excel to calculate it): =C2*2 in row "Revenue"`,
		`test.xlsx: sheet "Sheet1" cell E2: formula has no cached value (open and save the workbook in Excel to calculate it): =D2*2 in row "Revenue"`,
		`test.xlsx: sheet "Sheet1" cell F2: formula has no cached value (open and save the workbook in Excel to calculate it): =E2*2 in row "Revenue"`,
	},
	WantFindings: []string{
		"Sheet1!C2: formula has no cached value (open and save the workbook in Excel to calculate it): =B2*2 in row \"Revenue\"; skipped",
		"Sheet1!D2: formula has no cached value (open and save the workbook in Excel to calculate it): =C2*2 in row \"Revenue\"; skipped",
		"Sheet1!E2: formula has no cached value (open and save the workbook in Excel to calculate it): =D2*2 in row \"Revenue\"; skipped",
		"Sheet1!F2: formula has no cached value (open and save the workbook in Excel to calculate it): =E2*2 in row \"Revenue\"; skipped",
	},
}, {
	Name: "NoFacts",
	Input: rows(
		"Nothing here",
		"Revenue|1|2",
	),
	WantErr:     &extract.CellError{File: "test.xlsx", Err: ErrNoFacts},
	WantErrText: "test.xlsx: no facts found: no sheet has a period header with mapped rows",
}, {
	// Half years are not split into quarters: the workbook says it holds
	// them, with the header's cell, and is still refused as ErrNoFacts.
	Name: "HalfYearsOnly",
	Input: rows(
		"Segment results|H1 2025|H2 2025|H1 2026",
		"Cloud revenue|1200|1350|1500",
	),
	WantErr: &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "B1",
		Err: ErrNoFacts},
	WantErrText: `test.xlsx: sheet "Sheet1" cell B1: no quarterly facts: the workbook holds half years (H1 2025, H2 2025, H1 2026), which marginmix does not split into quarters`,
}, {
	Name: "NineMonthsOnly",
	Input: rows(
		"|Nine Months Ended September 30,|Nine Months Ended September 30,",
		"|2025|2024",
		"Revenue|900|800",
	),
	WantErr: &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "B2",
		Err: ErrNoFacts},
	WantErrText: `test.xlsx: sheet "Sheet1" cell B2: no quarterly facts: the workbook holds nine-month periods (2025, 2024), which marginmix does not split into quarters`,
}, {
	// A header with one quarter column is no workbook of longer spans.
	Name: "QuarterBesideHalfYear",
	Input: rows(
		"|Q2 2026|H1 2026",
		"Revenue|100|190",
	),
	Want: []got{{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 100, "USD", "B2", 1}},
}, {
	// A period header has at least two periods.
	Name: "OnePeriodIsNoHeader",
	Input: rows(
		"|Q1 2026",
		"Revenue|100",
	),
	WantErr:     &extract.CellError{File: "test.xlsx", Err: ErrNoFacts},
	WantErrText: "test.xlsx: no facts found: no sheet has a period header with mapped rows",
}, {
	Name: "LongCompanyAndUnitColumns",
	Spec: "layout: long\n",
	Opt: Options{Calendar: func(c string) (Calendar, bool) {
		return Calendar{FYEndMonth: time.June}, c == "MSFT"
	}},
	Input: rows(
		"Company|Segment|Metric|Period|Value|Unit",
		"amzn|AWS|Revenue|Q1 2026|29,267|$m",
		"MSFT|Intelligent Cloud|Capex|Q1 2026|1.5|€bn",
		"|Cloud|Tax rate|Q1 2026|25|%",
		"ACME||Tax rate|Q2 2026|37%|%",
		"AMZN||Capacity|Q2 2026|300|MW",
		"AMZN||Server useful life|Q2 2026|6|years",
		"AMZN||Bogus metric|Q2 2026|1|$m",
		"ACME||Revenue|Q2 2026|7|CHF",
		"ACME||Revenue|Q3 2026|8|$m",
	),
	Want: []got{
		{"AMZN", "AWS", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 29267e6, "USD", "E2", 1e6},
		{"MSFT", "Intelligent Cloud", "capex", "2025Q3", "FY2026Q1", "2025-09-30", 1.5e9, "EUR", "E3", 1e9},
		{"ACME", "Cloud", "tax_rate", "2026Q1", "FY2026Q1", "2026-03-31", 0.25, "ratio", "E4", 0.01},
		{"ACME", "Total", "tax_rate", "2026Q2", "FY2026Q2", "2026-06-30", 0.37, "ratio", "E5", 1},
		{"AMZN", "Total", "capacity_mw", "2026Q2", "FY2026Q2", "2026-06-30", 300, "MW", "E6", 1},
		{"AMZN", "Total", "server_useful_life_years", "2026Q2", "FY2026Q2", "2026-06-30", 6, "years", "E7", 1},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 7, "CHF", "E9", 1},
		{"ACME", "Total", "revenue", "2026Q3", "FY2026Q3", "2026-09-30", 8e6, "USD", "E10", 1e6},
	},
	WantFindings: []string{`Sheet1!C8: metric "Bogus metric" not in the dictionary; row skipped`},
}, {
	// A long table states units per row: a Unit cell ("€bn") is no caption
	// for the rows after it, which keep the scale stated above the table.
	// A percentage in a money row and a unit it does not know are findings,
	// never a value at a guessed scale.
	Name: "LongUnitsStayInTheirRow",
	Input: rows(
		"(in millions)",
		"Metric|Period|Value|Unit",
		"Revenue|Q1 2026|1.5|€bn",
		"Revenue|Q2 2026|6|",
		"Revenue|Q3 2026|12%|",
		"Revenue|Q4 2026|7|widgets",
		"Tax rate|Q4 2026|21%|",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 1.5e9, "EUR", "C3", 1e9},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 6e6, "USD", "C4", 1e6},
		{"ACME", "Total", "tax_rate", "2026Q4", "FY2026Q4", "2026-12-31", 0.21, "ratio", "C7", 1},
	},
	WantFindings: []string{
		`Sheet1!C5: percentage "12%" in a revenue row; skipped`,
		`Sheet1!D6: unit "widgets" not recognised; row skipped`,
	},
}, {
	// EDGAR's sheet titles run past any caption length; prose further down
	// does not change the scale.
	Name: "LongCaptionInTitleRow",
	Input: rows(
		strings.Repeat("Segment Information and Geographic Data (Details) - ", 3)+"USD ($) $ / shares in Units, $ in Millions",
		"|Q1 2026|Q2 2026",
		"Revenue|5|6||"+strings.Repeat("The amounts below are stated in billions of dollars, as the notes say. ", 3),
		"Operating income|1|2",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 5e6, "USD", "B3", 1e6},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 6e6, "USD", "C3", 1e6},
		{"ACME", "Total", "operating_income", "2026Q1", "FY2026Q1", "2026-03-31", 1e6, "USD", "B4", 1e6},
		{"ACME", "Total", "operating_income", "2026Q2", "FY2026Q2", "2026-06-30", 2e6, "USD", "C4", 1e6},
	},
}, {
	// A segment note titled after the segments' operating profit states it
	// on a pre-tax line under each segment's heading: that line is the
	// segment's operating income, and only there (the company's pre-tax
	// income is no operating income). "Operating segments" alone is the sum
	// of the segments, neither one of them nor the company.
	Name: "SegmentProfitUnderTitle",
	Input: rows(
		"Segment Information - Operating profit (loss) by segment (Details) - USD ($) $ in Millions|3 Months Ended|3 Months Ended",
		"Segment Information - Operating profit (loss) by segment (Details) - USD ($) $ in Millions|Jun. 30, 2018|Jun. 30, 2017",
		"Income (loss) before income taxes and equity in loss of affiliate|58",
		"Operating segments",
		"Summarized financial information [Abstract]",
		"Revenue|5548",
		"Income (loss) before income taxes and equity in loss of affiliate|387",
		"Oilfield Services ¦ Operating segments",
		"Summarized financial information [Abstract]",
		"Revenue|2884",
		"Income (loss) before income taxes and equity in loss of affiliate|189",
	),
	Want: []got{
		{"ACME", "Oilfield Services", "revenue", "2018Q2", "FY2018Q2", "2018-06-30", 2884e6, "USD", "B10", 1e6},
		{"ACME", "Oilfield Services", "operating_income", "2018Q2", "FY2018Q2", "2018-06-30", 189e6, "USD", "B11", 1e6},
	},
	WantFindings: []string{
		`Sheet1!A6: row "Revenue" under "Operating segments", a sum of segments rather than one segment or the company; skipped`,
		`Sheet1!A7: row "Income (loss) before income taxes and equity in loss of affiliate" under "Operating segments", a sum of segments rather than one segment or the company; skipped`,
		`Sheet1!A3: row "Income (loss) before income taxes and equity in loss of affiliate" not mapped to a metric and segment; skipped`,
	},
}, {
	// Without a title naming operating profit, a segment's pre-tax line is
	// not read as its operating income.
	Name: "SegmentPretaxWithoutTitle",
	Input: rows(
		"Segment Information (Details) - USD ($) $ in Millions|3 Months Ended|3 Months Ended",
		"Segment Information (Details) - USD ($) $ in Millions|Jun. 30, 2018|Jun. 30, 2017",
		"Oilfield Services ¦ Operating segments",
		"Revenue|2884",
		"Income (loss) before income taxes|189",
	),
	Want: []got{
		{"ACME", "Oilfield Services", "revenue", "2018Q2", "FY2018Q2", "2018-06-30", 2884e6, "USD", "B4", 1e6},
	},
	WantFindings: []string{
		`Sheet1!A5: row "Income (loss) before income taxes" not mapped to a metric and segment; skipped`,
	},
}, {
	// Periods down a column under a row of column headers: each header's
	// column holds its metric's value a period; a fiscal year's row is
	// passed over, and the scale stated above applies.
	Name: "TransposedTable",
	Spec: "fiscal_year_end: June\n",
	Input: rows(
		"Microsoft Corporation",
		"Capital expenditures including assets acquired under capital leases ($ in billions)",
		"",
		"Fiscal Year|Capital expenditures including assets acquired under capital leases|Comment",
		"Q1-16|1.5|x",
		"Q2-16|2",
		"Fiscal Year 2016|8.9",
		"",
		"Q1-17|—",
	),
	Want: []got{
		{"ACME", "Total", "capex", "2015Q3", "FY2016Q1", "2015-09-30", 1.5e9, "USD", "B5", 1e9},
		{"ACME", "Total", "capex", "2015Q4", "FY2016Q2", "2015-12-31", 2e9, "USD", "B6", 1e9},
	},
}, {
	// A transposed table whose headers name no metric is a finding, not
	// silence.
	Name: "TransposedTableUnread",
	Input: rows(
		"Quarter|Bookings|Backlog",
		"Q1 2026|5|6",
		"Q2 2026|7|8",
		"",
		"|Q1 2026|Q2 2026",
		"Revenue|10|11",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 10, "USD", "B6", 1},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 11, "USD", "C6", 1},
	},
	WantFindings: []string{
		`Sheet1!A2: periods run down column A from here, but no column header in row 1 names a metric; table not read`,
	},
}, {
	Name: "LongPeriodEnd",
	Input: rows(
		"Metric|Period end|Value",
		"Revenue|date:46112|5",
		"Revenue|June 30, 2026|6",
	),
	Want: []got{
		{"ACME", "Total", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 5, "USD", "C2", 1},
		{"ACME", "Total", "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 6, "USD", "C3", 1},
	},
}, {
	Name: "LongBadPeriodEnd",
	Input: rows(
		"Metric|Period end|Value",
		"Revenue|soon|5",
	),
	WantErr:     &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "B2", Row: 2, Col: 2, Err: ErrBadDate},
	WantErrText: `test.xlsx: sheet "Sheet1" cell B2: not a date: "soon"`,
}, {
	Name: "LongUnitMismatch",
	Spec: "layout: long\n",
	Input: rows(
		"Company|Metric|Period|Value|Unit",
		"AMZN|Revenue|Q1 2026|5|MW",
	),
	WantErr:     &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "E2", Row: 2, Col: 5, Err: ErrUnitMismatch},
	WantErrText: `test.xlsx: sheet "Sheet1" cell E2: unit does not fit the metric: "MW" for revenue`,
}, {
	Name: "LongUnitMismatchSkipped",
	Spec: "layout: long\n",
	Skip: true,
	Input: rows(
		"Company|Metric|Period|Value|Unit",
		"AMZN|Revenue|Q1 2026|5|MW",
		"AMZN|Capacity|Q1 2026|300|MW",
	),
	Want:         []got{{"AMZN", "Total", "capacity_mw", "2026Q1", "FY2026Q1", "2026-03-31", 300, "MW", "D3", 1}},
	WantSkipped:  []string{`test.xlsx: sheet "Sheet1" cell E2: unit does not fit the metric: "MW" for revenue`},
	WantFindings: []string{`Sheet1!E2: unit does not fit the metric: "MW" for revenue; skipped`},
}, {
	Name:     "LongFormulaWithoutCachedValue",
	Input:    rows("Metric|Period|Value", "Revenue|Q1 2026"),
	Formulas: map[string]string{"C2": "D2*2"},
	WantErr:  &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "C2", Row: 2, Col: 3, Err: extract.ErrNoCachedValue},
	WantErrText: `test.xlsx: sheet "Sheet1" cell C2: formula has no cached value (open and save the workbook in Excel to calculate it): ` +
		`=D2*2`,
}, {
	// Workbook content never shapes paths: a Company cell must be a ticker.
	Name: "LongHostileCompany",
	Spec: "layout: long\n",
	Input: rows(
		"Company|Segment|Metric|Period|Value|Unit",
		"ACME|Cloud\x00 Infra\nstructure|Revenue|Q1 2026|10|$m",
		"../../etc|X|Revenue|Q1 2026|12|$m",
	),
	WantErr:     &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "A3", Row: 3, Col: 1, Err: ErrBadCompany},
	WantErrText: `test.xlsx: sheet "Sheet1" cell A3: not a ticker (letters, digits, '.', '-' and '_', at most 32): "../../etc"`,
}, {
	// Labels lose control characters and excess length.
	Name: "LongHostileSegmentSkipped",
	Spec: "layout: long\n",
	Skip: true,
	Input: rows(
		"Company|Segment|Metric|Period|Value|Unit",
		"ACME|Cloud\x00 Infra\nstructure|Revenue|Q1 2026|10|$m",
		"ACME|"+strings.Repeat("Ω", 300)+"|Revenue|Q2 2026|11|$m",
		"../../etc|X|Revenue|Q1 2026|12|$m",
	),
	Want: []got{
		{"ACME", "Cloud Infra structure", "revenue", "2026Q1", "FY2026Q1", "2026-03-31", 10e6, "USD", "E2", 1e6},
		{"ACME", strings.Repeat("Ω", 100), "revenue", "2026Q2", "FY2026Q2", "2026-06-30", 11e6, "USD", "E3", 1e6},
	},
	WantSkipped:  []string{`test.xlsx: sheet "Sheet1" cell A4: not a ticker (letters, digits, '.', '-' and '_', at most 32): "../../etc"`},
	WantFindings: []string{`Sheet1!A4: not a ticker (letters, digits, '.', '-' and '_', at most 32): "../../etc"; skipped`},
}, {
	// A 10,000-character Company cell is quoted by its start and length.
	Name: "LongCompanyNotEchoed",
	Spec: "layout: long\n",
	Input: rows(
		"Company|Segment|Metric|Period|Value|Unit",
		strings.Repeat("A", 10000)+"|X|Revenue|Q1 2026|12|$m",
	),
	WantErr: &extract.CellError{File: "test.xlsx", Sheet: "Sheet1", Cell: "A2", Row: 2, Col: 1, Err: ErrBadCompany},
	WantErrText: `test.xlsx: sheet "Sheet1" cell A2: not a ticker (letters, digits, '.', '-' and '_', at most 32): "` +
		strings.Repeat("A", 80) + `… (10000 characters)"`,
}}

// readRows reads rows as Sheet1 of a workbook test.xlsx.
func readRows(spec *Spec, opt Options, formulas map[string]string, in []extract.Row) (*Result, error) {
	fake := fakeFormulas{FormulaFunc: func(sheet string, col, row int) (string, error) {
		if sheet != "Sheet1" {
			return "", fmt.Errorf("formula of sheet %q", sheet)
		}
		return formulas[extract.CellName(col, row)], nil
	}}
	rd := newReader(book{name: "test.xlsx", formulas: fake}, spec, opt, time.Time{}, "")
	err := rd.readSheet("Sheet1", func(fn func(extract.Row) error) error {
		for _, r := range in {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rd.done()
}

func TestRead(t *testing.T) {
	for _, tt := range readTests {
		t.Run(tt.Name, func(t *testing.T) {
			spec, err := ParseSpecBytes("test.yaml", []byte(baseSpec+tt.Spec))
			if err != nil {
				t.Fatal(err)
			}
			opt := tt.Opt
			var skipped []string
			if tt.Skip {
				opt.OnRowError = func(err error) error { skipped = append(skipped, err.Error()); return nil }
			}
			res, err := readRows(spec, opt, tt.Formulas, tt.Input)
			if !reflect.DeepEqual(skipped, tt.WantSkipped) {
				t.Errorf("skipped:\ngot  %q\nwant %q", skipped, tt.WantSkipped)
			}
			if tt.WantErr != nil {
				checkCellError(t, err, tt.WantErr, tt.WantErrText)
				if res != nil {
					t.Errorf("result %+v with an error", res)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if g := project(res.Facts); !reflect.DeepEqual(g, tt.Want) {
				t.Errorf("facts:\ngot  %+v\nwant %+v", g, tt.Want)
			}
			var findings []string
			for _, f := range res.Findings {
				findings = append(findings, f.String())
			}
			if !reflect.DeepEqual(findings, tt.WantFindings) {
				t.Errorf("findings:\ngot  %q\nwant %q", findings, tt.WantFindings)
			}
			checkWorkbookFields(t, res, spec)
		})
	}
}

// checkCellError compares an error with a complete *extract.CellError: its
// place exactly, its cause with errors.Is, and its text.
func checkCellError(t *testing.T, err error, want *extract.CellError, text string) {
	t.Helper()
	var ce *extract.CellError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want *extract.CellError", err, err)
	}
	gotPlace := extract.CellError{File: ce.File, Sheet: ce.Sheet, Cell: ce.Cell, Row: ce.Row, Col: ce.Col}
	wantPlace := extract.CellError{File: want.File, Sheet: want.Sheet, Cell: want.Cell, Row: want.Row, Col: want.Col}
	if gotPlace != wantPlace {
		t.Errorf("error at %+v, want %+v", gotPlace, wantPlace)
	}
	if !errors.Is(err, want.Err) {
		t.Errorf("error %v does not wrap %v", err, want.Err)
	}
	if err.Error() != text {
		t.Errorf("error text:\ngot  %s\nwant %s", err.Error(), text)
	}
}

// checkWorkbookFields checks the fields that are the same for every fact of
// a workbook read without a vintage or a hash: as_of is its latest period.
func checkWorkbookFields(t *testing.T, res *Result, spec *Spec) {
	t.Helper()
	var latest time.Time
	for _, f := range res.Facts {
		if f.PeriodEnd.After(latest) {
			latest = f.PeriodEnd
		}
	}
	if res.Count != len(res.Facts) {
		t.Errorf("count %d, %d facts", res.Count, len(res.Facts))
	}
	for _, f := range res.Facts {
		if f.SourceFile != "test.xlsx" || f.SourceSheet != "Sheet1" || f.SourceSHA256 != "" ||
			f.SourceKind != spec.SourceKind || !f.AsOf.Equal(latest) || !strings.HasPrefix(f.SourceCell, "Sheet1!") {
			t.Errorf("workbook fields of %+v", f)
		}
	}
}

// TestSourceLabelAsWritten: source_label keeps the row label as the
// workbook wrote it, spaces, footnote and all, while segment is its clean
// form; a long table's label is its Metric cell.
func TestSourceLabelAsWritten(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []extract.Row
		want [][2]string // segment, source_label
	}{
		{"Wide", rows(
			"|Q1 2026|Q2 2026",
			"Net sales:",
			"  Amazon Web Services (AWS)¹ |5",
			"Devices & other:|6",
			"Total net sales|11",
		), [][2]string{{"AWS", "  Amazon Web Services (AWS)¹ "}, {"Devices & other", "Devices & other:"}, {"Total", "Total net sales"}}},
		{"Long", rows(
			"Segment|Metric|Period|Value",
			"AWS|Net sales (1)|Q1 2026|5",
		), [][2]string{{"AWS", "Net sales (1)"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := ParseSpecBytes("test.yaml", []byte(baseSpec))
			if err != nil {
				t.Fatal(err)
			}
			res, err := readRows(spec, Options{}, nil, c.in)
			if err != nil {
				t.Fatal(err)
			}
			var got [][2]string
			for _, f := range res.Facts {
				got = append(got, [2]string{f.Segment, f.SourceLabel})
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("segment and label:\ngot  %q\nwant %q", got, c.want)
			}
		})
	}
}
