//go:build duckdb_arrow

package load

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Change is one difference between the published facts and the facts a run
// would publish.
type Change struct {
	Kind            string // added, changed or removed
	Company         string
	Segment         string
	Metric          string
	CalendarQuarter string
	SourceKind      string
	Old, New        sql.NullFloat64
	OldCell         string // file:Sheet!A1
	NewCell         string
}

// DiffFacts compares the published facts (latest vintages, in prevFacts)
// with the facts table, within scope (sql/facts/diff.sql). It reads the
// tables BuildFacts sets up, so it runs after BuildFacts.
func DiffFacts(ctx context.Context, d *DB, prevFacts string, scope *Scope) ([]Change, error) {
	src, err := factSource(prevFacts)
	if err != nil {
		return nil, err
	}
	q := "CREATE OR REPLACE TEMP TABLE _published AS SELECT * FROM facts LIMIT 0"
	if src != "" {
		q = "CREATE OR REPLACE TEMP VIEW _published AS SELECT * FROM " + src
	}
	if err := d.Exec(ctx, q); err != nil {
		return nil, fmt.Errorf("diff facts: %w", err)
	}
	rows, err := d.queryFact(ctx, "diff", scope.params())
	if err != nil {
		return nil, fmt.Errorf("diff facts: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.Kind, &c.Company, &c.Segment, &c.Metric, &c.CalendarQuarter, &c.SourceKind, &c.Old, &c.New, &c.OldCell, &c.NewCell); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// String renders a change for people: "changed AMZN AWS revenue 2026Q1: 37800000000 -> 38000000000 (amzn.xlsx:Segment Information!J10)".
func (c Change) String() string {
	key := strings.Join([]string{c.Company, c.Segment, c.Metric, c.CalendarQuarter}, " ")
	if c.SourceKind != "reported" {
		key += " (" + c.SourceKind + ")"
	}
	f := func(v sql.NullFloat64) string { return strconv.FormatFloat(v.Float64, 'f', -1, 64) }
	switch c.Kind {
	case "added":
		return fmt.Sprintf("added   %s: %s (%s)", key, f(c.New), c.NewCell)
	case "removed":
		return fmt.Sprintf("removed %s: %s (%s)", key, f(c.Old), c.OldCell)
	}
	return fmt.Sprintf("changed %s: %s -> %s (%s, was %s)", key, f(c.Old), f(c.New), c.NewCell, c.OldCell)
}
