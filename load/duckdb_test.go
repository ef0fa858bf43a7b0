//go:build duckdb_arrow

package load

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/marginmix/marginmix/fact"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func testFacts(n int) []fact.Fact {
	var out []fact.Fact
	for i := 0; i < n; i++ {
		q := i%4 + 1
		out = append(out, fact.Fact{
			Company: []string{"AMZN", "MSFT", "GOOGL"}[i%3], Segment: fmt.Sprintf("S%d", i%5), Metric: "revenue",
			CalendarQuarter: fmt.Sprintf("%dQ%d", 2020+i/4, q), FiscalYear: 2020 + i/4, FiscalQuarter: q,
			PeriodEnd: time.Date(2020+i/4, time.Month(3*q), 28, 0, 0, 0, 0, time.UTC),
			Value:     float64(i) * 1.5, Unit: "USD", SourceKind: "reported",
			SourceFile: "f.xlsx", SourceSheet: "S", SourceCell: fmt.Sprintf("S!B%d", i+1),
			SourceSHA256: "abc", AsOf: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC),
		})
	}
	return out
}

func openDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func loadFacts(t *testing.T, db *DB, facts []fact.Fact, batches int) {
	t.Helper()
	var recs []arrow.RecordBatch
	per := (len(facts) + batches - 1) / batches
	for i := 0; i < len(facts); i += per {
		recs = append(recs, fact.Record(memory.DefaultAllocator, facts[i:min(i+per, len(facts))]))
	}
	rdr, err := array.NewRecordReader(fact.Schema, recs)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTableFromArrow(context.Background(), NewFacts, rdr); err != nil {
		t.Fatal(err)
	}
}

// buildFacts runs a first run's BuildFacts into dir (a new temporary
// folder when dir is "").
func buildFacts(t *testing.T, db *DB, dir string) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if err := BuildFacts(context.Background(), db, Combine{Seq: 1}, dir); err != nil {
		t.Fatal(err)
	}
}

// duckdb-go's Arrow view returns wrong values under projection or filter and
// can be read only once. CreateTableFromArrow must hide both: this test
// projects, filters and re-reads the materialised table and compares every
// value with the input.
func TestArrowMaterialisedExactly(t *testing.T) {
	db := openDB(t)
	facts := testFacts(5000)
	loadFacts(t, db, facts, 7)
	ctx := context.Background()
	for round := 0; round < 2; round++ {
		rows, err := db.Conn().QueryContext(ctx,
			"SELECT source_cell, value, period_end, fiscal_year FROM shared.facts_new WHERE company = 'MSFT' AND value > 100 ORDER BY value")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var cell string
			var v float64
			var pe time.Time
			var fy int32
			if err := rows.Scan(&cell, &v, &pe, &fy); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %v %s %d", cell, v, pe.Format("2006-01-02"), fy))
		}
		rows.Close()
		var want []string
		for _, f := range facts {
			if f.Company == "MSFT" && f.Value > 100 {
				want = append(want, fmt.Sprintf("%s %v %s %d", f.SourceCell, f.Value, f.PeriodEnd.Format("2006-01-02"), f.FiscalYear))
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: %d rows, want %d; first got %v want %v", round, len(got), len(want), got[:min(3, len(got))], want[:3])
		}
	}
	var n int
	if err := db.Conn().QueryRowContext(ctx, "SELECT count(*) FROM duckdb_views() WHERE view_name LIKE 'arrow_in_%'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("arrow views left behind: %d, %v", n, err)
	}
}

func TestNoExtensionDownloads(t *testing.T) {
	db := openDB(t)
	var install, load string
	err := db.Conn().QueryRowContext(context.Background(),
		"SELECT current_setting('autoinstall_known_extensions')::VARCHAR, current_setting('autoload_known_extensions')::VARCHAR").Scan(&install, &load)
	if err != nil || install != "false" || load != "false" {
		t.Fatalf("autoinstall=%s autoload=%s err=%v", install, load, err)
	}
}

