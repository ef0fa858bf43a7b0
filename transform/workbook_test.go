package transform

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/marginmix/marginmix/fact"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fixtures"
)

// sampleSpecs reads the bundled specs.
func sampleSpecs(t *testing.T) map[string]*Spec {
	t.Helper()
	out := map[string]*Spec{}
	entries, err := fs.ReadDir(fixtures.Specs(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(fixtures.Specs(), e.Name())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseSpecBytes(e.Name(), b)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = s
	}
	return out
}

// readSample transforms one bundled workbook with one bundled spec.
func readSample(t *testing.T, file, spec string, opt Options) *Result {
	t.Helper()
	b, err := fs.ReadFile(fixtures.Samples(), file)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	wb, err := extract.Open(p, extract.Options{Name: file})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	opt.SourceFile = file
	res, err := Workbook(context.Background(), wb, sampleSpecs(t)[spec], opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func find(t *testing.T, res *Result, company, segment, metric, quarter string) fact.Fact {
	t.Helper()
	var hits []fact.Fact
	for _, f := range res.Facts {
		if f.Company == company && f.Segment == segment && f.Metric == metric && f.CalendarQuarter == quarter {
			hits = append(hits, f)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("%s %s %s %s: %d facts, want 1", company, segment, metric, quarter, len(hits))
	}
	return hits[0]
}

func count(res *Result) map[string]int {
	n := map[string]int{}
	for _, f := range res.Facts {
		n[f.Company+"/"+f.Segment+"/"+f.Metric]++
	}
	return n
}

// The expected values below were read off the sample sheets by hand.
func TestSampleAMZN(t *testing.T) {
	res := readSample(t, "amzn_1q26_segments.xlsx", "amzn.yaml", Options{})
	want := fact.Fact{
		Company: "AMZN", Segment: "AWS", Metric: fact.Revenue, CalendarQuarter: "2026Q1", FiscalYear: 2026, FiscalQuarter: 1,
		PeriodEnd: d(2026, 3, 31), Value: 37800e6, Unit: "USD", SourceKind: "reported",
		SourceFile: "amzn_1q26_segments.xlsx", SourceSheet: "Segment Information", SourceCell: "Segment Information!J10",
		SourceSHA256: "", AsOf: d(2026, 4, 30), SourceScale: 1e6, SourceLabel: "AWS", Breakdown: fact.BreakdownSegment,
	}
	got := find(t, res, "AMZN", "AWS", fact.Revenue, "2026Q1")
	want.SourceSHA256 = got.SourceSHA256
	if len(got.SourceSHA256) != 64 || !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if f := find(t, res, "AMZN", "AWS", fact.OperatingIncome, "2025Q4"); f.Value != 12453e6 || f.SourceCell != "Segment Information!I16" {
		t.Errorf("AWS OI 2025Q4 = %v at %s", f.Value, f.SourceCell)
	}
	if f := find(t, res, "AMZN", fact.TotalSegment, fact.Revenue, "2024Q1"); f.Value != 143313e6 || f.SourceCell != "Segment Information!B11" {
		t.Errorf("consolidated revenue 2024Q1 = %v at %s", f.Value, f.SourceCell)
	}
	wantCounts := map[string]int{}
	for _, s := range []string{"North America", "International", "AWS", fact.TotalSegment} {
		wantCounts["AMZN/"+s+"/revenue"] = 9
		wantCounts["AMZN/"+s+"/operating_income"] = 9
	}
	if got := count(res); !reflect.DeepEqual(got, wantCounts) {
		t.Errorf("counts = %v", got)
	}
	// The growth block is in percent under a heading that is not a metric.
	// The sheet's unmapped rows make one finding that lists every cell.
	wantFindings := []Finding{{
		Sheet: "Segment Information", Cell: "A20",
		Message: `3 rows not mapped to a metric and segment; skipped: "North America" (A20), "International" (A21), "AWS" (A22)`,
		Cells:   []string{"A20", "A21", "A22"},
	}}
	if !reflect.DeepEqual(res.Findings, wantFindings) {
		t.Errorf("findings = %v", res.Findings)
	}
}

func TestSampleMSFT(t *testing.T) {
	res := readSample(t, "msft_fy26q3_segments.xlsx", "msft.yaml", Options{})
	f := find(t, res, "MSFT", "Intelligent Cloud", fact.OperatingIncome, "2026Q1")
	// Q3 FY26 is column L: 9 quarters and 2 annual columns after column A.
	if f.Value != 14088e6 || f.SourceCell != "Segment Results!L13" || f.FiscalYear != 2026 || f.FiscalQuarter != 3 || !f.PeriodEnd.Equal(d(2026, 3, 31)) {
		t.Errorf("IC OI Q3 FY26 = %+v", f)
	}
	f = find(t, res, "MSFT", "Intelligent Cloud", fact.Revenue, "2024Q3")
	if f.Value != 24092e6 || f.SourceCell != "Segment Results!E12" || f.FiscalYear != 2025 || f.FiscalQuarter != 1 {
		t.Errorf("IC revenue Q1 FY25 = %+v (the annual FY2024 column D must be skipped)", f)
	}
	for k, n := range count(res) {
		if n != 9 {
			t.Errorf("%s: %d facts, want 9 (annual columns read as quarters?)", k, n)
		}
	}
	if len(count(res)) != 8 {
		t.Errorf("series = %v", count(res))
	}
}

func TestSampleORCLParenthesisedText(t *testing.T) {
	res := readSample(t, "orcl_fy26q3_segments.xlsx", "orcl.yaml", Options{})
	f := find(t, res, "ORCL", "Corporate", fact.OperatingIncome, "2024Q1")
	if f.Value != -3560e6 || f.SourceCell != "Segments!B16" || !f.PeriodEnd.Equal(d(2024, 2, 29)) || f.FiscalYear != 2024 || f.FiscalQuarter != 3 {
		t.Errorf("corporate OI FY24 Q3 = %+v", f)
	}
	if f := find(t, res, "ORCL", "Services", fact.OperatingIncome, "2025Q1"); f.Value != -21e6 {
		t.Errorf("services OI FY25 Q3 = %v, want -21e6", f.Value)
	}
	if f := find(t, res, "ORCL", "Cloud and License", fact.Revenue, "2026Q1"); f.Value != 13100e6 || f.FiscalQuarter != 3 {
		t.Errorf("cloud and license revenue FY26 Q3 = %+v", f)
	}
}

func TestSampleGOOGLAndCRWV(t *testing.T) {
	res := readSample(t, "googl_1q26_segments.xlsx", "googl.yaml", Options{})
	// "Hedging gains (losses)" is mapped by the spec.
	if f := find(t, res, "GOOGL", "Alphabet-level activities", fact.Revenue, "2025Q2"); f.Value != -19e6 || f.SourceCell != "Segment Results!G10" {
		t.Errorf("hedging gains 2025Q2 = %+v", f)
	}
	if f := find(t, res, "GOOGL", fact.TotalSegment, fact.OperatingIncome, "2026Q1"); f.SourceCell != "Segment Results!J18" {
		t.Errorf("total OI at %s", f.SourceCell)
	}
	res = readSample(t, "crwv_1q26_financials.xlsx", "crwv.yaml", Options{})
	if f := find(t, res, "CRWV", fact.TotalSegment, fact.OperatingIncome, "2026Q1"); f.Value != -17e6 || f.SourceCell != "Financial Summary!J7" {
		t.Errorf("CRWV OI 1Q26 = %+v", f)
	}
	if len(res.Facts) != 18 || len(res.Findings) != 1 || len(res.Findings[0].Cells) != 2 {
		t.Errorf("%d facts, findings %v", len(res.Facts), res.Findings)
	}
}

func TestSampleModelLongLayout(t *testing.T) {
	msft := Calendar{FYEndMonth: time.June}
	res := readSample(t, "model_cloud_ai_1q26.xlsx", "model.yaml", Options{
		Calendar: func(c string) (Calendar, bool) { return msft, c == "MSFT" },
	})
	f := find(t, res, "AMZN", "AWS", fact.AIRevenueTaaS, "2026Q1")
	if f.Value != 1375e6 || f.Unit != "USD" || f.SourceKind != "estimate" || f.SourceCell != "Model!E22" || !f.AsOf.Equal(d(2026, 5, 15)) {
		t.Errorf("TaaS 2026Q1 = %+v", f)
	}
	if f := find(t, res, "AMZN", "AWS", fact.ServerUsefulLife, "2025Q3"); f.Value != 5 || f.Unit != "years" || f.SourceScale != 1 {
		t.Errorf("AWS server life = %+v", f)
	}
	if f := find(t, res, "CRWV", fact.TotalSegment, fact.CapacityMW, "2024Q1"); f.Value != 300 || f.Unit != "MW" {
		t.Errorf("CRWV capacity = %+v", f)
	}
	// MSFT rows take MSFT's June fiscal year from the calendar lookup.
	if f := find(t, res, "MSFT", "Intelligent Cloud", fact.DepreciationAmortization, "2026Q1"); f.FiscalYear != 2026 || f.FiscalQuarter != 3 {
		t.Errorf("MSFT D&A fiscal labels = FY%d Q%d", f.FiscalYear, f.FiscalQuarter)
	}
	if len(res.Facts) != 28*9 {
		t.Errorf("%d facts, want %d", len(res.Facts), 28*9)
	}
}

// A vintage date older than the data it dates is a finding about the
// workbook, whether it came from the modified date or the spec; the facts
// keep it.
func TestOldVintageNoted(t *testing.T) {
	for _, tt := range []struct {
		spec     string
		modified time.Time
		want     string
	}{
		{"", d(2006, 9, 16), "the vintage date 2006-09-16 (the workbook's modified date) is older than the latest period it dates, 2026-06-30; the facts keep it as their as_of: set as_of in the spec to the date of the report"},
		{"as_of: 2026-05-01\n", d(2026, 8, 1), "the vintage date 2026-05-01 (the spec's as_of) is older than the latest period it dates, 2026-06-30; the facts keep it as their as_of: set as_of in the spec to the date of the report"},
		{"", d(2026, 7, 30), ""},
		{"source_kind: estimate\nas_of: 2026-05-01\n", time.Time{}, ""},
	} {
		spec, err := ParseSpecBytes("test.yaml", []byte(baseSpec+tt.spec))
		if err != nil {
			t.Fatal(err)
		}
		rd := newReader(book{name: "test.xlsx", formulas: fakeFormulas{}}, spec, Options{}, tt.modified, "")
		if err := feedSheet(rd, "Sheet1", rows("|Q1 2026|Q2 2026", "Revenue|1|2")); err != nil {
			t.Fatal(err)
		}
		res, err := rd.done()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.String())
		}
		if tt.want == "" && len(got) != 0 || tt.want != "" && !reflect.DeepEqual(got, []string{tt.want}) {
			t.Errorf("modified %s, spec %q: findings %q, want %q", tt.modified.Format(time.DateOnly), tt.spec, got, tt.want)
		}
		if res.Facts[0].AsOf.IsZero() || !tt.modified.IsZero() && res.Facts[0].AsOf.After(tt.modified) {
			t.Errorf("as_of %v", res.Facts[0].AsOf)
		}
	}
}

// A worker's fact buffer outlives garbage collections between workbooks:
// a sync.Pool dropped it at every other one, and most workbooks then
// allocated and zeroed BatchSize facts anew (BenchmarkWorker: 3.4 MB a
// workbook instead of 2.6 MB, 12.0 ms instead of 10.4 ms).
func TestBatchBufferOutlivesCollections(t *testing.T) {
	for len(batchBufs) > 0 { // what other tests left
		<-batchBufs
	}
	buf := batchBuf()
	if len(buf) != 0 || cap(buf) != BatchSize {
		t.Fatalf("a new buffer has %d facts, room for %d; want 0 and %d", len(buf), cap(buf), BatchSize)
	}
	buf = append(buf, fact.Fact{Company: "AMZN"})
	clear(buf)
	putBatchBuf(buf)
	runtime.GC()
	runtime.GC()
	again := batchBuf()
	if len(again) != 0 || cap(again) != BatchSize || &again[:1][0] != &buf[0] {
		t.Errorf("after two collections batchBuf gave a new buffer (%d facts, room for %d)", len(again), cap(again))
	}
	// One buffer per CPU is kept; the rest go to the collector.
	for i := 0; i < cap(batchBufs)+3; i++ {
		putBatchBuf(make([]fact.Fact, 0, BatchSize))
	}
	if len(batchBufs) != runtime.GOMAXPROCS(0) {
		t.Errorf("%d buffers kept, want %d", len(batchBufs), runtime.GOMAXPROCS(0))
	}
}

// Batch mode passes the same facts as Result.Facts holds without it, for
// workbook after workbook (the buffer is reused across workbooks), in
// batches of at most BatchSize; only AsOf is left for load to fill in.
func TestBatchSameFactsWorkbookAfterWorkbook(t *testing.T) {
	defer func(n int) { BatchSize = n }(BatchSize)
	BatchSize = 7
	for _, c := range []struct{ file, spec string }{
		{"amzn_1q26_segments.xlsx", "amzn.yaml"},
		{"msft_fy26q3_segments.xlsx", "msft.yaml"},
		{"amzn_1q26_segments.xlsx", "amzn.yaml"},
	} {
		whole := readSample(t, c.file, c.spec, Options{})
		var got []fact.Fact
		batches := 0
		res := readSample(t, c.file, c.spec, Options{Batch: func(b []fact.Fact) error {
			if len(b) == 0 || len(b) > BatchSize {
				t.Errorf("%s: a batch of %d facts", c.file, len(b))
			}
			batches++
			got = append(got, b...)
			return nil
		}})
		if res.Facts != nil || res.Count != len(whole.Facts) || len(got) != len(whole.Facts) {
			t.Fatalf("%s: Facts %d, Count %d, batched %d, want %d", c.file, len(res.Facts), res.Count, len(got), len(whole.Facts))
		}
		if want := (len(got) + BatchSize - 1) / BatchSize; batches != want {
			t.Errorf("%s: %d batches, want %d", c.file, batches, want)
		}
		for i := range got {
			w := whole.Facts[i]
			w.AsOf = got[i].AsOf
			if !got[i].AsOf.IsZero() && !got[i].AsOf.Equal(whole.Facts[i].AsOf) || got[i] != w {
				t.Fatalf("%s: fact %d\n got  %+v\n want %+v", c.file, i, got[i], whole.Facts[i])
			}
		}
	}
}
