//go:build duckdb_arrow

package load

import (
	"context"
	"fmt"
	"io/fs"
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
	// ByCompany runs the analysis company range by company range, each of
	// about this many facts, and sorts the rows once by its final ORDER BY
	// (byrange.go); 0 runs it in one statement. For analyses whose every
	// row comes from one company's facts.
	ByCompany int64
	// Across, with ByCompany, runs after the ranges are gathered into the
	// analysis's table: it recomputes, over every company, the columns that
	// compare companies (an UPDATE of that table), which each range could
	// compute only among its own companies.
	Across string
}

// parquetOptions: zstd, and nothing that varies between runs.
const parquetOptions = "FORMAT parquet, COMPRESSION zstd"

// RunAnalyses creates one table per analysis from its SQL: a temporary
// one, which lives until the run's DuckDB closes. A table of the database
// file is written twice (its log, then the checkpoint): copying
// segment_margins over 2 M facts took 0.37 s into one and 0.08 s into a
// temporary table, and the analyses over 2 M facts 6.2 s instead of 8.0 s.
func RunAnalyses(ctx context.Context, d *DB, analyses []Analysis) error {
	for _, a := range analyses {
		if !ValidName(a.Name) {
			return fmt.Errorf("%s: dataset name %q must be lower case letters, digits and _", a.Source, a.Name)
		}
		body := strings.TrimRightFunc(a.SQL, func(r rune) bool { return r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
		run := d.runWhole
		if a.ByCompany > 0 {
			run = d.runByCompany
		}
		if err := run(ctx, a, body); err != nil {
			return err
		}
	}
	return nil
}

// runWhole runs an analysis in one statement.
func (d *DB) runWhole(ctx context.Context, a Analysis, body string) error {
	// The prefix shares the first line, so DuckDB's LINE numbers are the file's.
	q := fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS %s", Ident(a.Name), body)
	if err := d.Exec(ctx, q); err != nil {
		return &AnalysisError{Source: a.Source, Line: errorLine(err), Err: err}
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

// writeAnalysis copies the table name into dir/name.parquet and returns
// that file as a quoted literal (pathLiteral's).
func writeAnalysis(ctx context.Context, d *DB, dir, name string) (string, error) {
	path, err := pathLiteral(filepath.Join(dir, name+".parquet"))
	if err != nil {
		return "", err
	}
	if err := d.Exec(ctx, fmt.Sprintf("COPY %s TO %s (%s)", Ident(name), path, parquetOptions)); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return path, nil
}

// WriteAndView writes an analysis's file into dir (BuildFacts made it) and puts
// a view of that file in place of its table. The tables are temporary,
// held uncompressed in memory up to DuckDB's limit: a run writes each as
// soon as it is made, so that one is held at a time (all eight to the end
// of the run took 10,000 supplements to 1,055 MiB under a budget of 1 GiB),
// while your own SQL, run after the built-in analyses, still reads them by
// name.
func WriteAndView(ctx context.Context, d *DB, dir string, a Analysis) error {
	path, err := writeAnalysis(ctx, d, dir, a.Name)
	if err != nil {
		return err
	}
	if err := d.Exec(ctx, "DROP TABLE "+Ident(a.Name)); err != nil {
		return err
	}
	return d.Exec(ctx, fmt.Sprintf("CREATE TEMP VIEW %s AS SELECT * FROM read_parquet(%s)", Ident(a.Name), path))
}

// Outputs lists every Parquet file under dir with its row count and hash,
// in path order. Folders whose names start with _ are internal and skipped.
func Outputs(ctx context.Context, d *DB, dir string) ([]Output, error) {
	var out []Output
	var lits, plain []string
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
		sum, size, err := FileSHA256(p)
		if err != nil {
			return err
		}
		out = append(out, Output{Path: filepath.ToSlash(rel), Bytes: size, SHA256: sum})
		pp, err := plainPath(p) // as DuckDB will name it
		if err != nil {
			return err
		}
		plain = append(plain, pp)
		lits = append(lits, Literal(pp))
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	// Row counts from the files' footers, in one query (a run of thousands
	// of companies writes thousands of files).
	rows, err := d.conn.QueryContext(ctx, "SELECT file_name, num_rows FROM parquet_file_metadata(["+strings.Join(lits, ", ")+"])")
	if err != nil {
		return nil, fmt.Errorf("count output rows: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		counts[name] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		n, ok := counts[plain[i]]
		if !ok {
			return nil, fmt.Errorf("count output rows: no footer read for %s", out[i].Path)
		}
		out[i].Rows = n
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
