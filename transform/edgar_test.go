package transform

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marginmix/marginmix/extract"
)

// factLines are a result's facts as "segment metric quarter value cell".
func factLines(res *Result) []string {
	var out []string
	for _, f := range res.Facts {
		out = append(out, fmt.Sprintf("%s %s %s %g %s", f.Segment, f.Metric, f.CalendarQuarter, f.Value, strings.TrimPrefix(f.SourceCell, "Sheet1!")))
	}
	return out
}

func findingLines(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.String())
	}
	return out
}

// The EDGAR rendering's grammar (edgar.go), case by case: member headings
// scope the rows under them, structure rows are never data or segments,
// and a member of no declared breakdown is skipped with a finding.
func TestEDGARGrammar(t *testing.T) {
	for _, tt := range []struct {
		Name         string
		Sheet        string // "Sheet1" when empty
		Spec         string // YAML added to baseSpec
		Annual       bool   // the workbook's cover says 10-K
		Input        []extract.Row
		Want         []string
		WantFindings []string
	}{{
		Name: "MemberSuffix",
		Input: rows(
			"Segment Information (Details) (USD $)|3 Months Ended",
			"|Mar. 31, 2015|Mar. 31, 2014",
			"Segment Reporting Information [Line Items]",
			"Revenues|100|90",
			"Retail [Member]",
			"Segment Reporting Information [Line Items]",
			"Revenues|60|50",
			"Operating income|6|5",
			"Credit Segment [Member]",
			"Revenues|40|40",
		),
		Want: []string{"Total revenue 2015Q1 100 B4", "Total revenue 2014Q1 90 C4",
			"Retail revenue 2015Q1 60 B7", "Retail revenue 2014Q1 50 C7",
			"Retail operating_income 2015Q1 6 B8", "Retail operating_income 2014Q1 5 C8",
			"Credit Segment revenue 2015Q1 40 B10", "Credit Segment revenue 2014Q1 40 C10"},
	}, {
		// Newer renderings drop "[Member]": the heading over the line
		// items' heading is the member.
		Name: "MemberOverLineItems",
		Input: rows(
			"Segment Revenue (Detail) - USD ($) $ in Millions|3 Months Ended",
			"|Sep. 30, 2021|Sep. 30, 2020",
			"Segment Reporting Information [Line Items]",
			"Revenue|45|37",
			"Intelligent Cloud",
			"Segment Reporting Information [Line Items]",
			"Revenue|17|13",
		),
		Want: []string{"Total revenue 2021Q3 4.5e+07 B4", "Total revenue 2020Q3 3.7e+07 C4",
			"Intelligent Cloud revenue 2021Q3 1.7e+07 B7", "Intelligent Cloud revenue 2020Q3 1.3e+07 C7"},
	}, {
		// A member's block repeats the table's first row ("Products" over
		// "Net sales"); an expense's components are not segments.
		Name: "MemberOverFirstRow",
		Input: rows(
			"CONDENSED CONSOLIDATED STATEMENTS OF OPERATIONS (Unaudited) - USD ($)|3 Months Ended",
			"|Mar. 29, 2025|Mar. 30, 2024",
			"Net sales|95|90",
			"Operating expenses:",
			"Research and development|8|7",
			"Salaries and employee benefits|3|2",
			"Products",
			"Net sales|68|66",
		),
		Want: []string{"Total revenue 2025Q1 95 B3", "Total revenue 2024Q1 90 C3",
			"Total research_and_development 2025Q1 8 B5", "Total research_and_development 2024Q1 7 C5",
			"Products revenue 2025Q1 68 B8", "Products revenue 2024Q1 66 C8"},
		WantFindings: []string{`Sheet1!A6: row "Salaries and employee benefits" not mapped to a metric and segment; skipped`},
	}, {
		// A caption over the rows is the table's heading: its rows are the
		// company's. A share class is no breakdown; a per-share line is no
		// amount.
		Name: "CaptionAndShareClass",
		Input: rows(
			"Earnings per Share (Details) - USD ($)|3 Months Ended",
			"|Jun. 30, 2016|Jun. 30, 2015",
			"Numerator",
			"Net income|2055|719",
			"Net income (in dollars per share)|0.72|0.26",
			"Basic and diluted earnings per share:",
			"Net income|0.7|0.2",
			"Class A Common Stock",
			"Numerator",
			"Net income|1662|576",
		),
		Want: []string{"Total net_income 2016Q2 2055 B4", "Total net_income 2015Q2 719 C4"},
		WantFindings: []string{
			`Sheet1!A8: rows under member "Class A Common Stock", which is no segment, product or place (1); skipped`,
			`Sheet1!A5: 2 rows not mapped to a metric and segment; skipped: "Net income (in dollars per share)" (A5), "Net income" (A7)`},
	}, {
		// A member on a sheet that declares no breakdown is not guessed at.
		Name: "UndeclaredMember",
		Input: rows(
			"Pro forma information (Details) - USD ($)|3 Months Ended",
			"|Jun. 30, 2018|Jun. 30, 2017",
			"Net loss|-38|-20",
			"Baker Hughes",
			"Net loss|-19|0",
		),
		Want: []string{"Total net_income 2018Q2 -38 B3", "Total net_income 2017Q2 -20 C3"},
		WantFindings: []string{
			`Sheet1!A4: rows under member "Baker Hughes", on a sheet that declares no segment, product or geographic breakdown (1); skipped`},
	}, {
		// An axis and a member path; the sum of the segments is neither a
		// segment nor the company.
		Name: "AxisAndPaths",
		Input: rows(
			"Segment Information - Operating profit (loss) by segment (Details) - USD ($)|3 Months Ended",
			"|Jun. 30, 2018|Jun. 30, 2017",
			"Summarized financial information [Abstract]",
			"Revenue|5548|3015",
			"Operating segments",
			"Summarized financial information [Abstract]",
			"Revenue|5548|3015",
			"Oilfield Services | Operating segments",
			"Summarized financial information [Abstract]",
			"Revenue|2884|228",
			"Income (loss) before income taxes|189|-66",
		),
		Want: []string{"Total revenue 2018Q2 5548 B4", "Total revenue 2017Q2 3015 C4",
			"Oilfield Services revenue 2018Q2 2884 B10", "Oilfield Services revenue 2017Q2 228 C10",
			"Oilfield Services operating_income 2018Q2 189 B11", "Oilfield Services operating_income 2017Q2 -66 C11"},
		WantFindings: []string{
			`Sheet1!A5: rows under "Operating segments", a sum of segments rather than one segment or the company (1); skipped`},
	}, {
		// The plain net income line is the company's; "attributable to"
		// lines below it are not read again.
		Name: "AttributableAfterPlain",
		Input: rows(
			"CONSOLIDATED STATEMENTS OF EARNINGS (USD $)|3 Months Ended",
			"|Feb. 28, 2015|Nov. 30, 2014",
			"Net income|220|230",
			"Net income attributable to noncontrolling interests|5|8",
			"Net income attributable to CBI|215|222",
		),
		Want:         []string{"Total net_income 2015Q1 220 B3", "Total net_income 2014Q4 230 C3"},
		WantFindings: []string{`Sheet1!A4: 2 rows not mapped to a metric and segment; skipped: "Net income attributable to noncontrolling interests" (A4), "Net income attributable to CBI" (A5)`},
	}, {
		Name: "AttributableAlone",
		Input: rows(
			"Selected Quarterly Financial Information (Details) (USD $)|3 Months Ended",
			"|Feb. 28, 2015|Nov. 30, 2014",
			"Net sales|1356|1541",
			"Net income attributable to CBI|214|222",
		),
		Want: []string{"Total revenue 2015Q1 1356 B3", "Total revenue 2014Q4 1541 C3",
			"Total net_income 2015Q1 214 B4", "Total net_income 2014Q4 222 C4"},
	}, {
		// A cash-flow statement's section heading is no segment, in any
		// workbook.
		Name:  "CashFlowSection",
		Sheet: "Cash Flows",
		Input: rows("|Q1 2026|Q2 2026", "Operations", "Net income|10|12"),
		Want:  []string{"Total net_income 2026Q1 10 Cash Flows!B3", "Total net_income 2026Q2 12 Cash Flows!C3"},
	}, {
		// A header whose date cells are merged across two rows (B2:B3
		// under "3 Months Ended") is one header: the copies in the lower
		// row do not make a second header of bare dates, which an annual
		// report would read as years.
		Name:   "MergedTwoRowHeader",
		Spec:   "fiscal_year_end: January\n",
		Annual: true,
		Input: merged(rows(
			"Quarterly Information (Details) (USD $)|3 Months Ended|3 Months Ended",
			"|Jan. 31, 2015|Oct. 31, 2014",
			"Quarterly Information (Details) (USD $)|Jan. 31, 2015|Oct. 31, 2014",
			"Revenue|119|123",
		), "C1", "A3", "B3", "C3"),
		Want: []string{"Total revenue 2015Q1 119 B4", "Total revenue 2014Q4 123 C4"},
	}} {
		t.Run(tt.Name, func(t *testing.T) {
			spec, err := ParseSpecBytes("test.yaml", []byte(baseSpec+tt.Spec))
			if err != nil {
				t.Fatal(err)
			}
			sheet := tt.Sheet
			if sheet == "" {
				sheet = "Sheet1"
			}
			rd := newReader(book{name: "test.xlsx", formulas: noFormulas}, spec, Options{}, time.Time{}, "")
			rd.annual = tt.Annual
			if err := feedSheet(rd, sheet, tt.Input); err != nil {
				t.Fatal(err)
			}
			res, err := rd.done()
			if err != nil {
				t.Fatal(err)
			}
			if got := factLines(res); !reflect.DeepEqual(got, tt.Want) {
				t.Errorf("facts:\ngot  %q\nwant %q", got, tt.Want)
			}
			if got := findingLines(res); !reflect.DeepEqual(got, tt.WantFindings) {
				t.Errorf("findings:\ngot  %q\nwant %q", got, tt.WantFindings)
			}
		})
	}
}

