//go:build duckdb_arrow

package load

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/marginmix/marginmix/fact"
	queries "github.com/marginmix/marginmix/sql"
)

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

// params are the scope's parameters for sql/facts: $scoped, and the
// quarter range $from to $to (open ends as the widest bounds).
func (s *Scope) params() params {
	p := params{"scoped": s != nil, "from": "", "to": "9999Q9"}
	if s != nil && s.From != "" {
		p["from"] = s.From
	}
	if s != nil && s.To != "" {
		p["to"] = s.To
	}
	return p
}

// Combine says how this run's facts join the ones already published.
type Combine struct {
	PrevVintages string        // the previous publication's facts_vintages folder; "" when none
	Seq          int           // this run's ingest sequence number
	Reread       []FileVersion // versions read again: their earlier rows (in Scope) give way to this read
	Discard      []FileVersion // versions whose facts in facts_new are void (read, then quarantined or changed)
	Scope        *Scope        // backfill: only facts in scope are replaced or added
	Step         int64         // facts a build step holds (StepFor); <= 0: ChunkRows
}

// previousVintages makes _prev_vintages, the previous publication's
// facts_vintages in dir with the columns of fact.Columns in order, and
// reports whether there is one; without, it is an empty table of that
// shape.
func (d *DB) previousVintages(ctx context.Context, dir string) (bool, error) {
	src, err := factSource(dir)
	if err != nil {
		return false, err
	}
	if src == "" {
		if _, err := os.Stat(dir); dir != "" && err != nil && !os.IsNotExist(err) {
			return false, err
		}
		return false, d.Exec(ctx, "CREATE OR REPLACE TABLE _prev_vintages AS SELECT * FROM _preferred_estimated LIMIT 0")
	}
	sel, err := d.vintagesSelect(ctx, src)
	if err != nil {
		return false, fmt.Errorf("previous facts in %s: %w", dir, err)
	}
	return true, d.Exec(ctx, "CREATE OR REPLACE VIEW _prev_vintages AS "+sel)
}

// vintagesSelect returns a SELECT over a relation of published vintages
// with exactly the columns of fact.Columns, in order: a column that an older
// publication lacks has the value its Since gives, and one without a Since
// is an error.
func (d *DB) vintagesSelect(ctx context.Context, src string) (string, error) {
	have, err := d.columnsOf(ctx, src)
	if err != nil {
		return "", err
	}
	var sel []string
	for _, c := range fact.Columns {
		switch {
		case have[c.Name]:
			sel = append(sel, Ident(c.Name))
		case c.Since != "":
			sel = append(sel, c.Since+" AS "+Ident(c.Name))
		default:
			return "", fmt.Errorf("column %s is missing", c.Name)
		}
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + src, nil
}

// factStandIns are the fact columns added since the first publication,
// with the value each Since gives, for withAdded.
func factStandIns() []queries.Added {
	var out []queries.Added
	for _, c := range fact.Columns {
		if c.Since != "" {
			out = append(out, queries.Added{Column: c.Name, SQL: c.Since})
		}
	}
	return out
}

// columnsOf are the column names of a relation.
func (d *DB) columnsOf(ctx context.Context, src string) (map[string]bool, error) {
	rows, err := d.conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+src+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[n] = true
	}
	return have, rows.Err()
}

// withAdded selects every column of src, and each of cols it lacks (a
// publication written before the column was added) as its stand-in.
func (d *DB) withAdded(ctx context.Context, src string, cols []queries.Added) (string, error) {
	have, err := d.columnsOf(ctx, src)
	if err != nil {
		return "", err
	}
	sel := []string{"*"}
	for _, c := range cols {
		if !have[c.Column] {
			sel = append(sel, c.SQL+" AS "+Ident(c.Column))
		}
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + src, nil
}
