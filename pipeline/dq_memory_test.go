//go:build duckdb_arrow

package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/marginmix/marginmix/load"
)

// Issue 14: after about 9 publications restating the same 12 companies
// (362,880 vintages) data_quality ran out of its 384 MB. Its listings of
// conflicting values were built for every vintage of every restated key.
// Here 8 vintages of 36,000 keys, each restated in every vintage, must give
// their 252,000 restatements within 150 MB on one thread (the version
// before needed over 300 MB for the same).
func TestDataQualityWithinMemoryAfterManyRestatements(t *testing.T) {
	ctx := context.Background()
	db, err := load.OpenWith(ctx, load.Options{Threads: 1, Path: filepath.Join(t.TempDir(), "w.duckdb"), MemoryLimit: "2GB"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const keys, vintages = 36000, 8
	for _, q := range []string{
		`CREATE TABLE facts_vintages AS
		SELECT
			'C' || lpad(CAST(k // 3000 AS VARCHAR), 2, '0') AS company,
			'Segment ' || CAST(k % 10 AS VARCHAR) AS segment,
			CASE k // 10 % 2 WHEN 0 THEN 'revenue' ELSE 'operating_income' END AS metric,
			CAST(2010 + k // 20 % 150 // 4 AS VARCHAR) || 'Q' || CAST(k // 20 % 4 + 1 AS VARCHAR) AS calendar_quarter,
			2026 AS fiscal_year, 1 AS fiscal_quarter, DATE '2026-03-31' AS period_end,
			CAST(1000000 + k * 10 + v AS DOUBLE) AS value, 'USD' AS unit, 'reported' AS source_kind,
			'c' || CAST(k // 3000 AS VARCHAR) || '.xlsx' AS source_file, 'Segments' AS source_sheet,
			'Segments!B' || CAST(k AS VARCHAR) AS source_cell, md5(CAST(v AS VARCHAR)) AS source_sha256,
			DATE '2026-01-01' + INTERVAL (v) DAY AS as_of, 1e6 AS source_scale, 'Revenue' AS source_label,
			'operating_segment' AS breakdown, CAST(v + 1 AS INTEGER) AS ingest_seq, false AS disputed
		FROM range(` + itoa(keys) + `) AS a(k), range(` + itoa(vintages) + `) AS b(v)`,
		`CREATE TABLE facts AS SELECT * FROM facts_vintages WHERE ingest_seq = ` + itoa(vintages),
		`CREATE VIEW facts_preferred AS SELECT * FROM facts`,
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.LoadReaderFindings(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.PrepareAnalyses(ctx, "150MB", DefaultParams().vars()); err != nil {
		t.Fatal(err)
	}
	analyses, err := loadAnalyses("")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range analyses {
		if a.Name != "data_quality" {
			continue
		}
		if err := load.RunAnalyses(ctx, db, []load.Analysis{a}); err != nil {
			t.Fatalf("data_quality within 150 MB: %v", err)
		}
	}
	var n int
	if err := db.Conn().QueryRowContext(ctx, "SELECT count(*) FROM data_quality WHERE check_name = 'restatement'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != keys*(vintages-1) {
		t.Errorf("%d restatements, want %d", n, keys*(vintages-1))
	}
}

func itoa(n int) string { return fmt.Sprint(n) }
