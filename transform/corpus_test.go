package transform

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
	"github.com/marginmix/marginmix/internal/corpus"
)

// readEarnings reads a real investor-relations workbook from the shared
// corpus with its committed spec from examples/specs.
func readEarnings(t *testing.T, file, spec string) (*Result, error) {
	t.Helper()
	dir := corpus.Dir(t)
	b, err := os.ReadFile(filepath.Join("..", "examples", "specs", spec))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSpecBytes(spec, b)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Matches(file) {
		t.Fatalf("spec %s does not match %s", spec, file)
	}
	wb, err := extract.Open(filepath.Join(dir, "earnings", file), extract.Options{Name: file})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	return Workbook(context.Background(), wb, s, Options{})
}

type cellWant struct {
	segment, metric, quarter string
	value                    float64
	cells                    []string // every cell stating it
}

func checkFacts(t *testing.T, res *Result, company string, wants []cellWant) {
	t.Helper()
	for _, w := range wants {
		var cells []string
		for _, f := range res.Facts {
			if f.Company == company && f.Segment == w.segment && f.Metric == w.metric && f.CalendarQuarter == w.quarter {
				if f.Value != w.value {
					t.Errorf("%s %s %s at %s = %v, want %v", w.segment, w.metric, w.quarter, f.SourceCell, f.Value, w.value)
				}
				cells = append(cells, f.SourceCell)
			}
		}
		if len(cells) != len(w.cells) {
			t.Errorf("%s %s %s: cells %v, want %v", w.segment, w.metric, w.quarter, cells, w.cells)
			continue
		}
		for i := range cells {
			if cells[i] != w.cells[i] {
				t.Errorf("%s %s %s: cells %v, want %v", w.segment, w.metric, w.quarter, cells, w.cells)
			}
		}
	}
}

// Values below were read off the sheets by hand.
func TestEarningsMicrosoftFY18Q4(t *testing.T) {
	res, err := readEarnings(t, "asrtoolkit__FinancialStatementFY18Q4.xlsx", "msft-fy18q4.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkFacts(t, res, "MSFT", []cellWant{
		// Stated on both sheets; they agree.
		{"Intelligent Cloud", fact.Revenue, "2018Q2", 9606e6, []string{"Segment Revenue & OI!B11", "Segment History!K7"}},
		{fact.TotalSegment, fact.Revenue, "2018Q2", 30085e6, []string{"Segment Revenue & OI!B13", "Segment History!K10"}},
		{"Corporate", fact.OperatingIncome, "2017Q2", -306e6, []string{"Segment Revenue & OI!D18", "Segment History!E17"}},
		{"More Personal Computing", fact.OperatingIncome, "2017Q4", 2510e6, []string{"Segment History!I16"}},
		{"Productivity and Business Processes", fact.Revenue, "2016Q3", 6436e6, []string{"Segment History!B6"}},
	})
	for _, f := range res.Facts {
		if f.Unit != "USD" || f.SourceScale != 1e6 {
			t.Fatalf("%s: unit %s scale %v", f.SourceCell, f.Unit, f.SourceScale)
		}
		// Fiscal Year and Twelve Months columns (F, L; F, H) are not quarters.
		if f.SourceCell == "Segment History!F6" || f.SourceCell == "Segment Revenue & OI!F10" {
			t.Fatalf("annual column read as a quarter: %+v", f)
		}
	}
	f := res.Facts[0]
	if f.FiscalYear != 2018 || f.FiscalQuarter != 4 || f.PeriodEnd != d(2018, 6, 30) {
		t.Errorf("first fact %+v", f)
	}
	// History sheet: 5 rows x 2 blocks x 8 quarters = 80; quarterly sheet:
	// 4 revenue rows and 5 income rows x 2 quarters = 18.
	if len(res.Facts) != 98 {
		t.Errorf("%d facts", len(res.Facts))
	}
}

