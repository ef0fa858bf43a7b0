//go:build duckdb_arrow

package load

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// factColumns are the canonical fact columns as published, in order
// (transform.Schema), followed by ingest_seq.
var factColumns = []string{"company", "segment", "metric", "calendar_quarter", "fiscal_year", "fiscal_quarter",
	"period_end", "value", "unit", "source_kind", "source_file", "source_sheet", "source_cell",
	"source_sha256", "as_of", "source_scale"}

// FileVersion is one version of a source workbook.
type FileVersion struct {
	File, SHA256 string
}

// Scope limits a backfill to some companies and a range of calendar
// quarters (inclusive; "" leaves that end open).
type Scope struct {
	Companies []string
	From, To  string
}

// Has reports whether a company is in scope.
func (s *Scope) Has(company string) bool {
	for _, c := range s.Companies {
		if c == company {
			return true
		}
	}
	return false
}

func (s *Scope) where() (string, []any) {
	if s == nil {
		return "TRUE", nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(s.Companies)), ", ")
	cond := "company IN (" + marks + ")"
	var args []any
	for _, c := range s.Companies {
		args = append(args, c)
	}
	if s.From != "" {
		cond, args = cond+" AND calendar_quarter >= ?", append(args, s.From)
	}
	if s.To != "" {
		cond, args = cond+" AND calendar_quarter <= ?", append(args, s.To)
	}
	return cond, args
}

// Combine says how this run's facts join the ones already published.
type Combine struct {
	PrevVintages string        // the previous publication's facts_vintages folder; "" when none
	Seq          int           // this run's ingest sequence number
	Reread       []FileVersion // versions read again: their earlier rows (in Scope) give way to this read
	Discard      []FileVersion // versions whose facts in facts_new are void (read, then quarantined or changed)
	Scope        *Scope        // backfill: only facts in scope are replaced or added
}

// CombineFacts makes facts_all from the previous vintages and the table
// facts_new (this run's facts). Every distinct fact keeps the sequence number
// of the run that first read it, so reruns change nothing.
func CombineFacts(ctx context.Context, d *DB, c Combine) error {
	cols := strings.Join(factColumns, ", ")
	stmts := []struct {
		q    string
		args []any
	}{
		{"CREATE OR REPLACE TEMP TABLE discard (source_file VARCHAR, source_sha256 VARCHAR)", nil},
		{"CREATE OR REPLACE TEMP TABLE reread (source_file VARCHAR, source_sha256 VARCHAR)", nil},
	}
	for _, v := range c.Discard {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{"INSERT INTO discard VALUES (?, ?)", []any{v.File, v.SHA256}})
	}
	// A workbook with no vintage date gets the latest period it reports
	// (transform leaves as_of empty when it streams facts).
	stmts = append(stmts, struct {
		q    string
		args []any
	}{"CREATE OR REPLACE TEMP TABLE facts_in AS SELECT " + strings.Replace(cols, "as_of", "coalesce(as_of, max(period_end) OVER (PARTITION BY source_file, source_sha256)) AS as_of", 1) +
		", CAST(? AS INTEGER) AS ingest_seq FROM facts_new WHERE (source_file, source_sha256) NOT IN (SELECT (source_file, source_sha256) FROM discard)", []any{c.Seq}})
	for _, v := range c.Reread {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{"INSERT INTO reread VALUES (?, ?)", []any{v.File, v.SHA256}})
	}
	prev, err := d.previousVintages(ctx, c.PrevVintages)
	if err != nil {
		return err
	}
	scope, scopeArgs := c.Scope.where()
	add := func(q string, args ...any) {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{q, args})
	}
	if prev == "" {
		add("CREATE OR REPLACE TABLE facts_all AS SELECT * FROM facts_in WHERE "+scope, scopeArgs...)
	} else {
		add("CREATE OR REPLACE TEMP TABLE facts_prev AS " + prev)
		// A fact read again keeps the number of the run that first read it.
		add(`CREATE OR REPLACE TEMP TABLE facts_in_seq AS
			SELECT n.* EXCLUDE (ingest_seq), coalesce(p.seq, n.ingest_seq) AS ingest_seq
			FROM facts_in AS n
			LEFT JOIN (SELECT ` + cols + `, min(ingest_seq) AS seq FROM facts_prev GROUP BY ALL) AS p USING (` + cols + `)`)
		add(`CREATE OR REPLACE TABLE facts_all AS
			SELECT `+cols+`, min(ingest_seq) AS ingest_seq FROM (
				SELECT * FROM facts_prev
				WHERE NOT ((source_file, source_sha256) IN (SELECT (source_file, source_sha256) FROM reread) AND `+scope+`)
				UNION ALL
				SELECT * FROM facts_in_seq WHERE `+scope+`
			) GROUP BY ALL`, append(append([]any{}, scopeArgs...), scopeArgs...)...)
	}
	for _, s := range stmts {
		if err := d.Exec(ctx, s.q, s.args...); err != nil {
			return fmt.Errorf("combine facts: %w", err)
		}
	}
	return nil
}

// previousVintages returns a SELECT over the published facts_vintages in
// factColumns order plus ingest_seq, or "" when there is none. Columns that
// an older publication lacks get their defaults.
func (d *DB) previousVintages(ctx context.Context, dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.parquet"))
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil && !os.IsNotExist(err) {
			return "", err
		}
		return "", nil
	}
	src := "read_parquet(" + Literal(filepath.Join(dir, "*", "*.parquet")) + ", hive_partitioning = true)"
	rows, err := d.conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+src+")")
	if err != nil {
		return "", fmt.Errorf("read previous facts: %w", err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return "", err
		}
		have[n] = true
	}
	rows.Close()
	defaults := map[string]string{"source_scale": "1.0", "ingest_seq": "1"}
	var sel []string
	for _, c := range append(append([]string{}, factColumns...), "ingest_seq") {
		switch {
		case have[c] && c == "company":
			sel = append(sel, "CAST(company AS VARCHAR) AS company")
		case have[c]:
			sel = append(sel, Ident(c))
		case defaults[c] != "":
			sel = append(sel, defaults[c]+" AS "+Ident(c))
		default:
			return "", fmt.Errorf("previous facts in %s lack column %s", dir, c)
		}
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + src, nil
}
