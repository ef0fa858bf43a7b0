package bench

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
	"github.com/marginmix/marginmix/fixtures"
	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/pipeline"
	"github.com/marginmix/marginmix/transform"
)

// Benchmarks of each reading stage over one default earnings workbook
// (5 sheets, 3,705 cells, 3,360 facts) and of the analyses over synthetic
// facts. Run them with
//
//	go test -tags duckdb_arrow -run XXX -bench . ./bench/
//
// Each reports cells/s (or facts/s) beside ns/op.

var sample struct {
	once sync.Once
	dir  string
	path string
	set  fixtures.EarningsSet
	err  error
}

// earningsWorkbook generates one earnings workbook for the whole run.
func earningsWorkbook(b *testing.B) (string, fixtures.EarningsSet) {
	b.Helper()
	sample.once.Do(func() {
		sample.set = fixtures.NewEarningsSet(1)
		sample.dir, sample.err = os.MkdirTemp("", "marginmix-bench-")
		if sample.err == nil {
			sample.err = sample.set.Write(filepath.Join(sample.dir, "inbox"), filepath.Join(sample.dir, "specs"))
		}
		sample.path = filepath.Join(sample.dir, "inbox", fixtures.EarningsFile(0))
	})
	if sample.err != nil {
		b.Fatal(sample.err)
	}
	return sample.path, sample.set
}

var season struct {
	once sync.Once
	dir  string
	set  fixtures.EarningsSet
	err  error
}

