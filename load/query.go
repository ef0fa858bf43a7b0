//go:build duckdb_arrow

package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	queries "github.com/marginmix/marginmix/sql"
)

// NoPublicationError means the output folder holds no publication (no
// folder, or no manifest in it).
type NoPublicationError struct {
	Out string
	Err error
}

func (e *NoPublicationError) Error() string {
	return fmt.Sprintf("no publication in %s: run marginmix run first", e.Out)
}

func (e *NoPublicationError) Unwrap() error { return e.Err }

// ReaderOptions shape the views of a Reader.
type ReaderOptions struct {
	// AsOf, when set, makes facts and facts_vintages show only what was
	// known on that date: facts_vintages keeps the vintages with as_of <=
	// AsOf, facts the latest of them per key. The analysis datasets, which
	// were computed from the latest facts, are then left out.
	AsOf time.Time
	// Threads for DuckDB; <= 0 leaves DuckDB's default.
	Threads int
}

// Reader is an in-memory DuckDB with one view per dataset of one
// publication of an output folder. The views point into the folder through
// a descriptor opened before the manifest is read (/proc/self/fd/N on
// Linux), so they keep reading that publication even after a run swaps a
// new one in; if the run then deletes it, a query fails rather than mixing
// two publications, and Read starts over.
type Reader struct {
	Out      string    // the output folder as given
	Root     string    // the folder the views read: /proc/self/fd/N, or Out's absolute path
	Manifest *Manifest // the publication's manifest
	Views    []string  // dataset views, in name order
	Hidden   []string  // datasets of the publication left out (the analyses, with AsOf)

	asOf time.Time
	db   *DB
	dir  *os.File
}

// AsOfError is a query naming an analysis dataset with AsOf set: the
// analyses describe the latest facts only.
type AsOfError struct {
	Dataset string
	AsOf    time.Time
}

func (e *AsOfError) Error() string {
	d := e.AsOf.Format(time.DateOnly)
	return fmt.Sprintf("%s is not available with --as-of: the analyses are computed from the latest facts only, not as of a date. "+
		"With --as-of %s you can query facts (the latest vintage of each fact known on %s) and facts_vintages (every vintage with as_of <= %s); "+
		"query %s without --as-of for the latest figures", e.Dataset, d, d, d, e.Dataset)
}

// reCatalog finds the table DuckDB says does not exist.
var reCatalog = regexp.MustCompile(`Catalog Error: Table with name (\w+) does not exist`)

// Table is a query result in plain Go values: nil (NULL), bool, int8..int64,
// uint8..uint64, float32, float64, string, []byte, time.Time (DATE, TIME,
// TIMESTAMP), json.Number (DECIMAL, HUGEINT), []any (LIST) and
// map[string]any (STRUCT, MAP).
type Table struct {
	Columns []string
	Types   []string // DuckDB type names: VARCHAR, DOUBLE, DATE, ...
	Rows    [][]any
}

// attempts bounds how often Read starts over: once is enough unless runs
// publish faster than a query runs.
const attempts = 3

// restarts counts Read's start-overs, for tests.
var restarts atomic.Int64

// Read opens the publication in out, calls fn with a Reader on it and closes
// it. If fn (or the opening) fails after a run swapped a new publication in
// (its files may have been deleted under the query), it starts over on the
// new one; so everything fn reads comes from one publication.
func Read(ctx context.Context, out string, opt ReaderOptions, fn func(*Reader) error) error {
	var err error
	for attempt := 0; attempt < attempts; attempt++ {
		var r *Reader
		r, err = OpenReader(ctx, out, opt)
		if err != nil {
			if r == nil || !r.replaced() {
				if r != nil {
					r.Close()
				}
				return err
			}
			r.Close()
			restarts.Add(1)
			continue
		}
		err = fn(r)
		gone := err != nil && r.replaced()
		r.Close()
		if !gone {
			return err
		}
		restarts.Add(1)
	}
	return err
}

