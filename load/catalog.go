//go:build duckdb_arrow

package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CatalogSchema is the catalog schema this marginmix writes.
const CatalogSchema = 1

// CatalogPath is where the state catalog lives inside an output folder. It is
// inside the publication, so it flips together with the data.
const CatalogPath = "_state/catalog.duckdb"

// ErrCatalogNewer: the catalog was written by a newer marginmix.
var ErrCatalogNewer = errors.New("state catalog was written by a newer marginmix")

// migrations bring a catalog from schema i to i+1.
var migrations = []string{
	`CREATE TABLE catalog.meta (key VARCHAR PRIMARY KEY, value VARCHAR);
	 CREATE TABLE catalog.runs (
		seq INTEGER PRIMARY KEY, run_id VARCHAR, command VARCHAR,
		started TIMESTAMP, finished TIMESTAMP, status VARCHAR,
		workbooks INTEGER, read INTEGER, unchanged INTEGER, quarantined INTEGER,
		facts BIGINT, extract_fingerprint VARCHAR, analysis_fingerprint VARCHAR);
	 CREATE TABLE catalog.inputs (
		run_seq INTEGER, path VARCHAR, sha256 VARCHAR, bytes BIGINT,
		status VARCHAR, reason VARCHAR, company VARCHAR, facts INTEGER);
	 CREATE TABLE catalog.vintages (
		company VARCHAR, as_of DATE, ingest_seq INTEGER,
		source_file VARCHAR, source_sha256 VARCHAR, facts BIGINT);`,
}

// Catalog is the state catalog, attached to a DB as "catalog".
type Catalog struct {
	d    *DB
	path string
}

// OpenCatalog attaches (creating it if need be) the catalog file at path and
// migrates it to CatalogSchema. A catalog from a newer marginmix is refused.
// Messages name the catalog as name, when given (path may be a working
// copy of it).
func OpenCatalog(ctx context.Context, d *DB, path string, name ...string) (*Catalog, error) {
	// DuckDB resolves links for a database, so no alias helps here: the
	// pipeline attaches a working copy in its work folder.
	lit := Literal(path)
	if len(name) > 0 && name[0] != "" {
		path = name[0]
	}
	if err := d.Exec(ctx, "ATTACH "+lit+" AS catalog"); err != nil {
		return nil, fmt.Errorf("open state catalog %s: %w", path, err)
	}
	c := &Catalog{d: d, path: path}
	v, err := c.version(ctx)
	if err != nil {
		c.Close(ctx)
		return nil, err
	}
	if v > CatalogSchema {
		c.Close(ctx)
		return nil, fmt.Errorf("%s: %w (schema %d; this one understands up to %d): use a newer marginmix", path, ErrCatalogNewer, v, CatalogSchema)
	}
	for ; v < CatalogSchema; v++ {
		if err := d.Exec(ctx, migrations[v]); err != nil {
			c.Close(ctx)
			return nil, fmt.Errorf("migrate state catalog %s to schema %d: %w", path, v+1, err)
		}
		if err := d.Exec(ctx, "INSERT OR REPLACE INTO catalog.meta VALUES ('schema_version', ?)", fmt.Sprint(v+1)); err != nil {
			c.Close(ctx)
			return nil, err
		}
	}
	return c, nil
}

func (c *Catalog) version(ctx context.Context) (int, error) {
	var n int
	err := c.d.conn.QueryRowContext(ctx,
		"SELECT count(*) FROM duckdb_tables() WHERE database_name = 'catalog' AND table_name = 'meta'").Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v int
	err = c.d.conn.QueryRowContext(ctx, "SELECT CAST(value AS INTEGER) FROM catalog.meta WHERE key = 'schema_version'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// Close detaches the catalog, writing it out.
func (c *Catalog) Close(ctx context.Context) error {
	if c == nil || c.d == nil {
		return nil
	}
	err := c.d.Exec(ctx, "DETACH catalog")
	c.d = nil
	return err
}

// LastSeq is the sequence number of the latest recorded run, 0 if none.
func (c *Catalog) LastSeq(ctx context.Context) (int, error) {
	var n sql.NullInt64
	err := c.d.conn.QueryRowContext(ctx, "SELECT max(seq) FROM catalog.runs").Scan(&n)
	return int(n.Int64), err
}

// Fingerprints returns the extract and analysis fingerprints of the latest run.
func (c *Catalog) Fingerprints(ctx context.Context) (extract, analysis string, err error) {
	err = c.d.conn.QueryRowContext(ctx,
		"SELECT extract_fingerprint, analysis_fingerprint FROM catalog.runs ORDER BY seq DESC LIMIT 1").Scan(&extract, &analysis)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	return extract, analysis, err
}

// RunRecord is one published run.
type RunRecord struct {
	Seq                 int
	RunID, Command      string
	Started, Finished   time.Time
	Status              string
	Workbooks, Read     int
	Unchanged           int
	Quarantined         int
	Facts               int64
	ExtractFingerprint  string
	AnalysisFingerprint string
}

// Record writes a run, its inputs, and the source versions first ingested
// by it (from the facts_vintages table).
//
// One transaction: a statement a row committed each input on its own, and
// 30,000 inputs took minutes.
func (c *Catalog) Record(ctx context.Context, r RunRecord, inputs []Input) (err error) {
	if err := c.d.Exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	defer func() {
		if err != nil {
			c.d.Exec(ctx, "ROLLBACK")
			return
		}
		if err = c.d.Exec(ctx, "COMMIT"); err != nil {
			err = fmt.Errorf("record run: %w", err)
		}
	}()
	err = c.d.Exec(ctx, `INSERT INTO catalog.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.RunID, r.Command, r.Started.UTC(), r.Finished.UTC(), r.Status, r.Workbooks, r.Read, r.Unchanged,
		r.Quarantined, r.Facts, r.ExtractFingerprint, r.AnalysisFingerprint)
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	rows := make([][]any, len(inputs))
	for i, in := range inputs {
		rows[i] = []any{r.Seq, in.Path, in.SHA256, in.Bytes, in.Status, in.Reason, in.Company, in.Facts}
	}
	if err := c.d.insertRows(ctx, "catalog.inputs", rows); err != nil {
		return fmt.Errorf("record inputs: %w", err)
	}
	err = c.d.Exec(ctx, `INSERT INTO catalog.vintages
		SELECT company, as_of, ingest_seq, source_file, source_sha256, count(*)
		FROM facts_vintages WHERE ingest_seq = ?
		GROUP BY ALL ORDER BY ALL`, r.Seq)
	if err != nil {
		return fmt.Errorf("record vintages: %w", err)
	}
	return nil
}
