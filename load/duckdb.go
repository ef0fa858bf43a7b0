//go:build duckdb_arrow

package load

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	duckdb "github.com/duckdb/duckdb-go/v2"
)

// dsn opens an in-memory database that never downloads an extension: the
// parquet, json and icu extensions are linked into duckdb-go.
const dsn = "?autoinstall_known_extensions=false&autoload_known_extensions=false"

// DB is an embedded DuckDB on one connection (Arrow views are per connection).
type DB struct {
	db    *sql.DB
	conn  *sql.Conn
	arrow *duckdb.Arrow
}

// Open starts an in-memory DuckDB. threads <= 0 leaves DuckDB's default.
func Open(ctx context.Context, threads int) (*DB, error) {
	return OpenWith(ctx, Options{Threads: threads})
}

// Options configure OpenWith.
type Options struct {
	Threads int // <= 0: DuckDB's default
	// Path is a database file to hold the data on disk, so that memory
	// stays within MemoryLimit however many facts there are; "" keeps
	// everything in memory.
	Path string
	// MemoryLimit is DuckDB's memory_limit, such as "192MB"; "" leaves
	// DuckDB's default (80% of RAM).
	MemoryLimit string
}

// OpenWith starts a DuckDB as o says.
func OpenWith(ctx context.Context, o Options) (*DB, error) {
	d := dsn
	if o.Path != "" {
		d = o.Path + dsn // a '?' in it would start DuckDB's options: --temp-dir refuses one
	}
	c, err := duckdb.NewConnector(d, nil)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	db := sql.OpenDB(c)
	// A connection given back is closed, never pooled: the fact build's
	// extra connections (buildSteps) must take their temporary tables
	// with them.
	db.SetMaxIdleConns(0)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	db2 := &DB{db: db, conn: conn}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		db2.arrow = a
		return err
	})
	if err != nil {
		db2.Close()
		return nil, fmt.Errorf("duckdb arrow: %w", err)
	}
	if o.Threads > 0 {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET threads = %d", o.Threads)); err != nil {
			db2.Close()
			return nil, err
		}
	}
	if o.Path != "" {
		// Row order is fixed by ORDER BY wherever it matters; not keeping
		// insertion order lets DuckDB stream large inserts within its limit.
		if _, err := conn.ExecContext(ctx, "SET preserve_insertion_order = false"); err != nil {
			db2.Close()
			return nil, err
		}
	}
	if o.MemoryLimit != "" {
		if _, err := conn.ExecContext(ctx, "SET memory_limit = ?", o.MemoryLimit); err != nil {
			db2.Close()
			return nil, fmt.Errorf("memory limit %q: %w", o.MemoryLimit, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "ATTACH ':memory:' AS "+sharedDB); err != nil {
		db2.Close()
		return nil, fmt.Errorf("duckdb: attach %s: %w", sharedDB, err)
	}
	return db2, nil
}

// sharedDB is an in-memory database beside the database file, for what
// the connections of a fact build all read (NewFacts). Unlike a table of
// the file, a table there is not written twice (log, then checkpoint);
// unlike a temporary table, every connection sees it. DuckDB spills it to
// its temporary folder past its memory limit, as it does temporary tables.
const sharedDB = "shared"

// NewFacts is the table of this run's facts as read: Ingest and
// AppendParquet fill it, BuildFacts reads it (sql/facts).
const NewFacts = sharedDB + ".facts_new"

// tableRef quotes a table name, or each part of a qualified one
// (shared.facts_new).
func tableRef(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = Ident(p)
	}
	return strings.Join(parts, ".")
}

// Close closes the connection and the database.
func (d *DB) Close() error {
	var errs []error
	if d.conn != nil {
		errs = append(errs, d.conn.Close())
	}
	errs = append(errs, d.db.Close())
	return errors.Join(errs...)
}

// Conn is the connection, for queries.
func (d *DB) Conn() *sql.Conn { return d.conn }

// Exec runs a statement.
func (d *DB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := d.conn.ExecContext(ctx, q, args...)
	return err
}

