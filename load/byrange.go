//go:build duckdb_arrow

package load

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// An analysis run company range by company range (Analysis.ByCompany):
// data_quality over 33.6 million facts ran out of DuckDB's 512 MiB in one
// statement, and every one of its checks is within a company. Each range
// runs the analysis's SQL with facts, facts_vintages, facts_preferred and
// reader_findings narrowed to the range by temporary views of the same
// names (DuckDB looks in temp first), the rows go into one table, and that
// table is sorted once by the analysis's own final ORDER BY: the result is
// the one statement's, row for row.

// byCompanyRanges are the company bounds of an analysis by range: half-open
// [lo, next lo), the first open below (and holding NULL), the last above,
// so that rows of a company with no facts (a quarantined workbook's
// finding) fall in exactly one range.
func (d *DB) byCompanyRanges(ctx context.Context, step int64) ([]string, error) {
	rows, err := d.conn.QueryContext(ctx, "SELECT company, count(*) FROM facts_vintages WHERE company IS NOT NULL GROUP BY company ORDER BY company")
	if err != nil {
		return nil, err
	}
	counts, err := scanCounts(rows)
	if err != nil {
		return nil, err
	}
	return greedyRanges(counts, step), nil
}

// greedyRanges cuts companies, in name order with their fact counts, into
// ranges of as many as fit in step facts (a larger company is a range of
// its own) and returns each range's first company. An analysis's ranges
// are no files, so they need not stay put between runs as the fact
// datasets' do (cutRanges): filling each range gave half as many ranges.
func greedyRanges(counts []groupCount, step int64) []string {
	var los []string
	var in int64
	for _, c := range counts {
		if len(los) == 0 || in+c.n > step {
			los = append(los, c.key)
			in = 0
		}
		in += c.n
	}
	return los
}

var reQualified = regexp.MustCompile(`\b[a-z_][a-z0-9_]*\.([a-z_][a-z0-9_]*)\b`)

// narrowed are the relations an analysis reads that a range narrows.
var narrowed = []string{"facts", "facts_vintages", "facts_preferred", ReaderFindingsTable}

// runByCompany runs one analysis range by range into its table.
func (d *DB) runByCompany(ctx context.Context, a Analysis, body string) error {
	los, err := d.byCompanyRanges(ctx, a.ByCompany)
	if err != nil {
		return fmt.Errorf("%s: company ranges: %w", a.Source, err)
	}
	order := strings.LastIndex(strings.ToUpper(body), "ORDER BY")
	if len(los) < 2 || order < 0 {
		return d.runWhole(ctx, a, body)
	}
	// The originals are named with their database: temp has a schema main too.
	var db string
	if err := d.conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return err
	}
	parts := "_parts_" + a.Name
	defer d.Exec(ctx, "DROP TABLE IF EXISTS "+Ident(parts))
	for i, lo := range los {
		cond := "company >= " + Literal(lo)
		if i == 0 {
			cond = "(company IS NULL OR company < " + Literal(los[1]) + ")"
		} else if i < len(los)-1 {
			cond += " AND company < " + Literal(los[i+1])
		}
		if err := d.narrow(ctx, db, cond); err != nil {
			d.widen(ctx)
			return err
		}
		q := fmt.Sprintf("INSERT INTO %s %s", Ident(parts), body)
		if i == 0 {
			q = fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS %s", Ident(parts), body)
		}
		if err := d.Exec(ctx, q); err != nil {
			d.widen(ctx)
			return &AnalysisError{Source: a.Source, Line: errorLine(err), Err: fmt.Errorf("companies from %s: %w", lo, err)}
		}
	}
	if err := d.widen(ctx); err != nil {
		return err
	}
	// The final ORDER BY may name the columns through its FROM's aliases
	// (m.company); over the gathered rows they are the plain names.
	if err := d.gather(ctx, a.Name, parts, reQualified.ReplaceAllString(body[order:], "$1")); err != nil {
		return &AnalysisError{Source: a.Source, Err: err}
	}
	if a.Across != "" {
		if err := d.Exec(ctx, a.Across); err != nil {
			return &AnalysisError{Source: a.Source, Err: fmt.Errorf("across companies: %w", err)}
		}
	}
	return nil
}

var reByCompanyFirst = regexp.MustCompile(`(?is)^ORDER BY\s+company\s*(,|$)`)

// gather makes the analysis's table from its ranges' rows in parts, in the
// order orderBy gives. Each range's rows are in that order already, and
// the ranges went in company order: where orderBy starts with company
// (ascending) and no row lacks one, the ranges one after another are in
// that order, and parts becomes the table as it is. Sorting them again
// took a fifth of segment_margins' time.
func (d *DB) gather(ctx context.Context, name, parts, orderBy string) error {
	if reByCompanyFirst.MatchString(strings.TrimSpace(orderBy)) {
		var nulls int64
		if err := d.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+Ident(parts)+" WHERE company IS NULL").Scan(&nulls); err != nil {
			return err
		}
		if nulls == 0 {
			if err := d.Exec(ctx, "DROP TABLE IF EXISTS "+Ident(name)); err != nil {
				return err
			}
			return d.Exec(ctx, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", Ident(parts), Ident(name)))
		}
	}
	return d.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS SELECT * FROM %s %s", Ident(name), Ident(parts), orderBy))
}

// narrow makes temporary views of the relations an analysis reads, limited
// to the rows that cond admits, over the originals in database db.
func (d *DB) narrow(ctx context.Context, db, cond string) error {
	for _, t := range narrowed {
		q := fmt.Sprintf("CREATE OR REPLACE TEMP VIEW %s AS SELECT * FROM %s.main.%s WHERE %s", Ident(t), Ident(db), Ident(t), cond)
		if err := d.Exec(ctx, q); err != nil {
			return fmt.Errorf("narrow %s: %w", t, err)
		}
	}
	return nil
}

// widen drops the temporary views.
func (d *DB) widen(ctx context.Context) error {
	for _, t := range narrowed {
		if err := d.Exec(ctx, "DROP VIEW IF EXISTS temp."+Ident(t)); err != nil {
			return err
		}
	}
	return nil
}