// earningsSeason generates 40 earnings workbooks for the whole run.
func earningsSeason(b *testing.B) (string, fixtures.EarningsSet) {
	b.Helper()
	season.once.Do(func() {
		season.set = fixtures.NewEarningsSet(40)
		season.dir, season.err = os.MkdirTemp("", "marginmix-bench-")
		if season.err == nil {
			season.err = season.set.Write(filepath.Join(season.dir, "inbox"), filepath.Join(season.dir, "specs"))
		}
	})
	if season.err != nil {
		b.Fatal(season.err)
	}
	return season.dir, season.set
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{sample.dir, season.dir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// earningsSpec is the spec of earningsWorkbook's workbook.
func earningsSpec(b *testing.B) *transform.Spec {
	b.Helper()
	spec, err := transform.ParseSpecBytes("t0001.yaml", []byte(fixtures.EarningsSpec(0)))
	if err != nil {
		b.Fatal(err)
	}
	return spec
}

func reportCells(b *testing.B, cells int) {
	b.ReportMetric(float64(cells)*float64(b.N)/b.Elapsed().Seconds(), "cells/s")
}

func BenchmarkUnzipScan(b *testing.B) {
	path, set := earningsWorkbook(b)
	for b.Loop() {
		n, err := ZipCells(path)
		if err != nil || n != set.CellsPerWorkbook() {
			b.Fatalf("%d cells, %v", n, err)
		}
	}
	reportCells(b, set.CellsPerWorkbook())
}

func BenchmarkRawRead(b *testing.B) {
	path, set := earningsWorkbook(b)
	for b.Loop() {
		n, err := RawCells(path)
		if err != nil || n != set.CellsPerWorkbook() {
			b.Fatalf("%d cells, %v", n, err)
		}
	}
	reportCells(b, set.CellsPerWorkbook())
}

// BenchmarkExtract: extract.Open (verification, hashing) and ReadSheet over
// every sheet, as marginmix reads before transforming.
func BenchmarkExtract(b *testing.B) {
	path, set := earningsWorkbook(b)
	ctx := context.Background()
	for b.Loop() {
		wb, err := extract.Open(path, extract.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, sh := range wb.Sheets {
			if err := wb.ReadSheet(ctx, sh.Name, func(r extract.Row) error { n += len(r.Cells); return nil }); err != nil {
				b.Fatal(err)
			}
		}
		wb.Close()
		if n != set.CellsPerWorkbook() {
			b.Fatalf("%d cells, want %d", n, set.CellsPerWorkbook())
		}
	}
	reportCells(b, set.CellsPerWorkbook())
}

// BenchmarkTransform: extract and transform one workbook into facts, what a
// marginmix worker does per workbook.
func BenchmarkTransform(b *testing.B) {
	path, set := earningsWorkbook(b)
	spec := earningsSpec(b)
	ctx := context.Background()
	for b.Loop() {
		wb, err := extract.Open(path, extract.Options{Name: fixtures.EarningsFile(0)})
		if err != nil {
			b.Fatal(err)
		}
		res, err := transform.Workbook(ctx, wb, spec, transform.Options{SourceFile: fixtures.EarningsFile(0)})
		wb.Close()
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Facts) != set.FactsPerWorkbook() {
			b.Fatalf("%d facts, want %d", len(res.Facts), set.FactsPerWorkbook())
		}
	}
	reportCells(b, set.CellsPerWorkbook())
}

// BenchmarkWorker: what a marginmix worker does per workbook in a run:
// extract and transform it, the facts streamed in batches (transform's
// Options.Batch) and each batch made an Arrow record, as pipeline's
// readAttempt does before handing it to DuckDB.
func BenchmarkWorker(b *testing.B) {
	path, set := earningsWorkbook(b)
	spec := earningsSpec(b)
	ctx := context.Background()
	rows := int64(0)
	batch := func(facts []fact.Fact) error {
		rec := fact.Record(memory.DefaultAllocator, facts)
		rows += rec.NumRows()
		rec.Release()
		return nil
	}
	for b.Loop() {
		rows = 0
		wb, err := extract.Open(path, extract.Options{Name: fixtures.EarningsFile(0)})
		if err != nil {
			b.Fatal(err)
		}
		_, err = transform.Workbook(ctx, wb, spec, transform.Options{SourceFile: fixtures.EarningsFile(0), Batch: batch})
		wb.Close()
		if err != nil {
			b.Fatal(err)
		}
		if rows != int64(set.FactsPerWorkbook()) {
			b.Fatalf("%d facts, want %d", rows, set.FactsPerWorkbook())
		}
	}
	reportCells(b, set.CellsPerWorkbook())
}

// BenchmarkTransformParallel: BenchmarkTransform on every CPU at once
// (-cpu 1,2 shows how reading alone scales).
func BenchmarkTransformParallel(b *testing.B) {
	path, set := earningsWorkbook(b)
	spec := earningsSpec(b)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			wb, err := extract.Open(path, extract.Options{Name: fixtures.EarningsFile(0)})
			if err != nil {
				b.Error(err)
				return
			}
			_, err = transform.Workbook(ctx, wb, spec, transform.Options{SourceFile: fixtures.EarningsFile(0)})
			wb.Close()
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportCells(b, set.CellsPerWorkbook())
}

// BenchmarkRun: a whole first run (pipeline.Run) over 40 earnings workbooks
// on one worker, publishing into a new folder each time, with the default
// memory budget. Profile it with
// -cpuprofile to see where a run's time goes besides reading.
func BenchmarkRun(b *testing.B) {
	dir, set := earningsSeason(b)
	for b.Loop() {
		cfg := pipeline.Default()
		cfg.Inbox, cfg.Specs = filepath.Join(dir, "inbox"), filepath.Join(dir, "specs")
		cfg.Out = filepath.Join(b.TempDir(), "out")
		cfg.Workers = 1
		sum, err := pipeline.Run(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if sum.FactsRead != 40*set.FactsPerWorkbook() {
			b.Fatalf("%d facts read, want %d", sum.FactsRead, 40*set.FactsPerWorkbook())
		}
	}
	reportCells(b, 40*set.CellsPerWorkbook())
}

// BenchmarkAnalyses100k runs every analysis over 100,000 synthetic facts
// (bench/analyses runs them over 10 million).
func BenchmarkAnalyses100k(b *testing.B) {
	ctx := context.Background()
	db, err := load.Open(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := PrepareAndAnalyse(ctx, db, Setup{Facts: 100_000, Dir: b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	analyses, err := Analyses(0)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := load.RunAnalyses(ctx, db, analyses); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "facts/s")
}
