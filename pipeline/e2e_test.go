//go:build duckdb_arrow

package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/xuri/excelize/v2"

	"github.com/marginmix/marginmix/fixtures"
	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/transform"
)

// readParquet reads a file with arrow-go's Parquet reader, independent of
// DuckDB's writer.
func readParquet(t *testing.T, path string) arrow.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), f, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Cleanup(tbl.Release)
	return tbl
}

// rows turns a table into maps from column name to Go value.
// companyRows reads every file of a fact dataset in out, in file-name
// order, and keeps the rows of one company.
func companyRows(t *testing.T, out, dataset, company string) []map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, dataset, "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s/%s: no Parquet files (%v)", out, dataset, err)
	}
	sort.Strings(files)
	var hit []map[string]any
	for _, f := range files {
		hit = append(hit, where(rows(t, readParquet(t, f)), "company", company)...)
	}
	return hit
}

// factFilesHolding lists the fact dataset files in out that hold a row of
// company, as paths below out.
func factFilesHolding(t *testing.T, out, company string) []string {
	t.Helper()
	var hit []string
	for _, ds := range load.FactDatasets {
		files, _ := filepath.Glob(filepath.Join(out, ds, "*.parquet"))
		for _, f := range files {
			if len(where(rows(t, readParquet(t, f)), "company", company)) > 0 {
				rel, _ := filepath.Rel(out, f)
				hit = append(hit, filepath.ToSlash(rel))
			}
		}
	}
	return hit
}

// factRowsBut is every fact dataset's rows in out, by dataset and company,
// but those of company skip.
func factRowsBut(t *testing.T, out, skip string) map[string][]map[string]any {
	t.Helper()
	byCo := map[string][]map[string]any{}
	for _, ds := range load.FactDatasets {
		files, _ := filepath.Glob(filepath.Join(out, ds, "*.parquet"))
		sort.Strings(files)
		for _, f := range files {
			for _, r := range rows(t, readParquet(t, f)) {
				if co := r["company"].(string); co != skip {
					byCo[ds+"/"+co] = append(byCo[ds+"/"+co], r)
				}
			}
		}
	}
	return byCo
}

func rows(t *testing.T, tbl arrow.Table) []map[string]any {
	t.Helper()
	var out []map[string]any
	tr := array.NewTableReader(tbl, 1024)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			m := map[string]any{}
			for c, f := range rec.Schema().Fields() {
				col := rec.Column(c)
				if col.IsNull(i) {
					m[f.Name] = nil
					continue
				}
				switch a := col.(type) {
				case *array.String:
					m[f.Name] = a.Value(i)
				case *array.Float64:
					m[f.Name] = a.Value(i)
				case *array.Int32:
					m[f.Name] = int(a.Value(i))
				case *array.Int64:
					m[f.Name] = int(a.Value(i))
				case *array.Date32:
					m[f.Name] = a.Value(i).ToTime().Format("2006-01-02")
				default:
					m[f.Name] = col.ValueStr(i)
				}
			}
			out = append(out, m)
		}
	}
	return out
}

