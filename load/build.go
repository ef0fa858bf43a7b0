//go:build duckdb_arrow

package load

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Analysis is one dataset defined by SQL over the facts.
type Analysis struct {
	Name   string // dataset name: out/<Name>.parquet
	Source string // where the SQL came from, for errors (e.g. sql/ai_mix.sql)
	SQL    string
}

// factOrder fixes the row order of the fact datasets, so that the same
// inputs give byte-identical files.
const factOrder = "company, segment, metric, calendar_quarter, source_kind, as_of, source_file, source_sheet, source_cell, ingest_seq, source_sha256"

// factKey identifies one fact across workbooks and vintages.
const factKey = "company, segment, metric, calendar_quarter, source_kind"

// parquetOptions: zstd, and nothing that varies between runs.
const parquetOptions = "FORMAT parquet, COMPRESSION zstd"

// BuildTables derives the fact tables from facts_all (every fact read, with
// ingest_seq): facts_vintages holds each distinct value with its vintage,
// facts the latest vintage of each fact: the latest as_of, then the latest
// ingestion (a workbook replaced under the same as_of restates it). Within
// one vintage, the first cell in lineage order wins, so the choice is stable.
func BuildTables(ctx context.Context, d *DB) error {
	stmts := []string{
		`CREATE OR REPLACE TABLE facts_vintages AS
		 SELECT * FROM facts_all ORDER BY ` + factOrder,
		`CREATE OR REPLACE TABLE facts AS
		 SELECT * FROM facts_vintages
		 QUALIFY row_number() OVER (PARTITION BY ` + factKey + `
		                            ORDER BY as_of DESC, ingest_seq DESC, source_file, source_sheet, source_cell) = 1
		 ORDER BY ` + factOrder,
		// What the analyses read: per company, segment, metric and quarter,
		// the reported value where both a reported and an estimated one exist.
		`CREATE OR REPLACE TABLE facts_preferred AS
		 SELECT * FROM facts
		 QUALIFY row_number() OVER (PARTITION BY company, segment, metric, calendar_quarter
		                            ORDER BY source_kind = 'reported' DESC, as_of DESC, source_file, source_cell) = 1`,
	}
	for _, s := range stmts {
		if err := d.Exec(ctx, s); err != nil {
			return fmt.Errorf("build fact tables: %w", err)
		}
	}
	return nil
}

// RunAnalyses creates one table per analysis from its SQL.
func RunAnalyses(ctx context.Context, d *DB, analyses []Analysis) error {
	for _, a := range analyses {
		if !ValidName(a.Name) {
			return fmt.Errorf("%s: dataset name %q must be lower case letters, digits and _", a.Source, a.Name)
		}
		// The prefix shares the first line, so DuckDB's LINE numbers are the file's.
		body := strings.TrimRightFunc(a.SQL, func(r rune) bool { return r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
		q := fmt.Sprintf("CREATE OR REPLACE TABLE %s AS %s", Ident(a.Name), body)
		if err := d.Exec(ctx, q); err != nil {
			return &AnalysisError{Source: a.Source, Line: errorLine(err), Err: err}
		}
	}
	return nil
}

// AnalysisError names the .sql file (and line, where DuckDB gives one) of a
// failing analysis.
type AnalysisError struct {
	Source string
	Line   int
	Err    error
}

func (e *AnalysisError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

func (e *AnalysisError) Unwrap() error { return e.Err }

var reLine = regexp.MustCompile(`LINE (\d+):`)

func errorLine(err error) int {
	m := reLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// WriteParquet writes the fact datasets (hive-partitioned by company) and
// one file per analysis into dir, which must not exist yet.
func WriteParquet(ctx context.Context, d *DB, dir string, analyses []Analysis) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, t := range []string{"facts", "facts_vintages"} {
		q := fmt.Sprintf("COPY (SELECT * FROM %s ORDER BY %s) TO %s (%s, PARTITION_BY (company), FILENAME_PATTERN 'part-{i}')",
			t, factOrder, Literal(filepath.Join(dir, t)), parquetOptions)
		if err := d.Exec(ctx, q); err != nil {
			return fmt.Errorf("write %s: %w", t, err)
		}
	}
	for _, a := range analyses {
		q := fmt.Sprintf("COPY %s TO %s (%s)", Ident(a.Name), Literal(filepath.Join(dir, a.Name+".parquet")), parquetOptions)
		if err := d.Exec(ctx, q); err != nil {
			return fmt.Errorf("write %s: %w", a.Name, err)
		}
	}
	return nil
}

// Outputs lists every Parquet file under dir with its row count and hash,
// in path order.
func Outputs(ctx context.Context, d *DB, dir string) ([]Output, error) {
	var out []Output
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && strings.HasPrefix(e.Name(), "_") && p != dir {
			return filepath.SkipDir
		}
		if e.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		var rows int64
		q := "SELECT count(*) FROM read_parquet(" + Literal(p) + ")"
		if err := d.conn.QueryRowContext(ctx, q).Scan(&rows); err != nil {
			return fmt.Errorf("count %s: %w", rel, err)
		}
		sum, size, err := FileSHA256(p)
		if err != nil {
			return err
		}
		out = append(out, Output{Path: filepath.ToSlash(rel), Rows: rows, Bytes: size, SHA256: sum})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}