// merged marks the named cells of rows as copies of a merged range.
func merged(in []extract.Row, cells ...string) []extract.Row {
	for _, name := range cells {
		for i := range in {
			for j, c := range in[i].Cells {
				if extract.CellName(c.Col, in[i].Num) == name {
					in[i].Cells[j].Merged = true
				}
			}
		}
	}
	return in
}

// Labels by meaning: the accounting vocabulary's wordings of the
// dictionary's metrics, and the lines that only look like them.
func TestVocabulary(t *testing.T) {
	for label, want := range map[string]string{
		"Costs of merchandise sold": "cost_of_revenue",
		"Costs of revenues":         "cost_of_revenue",
		"Cost of goods sold, including warehousing and occupancy costs": "cost_of_revenue",
		"Depreciation, depletion and amortization":                      "depreciation_amortization",
		"External sales":                                        "revenue",
		"Revenues from external customers":                      "revenue",
		"Gross revenue":                                         "revenue",
		"Interest and fee income on finance receivables":        "revenue",
		"Operating income before income taxes":                  "operating_income",
		"Net income attributable to Constellation Brands, Inc.": "net_income",
		"Net income (loss) attributable to Comverse, Inc.":      "net_income",
		"Net income attributable to noncontrolling interests":   "",
		"Net income attributable to participating securities":   "",
		"Operating income (excluding special items)":            "",
		"Interest income":                                       "",
		"Income before income taxes":                            "",
	} {
		got, _ := (Dict{}).Metric(label)
		if got != want {
			t.Errorf("Metric(%q) = %q, want %q", label, got, want)
		}
	}
}

func TestRoleOf(t *testing.T) {
	for label, want := range map[string]xbrlRole{
		"Segment Reporting Information [Line Items]": roleLineItems,
		"Statement of Income [Abstract]":             roleAbstract,
		"Segments [Axis]":                            roleAxis,
		"Segment [Domain]":                           roleDomain,
		"Schedule of Segment Reporting [Table]":      roleTable,
		"Retail [Member]":                            roleMember,
		"Oilfield Services | Operating segments":     roleMember,
		"Revenues":                                   rolePlain,
	} {
		if got := roleOf(label); got != want {
			t.Errorf("roleOf(%q) = %v, want %v", label, got, want)
		}
	}
}
