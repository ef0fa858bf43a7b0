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
	c, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	db := sql.OpenDB(c)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	d := &DB{db: db, conn: conn}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		d.arrow = a
		return err
	})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("duckdb arrow: %w", err)
	}
	if threads > 0 {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
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

// CreateTableFromArrow copies an Arrow stream into a new DuckDB table.
//
// duckdb-go's Arrow view returns wrong values when a query projects or
// filters it, and it can be read only once; so the view is materialised with
// CREATE TABLE AS SELECT * and dropped before anything else reads it.
func (d *DB) CreateTableFromArrow(ctx context.Context, table string, rdr array.RecordReader) error {
	view := "arrow_in_" + table
	release, err := d.arrow.RegisterView(rdr, view)
	if err != nil {
		return fmt.Errorf("register arrow view: %w", err)
	}
	defer release()
	q := fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM %s", Ident(table), Ident(view))
	if _, err := d.conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("materialise %s: %w", table, err)
	}
	_, err = d.conn.ExecContext(ctx, "DROP VIEW IF EXISTS "+Ident(view))
	return err
}

// Ident quotes an SQL identifier, doubling embedded quotes.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Literal quotes an SQL string literal, doubling embedded quotes. It is used
// only for file paths in COPY, which takes no parameters.
func Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var reName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidName reports whether a dataset name is safe as a table and file name.
func ValidName(s string) bool { return reName.MatchString(s) }