func runSamples(t *testing.T, out string) *Summary {
	t.Helper()
	cfg := Default()
	cfg.Out = out
	sum, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func pick(t *testing.T, rs []map[string]any, kv ...string) map[string]any {
	t.Helper()
	var hit []map[string]any
	for _, r := range rs {
		ok := true
		for i := 0; i < len(kv); i += 2 {
			if r[kv[i]] != kv[i+1] {
				ok = false
			}
		}
		if ok {
			hit = append(hit, r)
		}
	}
	if len(hit) != 1 {
		t.Fatalf("%v: %d rows", kv, len(hit))
	}
	return hit[0]
}

// slopeBps is the OLS slope of margins (fractions) over 0..n-1, in bp per quarter.
func slopeBps(ms []float64) float64 {
	n := float64(len(ms))
	var sx, sy, sxx, sxy float64
	for i, y := range ms {
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx) * 10000
}

func TestEndToEndSamples(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	sum := runSamples(t, out)
	if len(sum.Inputs) != 7 || sum.Quarantined != 0 || sum.FactsRead != 657 || sum.Facts != 585 || sum.Read != 7 || !sum.Published {
		t.Fatalf("summary = %+v", sum)
	}
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	// Every output opens with arrow-go and holds the rows the manifest says.
	for _, o := range m.Outputs {
		tbl := readParquet(t, filepath.Join(out, o.Path))
		if tbl.NumRows() != o.Rows {
			t.Errorf("%s: %d rows, manifest says %d", o.Path, tbl.NumRows(), o.Rows)
		}
	}
	for _, want := range []string{"segment_margins.parquet", "ai_mix.parquet", "facts/part-AMZN.parquet", "facts_vintages/part-AMZN.parquet"} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Errorf("missing %s", want)
		}
	}

	sm := rows(t, readParquet(t, filepath.Join(out, "segment_margins.parquet")))
	aws := pick(t, sm, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
	if bp := aws["margin_qoq_bps"].(float64); math.Abs(bp-213) > 1 {
		t.Errorf("AWS 2026Q1 margin_qoq_bps = %.2f, want 213 ± 1", bp)
	}
	// Recompute from the inputs: operating income / revenue at the source.
	wantMargin := 14035.0 / 37800.0
	if got := aws["operating_margin"].(float64); math.Abs(got-wantMargin) > 1e-12 {
		t.Errorf("AWS 2026Q1 margin = %v, want %v", got, wantMargin)
	}
	if got := aws["revenue_run_rate"].(float64); got != 4*37800e6 {
		t.Errorf("run rate = %v", got)
	}

	// Among the five cloud segments only AWS's margin rises over the last
	// four quarters (OLS slope above +25 bp/quarter).
	peers := map[string]string{"AMZN": "AWS", "MSFT": "Intelligent Cloud", "GOOGL": "Google Cloud", "ORCL": "Cloud and License", "CRWV": "Total"}
	for co, seg := range peers {
		var ms []float64
		for _, q := range []string{"2025Q2", "2025Q3", "2025Q4", "2026Q1"} {
			ms = append(ms, pick(t, sm, "company", co, "segment", seg, "calendar_quarter", q)["operating_margin"].(float64))
		}
		rising := slopeBps(ms) > 25
		if rising != (co == "AMZN") {
			t.Errorf("%s %s: slope %.1f bp/q, rising=%v", co, seg, slopeBps(ms), rising)
		}
	}

	mix := rows(t, readParquet(t, filepath.Join(out, "ai_mix.parquet")))
	q1 := pick(t, mix, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2025Q1")
	q5 := pick(t, mix, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
	if s := q1["taas_share"].(float64); math.Abs(s-0.09) > 0.0005 {
		t.Errorf("TaaS share 2025Q1 = %v, want 0.09", s)
	}
	if s := q5["taas_share"].(float64); math.Abs(s-0.37) > 0.0005 {
		t.Errorf("TaaS share 2026Q1 = %v, want 0.37", s)
	}
	if rr := q5["taas_run_rate"].(float64); math.Abs(rr-5.5e9) > 0.05e9 {
		t.Errorf("TaaS run rate = %v, want about 5.5e9", rr)
	}
	if pp := q5["taas_share_yoy_pp"].(float64); math.Abs(pp-(1375.0/3716-0.09)*100) > 1e-9 {
		t.Errorf("TaaS share Y/Y = %v pp", pp)
	}
}

// Every fact's source_cell holds the value it came from: the number written
// there times source_scale.
func TestLineageCellsHoldValues(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	runSamples(t, out)
	books := map[string]*excelize.File{}
	defer func() {
		for _, f := range books {
			f.Close()
		}
	}()
	n := 0
	for _, co := range []string{"AMZN", "MSFT", "GOOGL", "ORCL", "CRWV"} {
		for _, dir := range []string{"facts", "facts_vintages"} {
			for _, r := range companyRows(t, out, dir, co) {
				file := r["source_file"].(string)
				f := books[file]
				if f == nil {
					b, err := fs.ReadFile(fixtures.Samples(), file)
					if err != nil {
						t.Fatal(err)
					}
					if f, err = excelize.OpenReader(strings.NewReader(string(b))); err != nil {
						t.Fatal(err)
					}
					books[file] = f
				}
				sheet, cell, _ := strings.Cut(r["source_cell"].(string), "!")
				if sheet != r["source_sheet"] {
					t.Fatalf("source_cell %s vs sheet %s", r["source_cell"], r["source_sheet"])
				}
				raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				v, kind := transform.ParseNumber(raw)
				if kind != transform.Number {
					t.Fatalf("%s %s: cell holds %q", file, r["source_cell"], raw)
				}
				if wantScale := map[bool]float64{true: 1e6, false: 1}[r["unit"] == "USD"]; r["source_scale"] != wantScale {
					t.Errorf("%s %s: source_scale %v, want %v", file, r["source_cell"], r["source_scale"], wantScale)
				}
				if v*r["source_scale"].(float64) != r["value"].(float64) {
					t.Errorf("%s %s: cell %q, fact %v", file, r["source_cell"], raw, r["value"])
				}
				n++
			}
		}
	}
	if n != 585+657 {
		t.Errorf("checked %d facts, want %d", n, 585+657)
	}
}

func outputsOf(t *testing.T, out string) []load.Output {
	t.Helper()
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	return m.Outputs
}

func TestRerunsAreByteIdentical(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	runSamples(t, a)
	runSamples(t, b)
	first := outputsOf(t, a)
	runSamples(t, a) // over an existing publication
	if again := outputsOf(t, a); !reflect.DeepEqual(first, again) || !reflect.DeepEqual(first, outputsOf(t, b)) {
		t.Fatalf("outputs differ between runs")
	}
	for _, o := range first {
		x, _ := os.ReadFile(filepath.Join(a, o.Path))
		y, _ := os.ReadFile(filepath.Join(b, o.Path))
		if string(x) != string(y) || len(x) == 0 {
			t.Errorf("%s differs", o.Path)
		}
	}
	if es, _ := os.ReadDir(root); len(es) != 4 { // a, b and their two lock files
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Errorf("beside the outputs: %v", names)
	}
}

func copySamples(t *testing.T, dst string) {
	t.Helper()
	err := fs.WalkDir(fixtures.Samples(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fixtures.Samples(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, p), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestQuarantineAndGoOn(t *testing.T) {
	inbox := t.TempDir()
	copySamples(t, inbox)
	os.WriteFile(filepath.Join(inbox, "amzn_broken.xlsx"), []byte("PK\x03\x04 not really"), 0o644)
	os.WriteFile(filepath.Join(inbox, "unknown_co.xlsx"), []byte("whatever"), 0o644)
	os.WriteFile(filepath.Join(inbox, "~$amzn_1q26_segments.xlsx"), []byte("lock"), 0o644)
	os.MkdirAll(filepath.Join(inbox, "_old"), 0o755)
	os.WriteFile(filepath.Join(inbox, "_old", "amzn_x.xlsx"), []byte("ignored"), 0o644)
	out := filepath.Join(t.TempDir(), "out")
	cfg := Default()
	cfg.Inbox, cfg.Out = inbox, out
	sum, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Inputs) != 9 || sum.Quarantined != 2 || sum.FactsRead != 657 || sum.Facts != 585 {
		t.Fatalf("summary = %+v", sum)
	}
	m, _ := load.ReadManifest(filepath.Join(out, load.ManifestName))
	got := map[string]string{}
	for _, in := range m.Inputs {
		if in.Status == load.StatusQuarantined {
			got[in.Path] = in.Reason
			if len(in.SHA256) != 64 {
				t.Errorf("%s: no sha256", in.Path)
			}
		}
	}
	want := map[string]string{
		"amzn_broken.xlsx": "amzn_broken.xlsx: corrupt workbook: zip: not a valid zip file",
		"unknown_co.xlsx":  "unknown_co.xlsx: no spec matches this file (add one to the specs folder)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("quarantined = %v", got)
	}
	reason, err := os.ReadFile(filepath.Join(out, "_quarantine", "amzn_broken.xlsx.reason.txt"))
	if err != nil || string(reason) != want["amzn_broken.xlsx"]+"\n" {
		t.Fatalf("reason file = %q, %v", reason, err)
	}
	if _, err := os.Stat(filepath.Join(out, "_quarantine", "amzn_broken.xlsx")); err != nil {
		t.Fatal(err)
	}
}

func TestSecondWriterFailsAndLeavesOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	runSamples(t, out)
	before := outputsOf(t, out)
	l, err := load.Acquire(out, "backfill")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	cfg := Default()
	cfg.Out = out
	_, err = Run(context.Background(), cfg, nil)
	var le *load.LockError
	if !errors.As(err, &le) || le.Holder.PID != os.Getpid() || le.Holder.Command != "backfill" {
		t.Fatalf("err = %v", err)
	}
	if !reflect.DeepEqual(before, outputsOf(t, out)) {
		t.Fatal("output changed")
	}
}

func TestConfigErrors(t *testing.T) {
	with := func(f func(*Config)) Config {
		c := Default()
		f(&c)
		return c
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{with(func(c *Config) { c.Out = "" }), "out: must not be empty"},
		{with(func(c *Config) { c.Workers = 0 }), "workers: 0: must be at least 1"},
		{with(func(c *Config) { c.Inbox = "/does/not/exist" }), "inbox: stat /does/not/exist: no such file or directory"},
		{with(func(c *Config) { c.SQL = "/does/not/exist" }), "sql: stat /does/not/exist: no such file or directory"},
		{with(func(c *Config) { c.Params.TrendWindow = 1 }), "trend-window: 1: must be at least 2 quarters"},
		{with(func(c *Config) { c.Params.CommonServerLifeYears = 0 }), "common-server-life: 0: must be positive"},
	} {
		_, err := Run(context.Background(), tc.cfg, nil)
		var ce *ConfigError
		if !errors.As(err, &ce) || err.Error() != tc.want {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	specs := t.TempDir()
	os.WriteFile(filepath.Join(specs, "bad.yaml"), []byte("company: X\n"), 0o644)
	cfg := Default()
	cfg.Specs, cfg.Out = specs, filepath.Join(t.TempDir(), "out")
	_, err := Run(context.Background(), cfg, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || err.Error() != "specs: spec bad.yaml: files: required: at least one file glob" {
		t.Errorf("err = %v", err)
	}
}

func TestOwnSQLBecomesADataset(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "mysql")
	os.MkdirAll(own, 0o755)
	os.WriteFile(filepath.Join(own, "aws_margin_gap.sql"), []byte(`-- AWS margin minus the average of the other cloud segments
SELECT calendar_quarter,
       operating_margin - getvariable('common_server_life_years') / 100 AS x
FROM segment_margins
WHERE company = 'AMZN' AND segment = 'AWS'
ORDER BY calendar_quarter;
`), 0o644)
	cfg := Default()
	cfg.SQL, cfg.Out = own, filepath.Join(dir, "out")
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	got := rows(t, readParquet(t, filepath.Join(cfg.Out, "aws_margin_gap.parquet")))
	if len(got) != 9 || got[8]["calendar_quarter"] != "2026Q1" || math.Abs(got[8]["x"].(float64)-(14035.0/37800-0.06)) > 1e-12 {
		t.Fatalf("rows = %v", got)
	}

	os.WriteFile(filepath.Join(own, "zz_broken.sql"), []byte("SELECT 1,\n  missing_column\nFROM facts\n"), 0o644)
	_, err := Run(context.Background(), cfg, nil)
	if err == nil || !strings.HasPrefix(err.Error(), own+"/zz_broken.sql:2: ") {
		t.Fatalf("err = %v", err)
	}
	os.Remove(filepath.Join(own, "zz_broken.sql"))
	os.WriteFile(filepath.Join(own, "ai_mix.sql"), []byte("SELECT 1"), 0o644)
	_, err = Run(context.Background(), cfg, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || err.Error() != "sql: "+own+`/ai_mix.sql: dataset "ai_mix" already exists; rename the file` {
		t.Fatalf("err = %v", err)
	}
}
