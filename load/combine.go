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
	// company comes from the folder names, as text: a ticker such as 0700
	// must not be read as a number.
	src := "read_parquet(" + Literal(filepath.Join(dir, "*", "*.parquet")) + ", hive_partitioning = true, hive_types = {'company': VARCHAR})"
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