// SetMemoryLimit changes DuckDB's memory_limit ("512MiB").
func (d *DB) SetMemoryLimit(ctx context.Context, limit string) error {
	if err := d.Exec(ctx, "SET memory_limit = ?", limit); err != nil {
		return fmt.Errorf("memory limit %q: %w", limit, err)
	}
	return nil
}

// insertBatch is how many rows one INSERT of insertRows carries.
const insertBatch = 256

// insertRows inserts rows (each of the table's columns, in order) a few
// hundred to a statement: a statement a row cost 1 ms each, a second for
// every thousand workbooks of a run.
func (d *DB) insertRows(ctx context.Context, table string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
	for len(rows) > 0 {
		n := min(len(rows), insertBatch)
		args := make([]any, 0, n*len(rows[0]))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
		if err := d.Exec(ctx, q, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// CreateTableFromArrow copies an Arrow stream into a new DuckDB table.
//
// duckdb-go's Arrow view returns wrong values when a query projects or
// filters it, and it can be read only once; so the view is materialised with
// CREATE TABLE AS SELECT * and dropped before anything else reads it.
func (d *DB) CreateTableFromArrow(ctx context.Context, table string, rdr array.RecordReader) error {
	view := arrowView(table)
	release, err := d.arrow.RegisterView(rdr, view)
	if err != nil {
		return fmt.Errorf("register arrow view: %w", err)
	}
	defer release()
	q := fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM %s", tableRef(table), Ident(view))
	if _, err := d.conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("materialise %s: %w", table, err)
	}
	_, err = d.conn.ExecContext(ctx, "DROP VIEW IF EXISTS "+Ident(view))
	return err
}

// appendFromArrow inserts an Arrow stream into an existing table, through a
// view read once with SELECT * (see CreateTableFromArrow).
func (d *DB) appendFromArrow(ctx context.Context, table string, rdr array.RecordReader) error {
	view := arrowView(table)
	release, err := d.arrow.RegisterView(rdr, view)
	if err != nil {
		return fmt.Errorf("register arrow view: %w", err)
	}
	defer release()
	if _, err := d.conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", tableRef(table), Ident(view))); err != nil {
		return fmt.Errorf("append to %s: %w", table, err)
	}
	_, err = d.conn.ExecContext(ctx, "DROP VIEW IF EXISTS "+Ident(view))
	return err
}

// arrowView names the Arrow view a table is filled through.
func arrowView(table string) string { return "arrow_in_" + strings.ReplaceAll(table, ".", "_") }

// Ident quotes an SQL identifier, doubling embedded quotes.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Literal quotes an SQL string literal, doubling embedded quotes. It is for
// what DuckDB takes no parameter for: the paths of COPY ... TO and of
// read_parquet in a view, and a view's as-of date.
func Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var reName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidName reports whether a dataset name is safe as a table and file name.
func ValidName(s string) bool { return reName.MatchString(s) }

// Variable is a value the analyses read with getvariable('name').
type Variable struct {
	Name  string
	Value any
}

// PrepareAnalyses sets DuckDB up for the analyses: insertion order kept, so
// that their ORDER BY fixes their files' row order (ingestion ran without
// it, to save memory); memory_limit set to memory unless it is ""; and the
// variables set.
func (d *DB) PrepareAnalyses(ctx context.Context, memory string, vars []Variable) error {
	if err := d.Exec(ctx, "SET preserve_insertion_order = true"); err != nil {
		return err
	}
	if memory != "" {
		if err := d.Exec(ctx, "SET memory_limit = ?", memory); err != nil {
			return fmt.Errorf("analysis memory %q: %w", memory, err)
		}
	}
	for _, v := range vars {
		if !ValidName(v.Name) {
			return fmt.Errorf("variable name %q must be lower case letters, digits and _", v.Name)
		}
		if err := d.Exec(ctx, "SET VARIABLE "+v.Name+" = ?", v.Value); err != nil {
			return fmt.Errorf("set %s: %w", v.Name, err)
		}
	}
	return nil
}

// OutOfMemory reports whether err is DuckDB running out of its memory limit.
func OutOfMemory(err error) bool {
	var e *duckdb.Error
	return errors.As(err, &e) && e.Type == duckdb.ErrorTypeOutOfMemory
}