func TestEarningsAppleEDGAR(t *testing.T) {
	res, err := readEarnings(t, "edgartools__Financial_Report.xlsx", "aapl-10q-q2fy25.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkFacts(t, res, "AAPL", []cellWant{
		{fact.TotalSegment, fact.Revenue, "2025Q1", 95359e6, []string{"CONDENSED CONSOLIDATED STATEMEN!B3", "Segment Information and Geogr_3!B4"}},
		{fact.TotalSegment, fact.OperatingIncome, "2024Q1", 27900e6, []string{"CONDENSED CONSOLIDATED STATEMEN!C10", "Segment Information and Geogr_3!C5"}},
		{"Americas", fact.Revenue, "2025Q1", 40315e6, []string{"Segment Information and Geogr_3!B8"}},
		{"Greater China", fact.OperatingIncome, "2024Q1", 6700e6, []string{"Segment Information and Geogr_3!C17"}},
		{"Rest of Asia Pacific", fact.Revenue, "2025Q1", 7290e6, []string{"Segment Information and Geogr_3!B24"}},
	})
	for _, f := range res.Facts {
		// The "6 Months Ended" columns D and E are year-to-date.
		if col := f.SourceCell[len(f.SourceCell)-2:]; col[0] == 'D' || col[0] == 'E' {
			t.Fatalf("six-month column read as a quarter: %+v", f)
		}
		if f.CalendarQuarter == "2025Q1" && (f.PeriodEnd != d(2025, 3, 29) || f.FiscalYear != 2025 || f.FiscalQuarter != 2) {
			t.Fatalf("fiscal calendar: %+v", f)
		}
	}
}

func TestEarningsVodafoneQuarterlyRevenue(t *testing.T) {
	res, err := readEarnings(t, "unstructured__vodafone-q1-fy24-additional-information.xlsx", "vodafone-q1fy24.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkFacts(t, res, "VOD", []cellWant{
		{"Europe", fact.Revenue, "2023Q2", 8226e6, []string{"01 Quarterly revenue!K8"}},
		{"Vodacom", fact.Revenue, "2021Q2", 1870e6, []string{"01 Quarterly revenue!C9"}},
		{"Other and eliminations", fact.Revenue, "2022Q3", -5e6, []string{"01 Quarterly revenue!H12"}},
		{fact.TotalSegment, fact.Revenue, "2023Q1", 11138e6, []string{"01 Quarterly revenue!J13"}},
	})
	// 6 rows x 9 quarters; the organic growth columns M..U are not levels and
	// the country blocks hold service revenue, not revenue.
	if len(res.Facts) != 54 {
		t.Errorf("%d facts", len(res.Facts))
	}
	for _, f := range res.Facts {
		if f.Unit != "EUR" {
			t.Fatalf("%s: unit %s", f.SourceCell, f.Unit)
		}
		if f.CalendarQuarter == "2023Q1" && (f.FiscalYear != 2023 || f.FiscalQuarter != 4) {
			t.Fatalf("fiscal labels %+v", f)
		}
	}
}

// Workbooks that hold no quarterly figures are refused with a reason.
func TestEarningsWithoutQuarters(t *testing.T) {
	for _, tc := range []struct{ file, spec, msg string }{
		{"unstructured__vodafone.xlsx", "vodafone-index.yaml",
			`sheet "Index" cell C6: no quarterly facts: the workbook holds years (FY 22, FY 23), which marginmix does not split into quarters`},
		{"unstructured__2023-half-year-analyses-by-segment.xlsx", "nestle-h1-2023.yaml",
			`sheet "OS-Other information 30 06 2023" cell C6: no quarterly facts: the workbook holds half years (January–June 2023, January–June 2022), which marginmix does not split into quarters`},
	} {
		_, err := readEarnings(t, tc.file, tc.spec)
		if !errors.Is(err, ErrNoFacts) || err.Error() != tc.file+": "+tc.msg {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
}