// QueryOutput runs one query over the publication in out (see Read).
func QueryOutput(ctx context.Context, out, query string, opt ReaderOptions) (*Table, error) {
	var t *Table
	err := Read(ctx, out, opt, func(r *Reader) error {
		var err error
		t, err = r.Query(ctx, query)
		return err
	})
	return t, err
}

// OpenReader opens the publication currently in out. On an error after the
// folder was opened it returns the Reader too, so that Read can tell a
// publication deleted under it from a real error; the caller closes it.
func OpenReader(ctx context.Context, out string, opt ReaderOptions) (*Reader, error) {
	dir, err := os.Open(out)
	if err != nil {
		return nil, &NoPublicationError{Out: out, Err: err}
	}
	if st, err := dir.Stat(); err != nil || !st.IsDir() {
		dir.Close()
		return nil, &NoPublicationError{Out: out, Err: fmt.Errorf("%s is not a folder", out)}
	}
	r := &Reader{Out: out, dir: dir}
	r.Root = fmt.Sprintf("/proc/self/fd/%d", dir.Fd())
	if st, err := os.Stat(r.Root); err != nil || !st.IsDir() {
		// No /proc (not Linux): read by name, without the guarantee.
		if r.Root, err = filepath.Abs(out); err != nil {
			return r, err
		}
	}
	r.Manifest, err = ReadManifest(filepath.Join(r.Root, ManifestName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !r.replaced() {
			return r, &NoPublicationError{Out: out, Err: err}
		}
		return r, fmt.Errorf("%s: %w", ManifestName, err)
	}
	if r.db, err = Open(ctx, opt.Threads); err != nil {
		return r, err
	}
	return r, r.createViews(ctx, opt)
}

// Close closes the database and the folder.
func (r *Reader) Close() error {
	var errs []error
	if r.db != nil {
		errs = append(errs, r.db.Close())
	}
	if r.dir != nil {
		errs = append(errs, r.dir.Close())
	}
	return errors.Join(errs...)
}

// datasets groups the manifest's Parquet files by dataset: a top-level
// <name>.parquet, or a folder of files (the fact datasets), which in
// publications before issue 15 held hive partitions (company=X/). Names
// starting with _ are internal and skipped.
func (r *Reader) datasets() (files map[string][]string, partitioned map[string]bool) {
	files, partitioned = map[string][]string{}, map[string]bool{}
	for _, o := range r.Manifest.Outputs {
		p := path.Clean(o.Path)
		if !strings.HasSuffix(p, ".parquet") || strings.HasPrefix(p, "_") || strings.HasPrefix(p, ".") {
			continue
		}
		first, rest, nested := strings.Cut(p, "/")
		if !nested {
			name := strings.TrimSuffix(first, ".parquet")
			files[name] = append(files[name], p)
			continue
		}
		if strings.Contains("/"+rest, "/_") || strings.Contains("/"+rest, "/.") {
			continue
		}
		files[first] = append(files[first], p)
		if strings.Contains(rest, "/") {
			partitioned[first] = true
		}
	}
	return files, partitioned
}

func (r *Reader) createViews(ctx context.Context, opt ReaderOptions) error {
	files, partitioned := r.datasets()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	asOf := !opt.AsOf.IsZero()
	r.asOf = opt.AsOf
	for _, name := range names {
		if asOf && name != "facts_vintages" {
			if name != "facts" {
				r.Hidden = append(r.Hidden, name)
			}
			continue // facts is derived below; analyses are of the latest facts
		}
		paths := files[name]
		sort.Strings(paths)
		lits := make([]string, len(paths))
		for i, p := range paths {
			lit, err := pathLiteral(r.Root + "/" + p)
			if err != nil {
				return err
			}
			lits[i] = lit
		}
		src := "read_parquet([" + strings.Join(lits, ", ") + "])"
		if partitioned[name] {
			src = "read_parquet([" + strings.Join(lits, ", ") + "], hive_partitioning = true, hive_types_autocast = false)"
		}
		body := "SELECT * FROM " + src
		if cols := queries.AddedColumns(name); len(cols) > 0 {
			sel, err := r.db.withAdded(ctx, src, cols)
			if err != nil {
				return fmt.Errorf("view %s: %w", name, err)
			}
			body = sel
		}
		if asOf {
			// Columns an older publication lacks get their defaults, so
			// that the rule of latest.sql applies to every publication.
			sel, err := r.db.withAdded(ctx, src, factStandIns())
			if err != nil {
				return fmt.Errorf("view %s: %w", name, err)
			}
			body = sel + " WHERE as_of <= " + Literal(opt.AsOf.Format(time.DateOnly)) + "::DATE"
		}
		if err := r.db.Exec(ctx, "CREATE VIEW "+Ident(name)+" AS "+body); err != nil {
			return fmt.Errorf("view %s: %w", name, err)
		}
		r.Views = append(r.Views, name)
	}
	if asOf {
		return r.createAsOfFacts(ctx)
	}
	return nil
}

// createAsOfFacts makes the view facts: the latest vintage of each fact as
// of the date, chosen by the rule the run chooses facts by (latest.sql).
func (r *Reader) createAsOfFacts(ctx context.Context) error {
	if len(r.Views) == 0 {
		return fmt.Errorf("--as-of needs facts_vintages, which the publication in %s lacks", r.Out)
	}
	latest, err := latestOf("facts_vintages")
	if err != nil {
		return err
	}
	if err := r.db.Exec(ctx, "CREATE VIEW facts AS "+latest); err != nil {
		return fmt.Errorf("view facts: %w", err)
	}
	r.Views = append([]string{"facts"}, r.Views...)
	return nil
}

// Query runs a query and returns its result as plain Go values.
func (r *Reader) Query(ctx context.Context, query string) (*Table, error) {
	rows, err := r.db.Conn().QueryContext(ctx, query)
	if err != nil {
		if m := reCatalog.FindStringSubmatch(err.Error()); m != nil && slices.Contains(r.Hidden, m[1]) {
			return nil, &AsOfError{Dataset: m[1], AsOf: r.asOf}
		}
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	t := &Table{}
	for _, c := range cols {
		t.Columns = append(t.Columns, c.Name())
		t.Types = append(t.Types, c.DatabaseTypeName())
	}
	for rows.Next() {
		vals, err := scanAny(rows, len(cols))
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = plain(v)
		}
		t.Rows = append(t.Rows, vals)
	}
	return t, rows.Err()
}

// Maps returns the rows as maps from column name to value.
func (t *Table) Maps() []map[string]any {
	out := make([]map[string]any, len(t.Rows))
	for i, row := range t.Rows {
		m := make(map[string]any, len(row))
		for c, v := range row {
			m[t.Columns[c]] = v
		}
		out[i] = m
	}
	return out
}

// plain turns the driver's values into plain Go values.
func plain(v any) any {
	switch x := v.(type) {
	case duckdb.Decimal:
		return json.Number(x.String())
	case *big.Int:
		return json.Number(x.String())
	case duckdb.UUID:
		return x.String()
	case *duckdb.UUID:
		return x.String()
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d microseconds", x.Months, x.Days, x.Micros)
	case duckdb.Union:
		return plain(x.Value)
	case duckdb.Map:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(plain(k))] = plain(e)
		}
		return m
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
		return x
	}
	return v
}

// replaced reports whether the folder this Reader opened is no longer the
// one at Out: a run swapped a new publication in (and may be deleting this
// one), so an error may come from files vanishing under the query.
func (r *Reader) replaced() bool {
	if r.dir == nil {
		return false
	}
	var mine, now syscall.Stat_t
	if err := syscall.Fstat(int(r.dir.Fd()), &mine); err != nil {
		return false
	}
	if mine.Nlink == 0 {
		return true
	}
	if err := syscall.Stat(r.Out, &now); err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	return mine.Dev != now.Dev || mine.Ino != now.Ino
}