func buildInto(t *testing.T, facts []fact.Fact, dir string) []Output {
	t.Helper()
	db := openDB(t)
	loadFacts(t, db, facts, 3)
	ctx := context.Background()
	an := []Analysis{{Name: "by_company", Source: "test.sql", SQL: "SELECT company, sum(value) AS total FROM facts GROUP BY company ORDER BY company"}}
	buildFacts(t, db, dir)
	if err := RunAnalyses(ctx, db, an); err != nil {
		t.Fatal(err)
	}
	for _, a := range an { // as a run writes them (pipeline's analyse)
		if err := WriteAndView(ctx, db, dir, a); err != nil {
			t.Fatal(err)
		}
	}
	out, err := Outputs(ctx, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParquetByteIdentical(t *testing.T) {
	facts := testFacts(3000)
	a := buildInto(t, facts, filepath.Join(t.TempDir(), "a"))
	// The same facts in another order give the same files.
	rev := append([]fact.Fact(nil), facts...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	b := buildInto(t, rev, filepath.Join(t.TempDir(), "b"))
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("outputs differ:\n%v\n%v", a, b)
	}
	var paths []string
	var rows int64
	for _, o := range a {
		paths = append(paths, o.Path)
		if strings.HasPrefix(o.Path, "facts/") {
			rows += o.Rows
		}
	}
	wantPaths := []string{"by_company.parquet", "facts/part-AMZN.parquet", "facts_vintages/part-AMZN.parquet"}
	if !reflect.DeepEqual(paths, wantPaths) || rows != 3000 {
		t.Fatalf("paths %v, fact rows %d", paths, rows)
	}
}

func TestLatestVintageWins(t *testing.T) {
	old := testFacts(1)[0]
	newer := old
	newer.Value, newer.AsOf, newer.SourceFile = 99, old.AsOf.AddDate(0, 3, 0), "restated.xlsx"
	db := openDB(t)
	loadFacts(t, db, []fact.Fact{newer, old}, 1)
	ctx := context.Background()
	buildFacts(t, db, "")
	var v float64
	var n int
	if err := db.Conn().QueryRowContext(ctx, "SELECT value FROM facts").Scan(&v); err != nil || v != 99 {
		t.Fatalf("facts value = %v, %v", v, err)
	}
	if err := db.Conn().QueryRowContext(ctx, "SELECT count(*) FROM facts_vintages").Scan(&n); err != nil || n != 2 {
		t.Fatalf("vintages = %d, %v", n, err)
	}
}

func TestAnalysisErrorNamesFile(t *testing.T) {
	db := openDB(t)
	loadFacts(t, db, testFacts(3), 1)
	buildFacts(t, db, "")
	err := RunAnalyses(context.Background(), db, []Analysis{{Name: "broken", Source: "mine/broken.sql", SQL: "-- a comment\nSELECT company,\n       nope\nFROM facts;\n"}})
	var ae *AnalysisError
	if !errors.As(err, &ae) || ae.Source != "mine/broken.sql" || ae.Line != 3 || !strings.HasPrefix(err.Error(), "mine/broken.sql:3: ") {
		t.Fatalf("err = %v", err)
	}
	err = RunAnalyses(context.Background(), db, []Analysis{{Name: "Bad-Name", Source: "x.sql", SQL: "SELECT 1"}})
	if err == nil || err.Error() != `x.sql: dataset name "Bad-Name" must be lower case letters, digits and _` {
		t.Fatalf("err = %v", err)
	}
}

// TestColumnAddedSinceLastPublication: the previous publication was written
// before a column existed (here source_label and source_scale). Read again,
// its facts are the same vintages: they keep the run that first read them,
// take the new columns' values, and are not doubled.
func TestColumnAddedSinceLastPublication(t *testing.T) {
	ctx := context.Background()
	facts := testFacts(12)
	for i := range facts {
		facts[i].SourceLabel, facts[i].SourceScale = fmt.Sprintf("Segment %d", i), 1e6
	}
	root := t.TempDir()
	first := filepath.Join(root, "first")
	db := openDB(t)
	loadFacts(t, db, facts, 1)
	buildFacts(t, db, first)
	// The same publication as an older marginmix wrote it: without the
	// columns, and in a folder per company (the layout before issue 15).
	older := filepath.Join(root, "older", "facts_vintages")
	os.MkdirAll(filepath.Dir(older), 0o755)
	q := `COPY (SELECT * EXCLUDE (source_label, source_scale) FROM read_parquet(` + Literal(filepath.Join(first, "facts_vintages", "*.parquet")) + `)) TO ` + Literal(older) + ` (FORMAT parquet, PARTITION_BY (company))`
	if err := db.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}

	db2 := openDB(t)
	loadFacts(t, db2, facts, 1)
	c := Combine{PrevVintages: older, Seq: 2, Reread: []FileVersion{{File: "f.xlsx", SHA256: "abc"}}}
	if err := BuildFacts(ctx, db2, c, filepath.Join(root, "second")); err != nil {
		t.Fatal(err)
	}
	var n, labelled, minSeq, maxSeq int
	var minScale float64
	err := db2.Conn().QueryRowContext(ctx, `SELECT count(*), count(source_label), min(ingest_seq), max(ingest_seq), min(source_scale) FROM facts_vintages`).
		Scan(&n, &labelled, &minSeq, &maxSeq, &minScale)
	if err != nil {
		t.Fatal(err)
	}
	if n != 12 || labelled != 12 || minSeq != 1 || maxSeq != 1 || minScale != 1e6 {
		t.Errorf("vintages: %d rows, %d labelled, ingest_seq %d..%d, source_scale from %v; want 12, 12, 1..1, 1e6", n, labelled, minSeq, maxSeq, minScale)
	}
}

// insertRows inserts every row, in batches and a last partial one, with
// NULLs and quotes as given; no rows is no statement.
func TestInsertRows(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if err := db.Exec(ctx, "CREATE TABLE t (i INTEGER, s VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	for i := range 2*insertBatch + 7 {
		rows = append(rows, []any{i, fmt.Sprintf("it's %d", i)})
	}
	rows[5][1] = nil
	if err := db.insertRows(ctx, "t", rows); err != nil {
		t.Fatal(err)
	}
	if err := db.insertRows(ctx, "t", nil); err != nil {
		t.Fatal(err)
	}
	var n, sum, nulls int
	var last string
	err := db.Conn().QueryRowContext(ctx, "SELECT count(*), sum(i), count(*) - count(s), max_by(s, i) FROM t").Scan(&n, &sum, &nulls, &last)
	if err != nil {
		t.Fatal(err)
	}
	want := 2*insertBatch + 7
	if n != want || sum != want*(want-1)/2 || nulls != 1 || last != fmt.Sprintf("it's %d", want-1) {
		t.Errorf("%d rows, sum %d, %d NULLs, last %q", n, sum, nulls, last)
	}
}

// The fact files are written in the datasets' order (fact.Order) without a
// sort of their own: the build stores each step's rows in that order and
// keeps it through the disputes' UPDATE and the losers' DELETE. Facts
// arrive shuffled, a third of them read again in a later vintage and a
// seventh written twice with different values in the same vintage (so the
// latest facts are the vintages less scattered rows, some disputed), in
// steps of a few thousand facts, first with no previous publication and
// then on top of one.
func TestFactFilesInDatasetOrder(t *testing.T) {
	ctx := context.Background()
	facts := testFacts(12000)
	for i := range facts {
		facts[i].Company = fmt.Sprintf("C%02d", i%17)
		if i%3 == 0 {
			facts = append(facts, readAgainLater(facts[i]))
		}
		if i%7 == 0 { // the same vintage elsewhere on the sheet, disagreeing: disputed
			other := facts[i]
			other.Value, other.SourceCell = other.Value+100, fmt.Sprintf("S!Z%d", i+1)
			facts = append(facts, other)
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(facts), func(i, j int) { facts[i], facts[j] = facts[j], facts[i] })
	root := t.TempDir()
	first := filepath.Join(root, "first")
	db := openDB(t)
	loadFacts(t, db, facts, 7)
	if err := BuildFacts(ctx, db, Combine{Seq: 1, Step: 3000}, first); err != nil {
		t.Fatal(err)
	}
	checkFileOrder(t, db, first, 17)

	db2 := openDB(t)
	loadFacts(t, db2, facts[:len(facts)/2], 3)
	c := Combine{Seq: 2, Step: 3000, PrevVintages: filepath.Join(first, "facts_vintages")}
	second := filepath.Join(root, "second")
	if err := BuildFacts(ctx, db2, c, second); err != nil {
		t.Fatal(err)
	}
	checkFileOrder(t, db2, second, 17)
}

// The fact files do not depend on DuckDB's threads, so a run with
// --workers 1 publishes the same bytes as one with two: steps that run side
// by side get one thread each (oneThreadEach). Three companies of 130,000
// facts, half of them read again in a later vintage, each company a step
// of its own and at most half a step, so two run at once: latest facts of
// more than one of DuckDB's row groups (122,880 rows) less scattered
// losers were what a second thread wrote differently (it ended their
// Parquet row groups elsewhere). DuckDB gets its threads back afterwards.
func TestFactFilesDoNotDependOnThreads(t *testing.T) {
	ctx := context.Background()
	facts := testFacts(390_000)
	for i := range facts {
		facts[i].Company = fmt.Sprintf("C%d", i%3)
		if i%2 == 0 { // the latest facts are the vintages less scattered rows
			facts = append(facts, readAgainLater(facts[i]))
		}
	}
	build := func(threads int) map[string]string {
		db, err := Open(ctx, threads)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		loadFacts(t, db, facts, 4)
		dir := t.TempDir()
		if err := BuildFacts(ctx, db, Combine{Seq: 1, Step: 400_000}, dir); err != nil {
			t.Fatal(err)
		}
		var after int
		if err := db.Conn().QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&after); err != nil || after != threads {
			t.Errorf("DuckDB has %d threads after the build (%v), want %d", after, err, threads)
		}
		return fileHashes(t, dir)
	}
	one, two := build(1), build(2)
	if len(one) != 2*3 {
		t.Fatalf("%d files at one thread, want a file per company in each fact dataset: %v", len(one), one)
	}
	for f, h := range one {
		if two[f] != h {
			t.Errorf("%s: %.12s at two threads, %.12s at one", f, two[f], h)
		}
	}
}

// readAgainLater is f as a workbook of a later vintage gives it: another
// value, as of a quarter later, from another file.
func readAgainLater(f fact.Fact) fact.Fact {
	f.Value, f.AsOf, f.SourceFile = f.Value+1, f.AsOf.AddDate(0, 3, 0), "later.xlsx"
	return f
}

// fileHashes gives the sha256 of every Parquet file under dir by its path
// in dir.
func fileHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(path) != ".parquet" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkFileOrder checks that every file of both fact datasets in dir holds
// its rows in fact.Order, and that the datasets hold companies companies
// and as many facts as the vintages have keys.
func checkFileOrder(t *testing.T, db *DB, dir string, companies int) {
	t.Helper()
	ctx := context.Background()
	for _, ds := range FactDatasets {
		files, err := filepath.Glob(filepath.Join(dir, ds, "*.parquet"))
		if err != nil || len(files) < 3 {
			t.Fatalf("%s: %d files, %v; want several steps", ds, len(files), err)
		}
		for _, f := range files {
			var rows, misplaced int
			q := `SELECT count(*), count(*) FILTER (WHERE file_row_number <> want) FROM (
				SELECT file_row_number, row_number() OVER (ORDER BY ` + fact.List(fact.Order()) + `, file_row_number) - 1 AS want
				FROM read_parquet(` + Literal(f) + `, file_row_number = true))`
			if err := db.Conn().QueryRowContext(ctx, q).Scan(&rows, &misplaced); err != nil {
				t.Fatal(err)
			}
			if rows == 0 || misplaced != 0 {
				t.Errorf("%s: %d of %d rows out of order", f, misplaced, rows)
			}
		}
	}
	var n, keys, cos, disputed int
	q := `SELECT (SELECT count(*) FROM facts), (SELECT count(*) FROM (SELECT DISTINCT ` + fact.List(fact.Key()) + ` FROM facts_vintages)),
		(SELECT count(DISTINCT company) FROM facts), (SELECT count(*) FILTER (WHERE disputed) FROM facts_vintages)`
	if err := db.Conn().QueryRowContext(ctx, q).Scan(&n, &keys, &cos, &disputed); err != nil {
		t.Fatal(err)
	}
	if n != keys || cos != companies || disputed == 0 {
		t.Errorf("facts: %d rows for %d keys, %d companies, %d disputed vintages; want one row a key, %d companies, some disputed", n, keys, cos, disputed, companies)
	}
}
