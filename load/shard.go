package load

import (
	"context"
	"fmt"
	"strings"
)

// WriteTable writes a table to one Parquet file, as a shard stages the
// facts it read for the commit that publishes them.
func (d *DB) WriteTable(ctx context.Context, table, path string) error {
	lit, err := pathLiteral(path)
	if err != nil {
		return err
	}
	if err := d.Exec(ctx, fmt.Sprintf("COPY %s TO %s (%s)", tableRef(table), lit, parquetOptions)); err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	return nil
}

// AppendParquet appends the rows of Parquet files to a table, matching
// columns by name, as a commit gathers the facts its shards staged.
func (d *DB) AppendParquet(ctx context.Context, table string, files []string) error {
	if len(files) == 0 {
		return nil
	}
	lits := make([]string, len(files))
	for i, f := range files {
		lit, err := pathLiteral(f)
		if err != nil {
			return err
		}
		lits[i] = lit
	}
	q := fmt.Sprintf("INSERT INTO %s BY NAME SELECT * FROM read_parquet([%s])", tableRef(table), strings.Join(lits, ", "))
	if err := d.Exec(ctx, q); err != nil {
		return fmt.Errorf("load staged facts into %s: %w", table, err)
	}
	return nil
}
