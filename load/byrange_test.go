//go:build duckdb_arrow

package load

import (
	"context"
	"reflect"
	"testing"
)

// An analysis run company range by company range gives the rows of the one
// statement, in its order: each company's rows once, and the reader's
// findings of a company without facts, or of none, once.
func TestByCompanyIsTheWholeStatement(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	loadFacts(t, db, testFacts(300), 1)
	buildFacts(t, db, t.TempDir())
	for _, q := range []string{
		"CREATE TABLE reader_findings (company VARCHAR, message VARCHAR)",
		"INSERT INTO reader_findings VALUES ('MSFT', 'm'), (NULL, 'quarantined, no company'), ('AAA', 'before every company'), ('ZZZ', 'after every company')",
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	sql := `SELECT company, segment, count(*) AS n, sum(value) AS total, NULL AS message FROM facts_preferred GROUP BY ALL
UNION ALL SELECT company, NULL, count(*), NULL, NULL FROM facts_vintages GROUP BY ALL
UNION ALL SELECT company, NULL, NULL, NULL, message FROM reader_findings
ORDER BY company NULLS FIRST, segment NULLS FIRST, n, message;`
	read := func(byCompany int64) [][]any {
		return runProbe(t, db, Analysis{Name: "probe", Source: "probe.sql", SQL: sql, ByCompany: byCompany})
	}
	whole := read(0)
	if len(whole) != 3*5+3+4 {
		t.Fatalf("%d rows in one statement", len(whole))
	}
	for _, step := range []int64{1, 100, 150} {
		if got := read(step); !reflect.DeepEqual(got, whole) {
			t.Errorf("by ranges of %d facts:\n%v\nwant\n%v", step, got, whole)
		}
	}
	// The narrowing views are gone: facts is whole again.
	var n int
	if err := db.Conn().QueryRowContext(ctx, "SELECT count(*) FROM facts").Scan(&n); err != nil || n != 300 {
		t.Fatalf("facts after: %d rows, %v", n, err)
	}
}

// An analysis ordered by company first keeps its ranges' rows as they came
// (gather renames them into place, with no sort): the same rows in the same
// order as the one statement. With a row without a company, they are
// sorted (NULLs go last, after every range).
func TestByCompanyOrderedByCompanyFirst(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	loadFacts(t, db, testFacts(300), 1)
	buildFacts(t, db, t.TempDir())
	if err := db.Exec(ctx, "CREATE TABLE reader_findings AS SELECT NULL::VARCHAR AS company, 'quarantined' AS message"); err != nil {
		t.Fatal(err)
	}
	for order, renamed := range map[string]bool{
		"ORDER BY company, segment": true, "ORDER BY\n    company": true,
		"ORDER BY company DESC, segment": false, "ORDER BY company NULLS FIRST": false, "ORDER BY check_name, company": false,
	} {
		if got := reByCompanyFirst.MatchString(order); got != renamed {
			t.Errorf("%q: in company order %t, want %t", order, got, renamed)
		}
	}
	read := func(sql string, byCompany int64) [][]any {
		return runProbe(t, db, Analysis{Name: "probe", Source: "probe.sql", SQL: sql, ByCompany: byCompany})
	}
	for _, sql := range []string{
		"SELECT company, segment, count(*) AS n FROM facts_preferred GROUP BY ALL ORDER BY company, segment",
		"SELECT company, segment, count(*) AS n FROM facts_preferred GROUP BY ALL UNION ALL SELECT company, message, 0 FROM reader_findings ORDER BY company, segment",
		"SELECT company, segment, count(*) AS n FROM facts_preferred GROUP BY ALL ORDER BY company DESC, segment",
	} {
		whole := read(sql, 0)
		if len(whole) < 15 {
			t.Fatalf("%d rows in one statement: %v", len(whole), whole)
		}
		for _, step := range []int64{1, 100} {
			if got := read(sql, step); !reflect.DeepEqual(got, whole) {
				t.Errorf("%s\nby ranges of %d facts:\n%v\nwant\n%v", sql, step, got, whole)
			}
		}
	}
}

// An analysis that compares companies in one column runs by ranges when
// Across recomputes that column over the gathered rows: then it is the one
// statement, row for row. Without Across each range ranks its own
// companies only.
func TestByCompanyAcross(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	loadFacts(t, db, testFacts(300), 1)
	buildFacts(t, db, t.TempDir())
	if err := db.LoadReaderFindings(ctx, nil); err != nil { // the ranges narrow it too
		t.Fatal(err)
	}
	sql := `SELECT company, segment, sum(value) AS total,
    dense_rank() OVER (PARTITION BY segment ORDER BY sum(value) DESC) AS segment_rank
FROM facts_preferred GROUP BY company, segment
ORDER BY company, segment`
	across := `UPDATE probe AS t SET segment_rank = r.segment_rank
FROM (SELECT company, segment, dense_rank() OVER (PARTITION BY segment ORDER BY total DESC) AS segment_rank FROM probe) AS r
WHERE t.company = r.company AND t.segment = r.segment`
	whole := runProbe(t, db, Analysis{Name: "probe", Source: "probe.sql", SQL: sql})
	ranks := map[int64]int{}
	for _, r := range whole {
		ranks[r[3].(int64)]++
	}
	if len(whole) != 15 || ranks[1] != 5 || ranks[2] != 5 || ranks[3] != 5 {
		t.Fatalf("one statement: %d rows, ranks %v; want 15 rows ranked 1 to 3 five times each", len(whole), ranks)
	}
	byRange := Analysis{Name: "probe", Source: "probe.sql", SQL: sql, ByCompany: 100}
	if got := runProbe(t, db, byRange); reflect.DeepEqual(got, whole) {
		t.Errorf("by ranges without Across: the one statement's ranks, want each range's own")
	}
	byRange.Across = across
	if got := runProbe(t, db, byRange); !reflect.DeepEqual(got, whole) {
		t.Errorf("by ranges with Across:\n%v\nwant\n%v", got, whole)
	}
}

// runProbe runs one analysis into its table and returns that table's rows,
// in its order, every column.
func runProbe(t *testing.T, db *DB, a Analysis) [][]any {
	t.Helper()
	ctx := context.Background()
	if err := RunAnalyses(ctx, db, []Analysis{a}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Conn().QueryContext(ctx, "SELECT * FROM "+Ident(a.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		r, err := scanAny(rows, len(cols))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
