//go:build duckdb_arrow

package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// breakdownSheet is one sheet of a supplement in millions: a "Net sales:" and
// an "Operating income (loss):" block over the quarters Q4 2025 (column B) and
// Q1 2026 (C), each block segment rows and, if total is set, a total row.
type breakdownSheet struct {
	name     string
	segments []string
	revenue  [][2]float64 // per segment: Q4 2025, Q1 2026
	income   [][2]float64 // nil: no operating income block
	total    bool         // write total rows: the segments' sums, unless revenueTotal is set
	// revenueTotal, if not zero, is written as the net sales total row.
	revenueTotal [2]float64
}

// specAndBook writes spec as spec.yaml into a fresh specs folder and
// returns a run's config over it and a fresh inbox, with a new workbook of
// the named sheets, in order, for the caller to fill, save into the inbox
// and close.
func specAndBook(t *testing.T, spec string, sheets ...string) (Config, *excelize.File) {
	t.Helper()
	cfg := Default()
	cfg.Inbox, cfg.Specs = t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg.Specs, "spec.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	f := excelize.NewFile()
	for i, name := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, f
}

// writeBreakdowns writes a workbook and its spec (company ZZB) into fresh
// inbox and specs folders and returns the run's config.
func writeBreakdowns(t *testing.T, sheets []breakdownSheet) Config {
	t.Helper()
	var names []string
	for _, sh := range sheets {
		names = append(names, sh.name)
	}
	cfg, f := specAndBook(t, "company: ZZB\nfiscal_year_end: December\nfiles: [\"zzb_*.xlsx\"]\nas_of: 2026-04-30\n", names...)
	defer f.Close()
	for _, sh := range sheets {
		rowsOut := [][]any{
			{"ZZB Holdings, Inc."},
			{sh.name + " (unaudited)"},
			{"(in millions)"},
			{"", "Q4 2025", "Q1 2026"},
		}
		block := func(heading, totalLabel string, vals [][2]float64, total [2]float64) {
			rowsOut = append(rowsOut, []any{heading})
			var sum [2]float64
			for j, seg := range sh.segments {
				rowsOut = append(rowsOut, []any{seg, vals[j][0], vals[j][1]})
				sum[0] += vals[j][0]
				sum[1] += vals[j][1]
			}
			if total != [2]float64{} {
				sum = total
			}
			if sh.total {
				rowsOut = append(rowsOut, []any{totalLabel, sum[0], sum[1]})
			}
			rowsOut = append(rowsOut, []any{})
		}
		block("Net sales:", "Total net sales", sh.revenue, sh.revenueTotal)
		if sh.income != nil {
			block("Operating income (loss):", "Total operating income (loss)", sh.income, [2]float64{})
		}
		for r, vals := range rowsOut {
			for c, v := range vals {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(sh.name, ref, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := f.SaveAs(filepath.Join(cfg.Inbox, "zzb_1q26_supplement.xlsx")); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The same totals split by segment and by geography, each sheet with its
// total rows, and a sheet of one segment without a total.
func twoBreakdowns() []breakdownSheet {
	return []breakdownSheet{
		{
			name:     "Segment Information",
			segments: []string{"Cloud Infrastructure", "Devices"},
			revenue:  [][2]float64{{600, 650}, {400, 420}},
			income:   [][2]float64{{150, 170}, {20, 25}},
			total:    true,
		},
		{
			name:     "Geographic Information",
			segments: []string{"Europe", "Asia Pacific", "Latin America"},
			revenue:  [][2]float64{{300, 320}, {500, 530}, {200, 220}},
			income:   [][2]float64{{50, 60}, {90, 100}, {30, 35}},
			total:    true,
		},
		{
			name:     "Cloud and AI",
			segments: []string{"AI Platform"},
			revenue:  [][2]float64{{120, 140}},
		},
	}
}

// Each breakdown adds up to its own total: summing the segments of every
// sheet would give twice the total (and more), which is no finding.
func TestSegmentSumTwoBreakdownsOfOneTotal(t *testing.T) {
	out := runWith(t, writeBreakdowns(t, twoBreakdowns()))
	for _, r := range out.get(t, "data_quality") {
		t.Errorf("finding %v %v %v %v: %v", r["check_name"], r["segment"], r["metric"], r["calendar_quarter"], r["detail"])
	}
	// Both sheets' totals and all the segments were read.
	facts := companyRows(t, out.dir, "facts_vintages", "ZZB")
	if n := len(where(facts, "segment", "Total", "metric", "revenue")); n != 4 {
		t.Errorf("%d Total revenue cells read, want 4 (2 sheets x 2 quarters)", n)
	}
	if n := len(where(facts, "metric", "revenue")); n != 2*(2+3+1+2) {
		t.Errorf("%d revenue cells read, want %d", n, 2*(2+3+1+2))
	}
}

// One breakdown off its total (Europe's Q1 2026 net sales 327, not 320): one
// finding, for that sheet, listing that sheet's cells only.
func TestSegmentSumOneBreakdownOff(t *testing.T) {
	sheets := twoBreakdowns()
	sheets[1].revenue = [][2]float64{{300, 327}, {500, 530}, {200, 220}}
	sheets[1].revenueTotal = [2]float64{1000, 1070}
	cfg := writeBreakdowns(t, sheets)

	out := runWith(t, cfg)
	dq := out.get(t, "data_quality")
	if len(dq) != 1 {
		for _, r := range dq {
			t.Logf("finding %v %v %v %v: %v", r["check_name"], r["segment"], r["metric"], r["calendar_quarter"], r["detail"])
		}
		t.Fatalf("%d findings, want 1", len(dq))
	}
	r := dq[0]
	if r["check_name"] != "segment_sum_mismatch" || r["company"] != "ZZB" || r["segment"] != "Total" ||
		r["metric"] != "revenue" || r["calendar_quarter"] != "2026Q1" || r["source_kind"] != "reported" {
		t.Errorf("finding %v", r)
	}
	near(t, r, "value", 1077e6, 0)
	near(t, r, "expected", 1070e6, 0)
	near(t, r, "difference", 7e6, 0)
	near(t, r, "tolerance", 0.5*1e6*4, 0)
	// Segments in name order (Asia Pacific C7, Europe C6, Latin America C8), then the Total C9.
	g := "zzb_1q26_supplement.xlsx:Geographic Information!"
	if want := g + "C7; " + g + "C6; " + g + "C8; " + g + "C9"; r["cells"] != want {
		t.Errorf("cells %v, want %v", r["cells"], want)
	}
	if r["as_of"] != "2026-04-30" || r["expected_as_of"] != "2026-04-30" {
		t.Errorf("vintages %v, %v", r["as_of"], r["expected_as_of"])
	}
	want := "revenue 2026Q1, zzb_1q26_supplement.xlsx:Geographic Information: the regions (Asia Pacific + Europe + Latin America) " +
		"sum to 1,077,000,000, the reported Total is 1,070,000,000: a difference of 7,000,000 beyond the tolerance of 2,000,000"
	if r["detail"] != want {
		t.Errorf("detail %q,\nwant %q", r["detail"], want)
	}
}

// One sheet disaggregates its revenue by line and by region: the breakdown
// column tells the two apart, and each split is checked against the Total
// on its own. Summed together they would be twice the Total.
func TestSegmentSumTwoBreakdownsOnOneSheet(t *testing.T) {
	const sheet = "Disaggregation of Revenue"
	cfg, f := specAndBook(t, "company: ZZB\nfiscal_year_end: December\nfiles: [\"zzb_*.xlsx\"]\nas_of: 2026-04-30\n", sheet)
	defer f.Close()
	rowsIn := [][]any{
		{"", "Q4 2025", "Q1 2026"},
		{"Net sales:"}, {"Cloud Infrastructure", 600, 650}, {"Devices", 400, 420}, {"Total net sales", 1000, 1070}, {},
		{"Net sales:"}, {"Europe", 300, 320}, {"Asia Pacific", 500, 530}, {"Latin America", 200, 227}, {"Total net sales", 1000, 1070},
	}
	for r, vals := range rowsIn {
		for c, v := range vals {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue(sheet, ref, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(filepath.Join(cfg.Inbox, "zzb_1q26_supplement.xlsx")); err != nil {
		t.Fatal(err)
	}
	out := runWith(t, cfg)
	facts := companyRows(t, out.dir, "facts_vintages", "ZZB")
	for seg, want := range map[string]string{"Cloud Infrastructure": "product_line", "Devices": "product_line",
		"Europe": "geography", "Asia Pacific": "geography", "Latin America": "geography", "Total": "total"} {
		for _, r := range where(facts, "segment", seg) {
			if r["breakdown"] != want {
				t.Errorf("%s %s: breakdown %v, want %s", seg, r["calendar_quarter"], r["breakdown"], want)
			}
		}
	}
	// Latin America is 7 off in Q1 2026: one finding, for the regions only.
	dq := out.get(t, "data_quality")
	if len(dq) != 1 {
		for _, r := range dq {
			t.Logf("finding %v: %v", r["check_name"], r["detail"])
		}
		t.Fatalf("%d findings, want 1", len(dq))
	}
	// (No caption gives a scale: whole dollars, each value 0.5 from rounding.)
	want := "revenue 2026Q1, zzb_1q26_supplement.xlsx:Disaggregation of Revenue: the regions (Asia Pacific + Europe + Latin America) " +
		"sum to 1,077, the reported Total is 1,070: a difference of 7 beyond the tolerance of 2"
	if dq[0]["detail"] != want {
		t.Errorf("detail %q,\nwant %q", dq[0]["detail"], want)
	}
}

// One segment beside the Total (a figure such as "Microsoft Cloud" that
// spans segments, on a sheet with total revenue) is no split of it: no
// finding, where summing it would give one.
func TestSegmentSumSkipsASingleSegment(t *testing.T) {
	sheets := twoBreakdowns()
	sheets = append(sheets, breakdownSheet{
		name: "Cloud Revenue", segments: []string{"Commercial Cloud"},
		revenue: [][2]float64{{500, 560}}, total: true, revenueTotal: [2]float64{1000, 1070},
	})
	out := runWith(t, writeBreakdowns(t, sheets))
	for _, r := range out.get(t, "data_quality") {
		t.Errorf("finding %v %v %v %v: %v", r["check_name"], r["segment"], r["metric"], r["calendar_quarter"], r["detail"])
	}
}
