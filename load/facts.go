//go:build duckdb_arrow

package load

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ChunkRows bounds the facts BuildFacts works on in one step: companies are
// taken in name order, as many as fit in ChunkRows rows (a company larger
// than that is split by segment). Every statement of a step then sorts and
// windows at most that many rows, so DuckDB's memory need does not grow with
// the number of workbooks. 200,000 facts a step ran out of the default
// 128 MB in the partitioned write; 100,000 fit.
var ChunkRows int64 = 100_000

// FactDatasets are the fact datasets BuildFacts writes, hive-partitioned by
// company.
var FactDatasets = []string{"facts", "facts_vintages"}

// BuildFacts makes the fact datasets from this run's facts (the table
// facts_new) and the previous publication's vintages, as c says, and writes
// them into dir (facts/company=X/part-0.parquet and facts_vintages/...).
//
//   - facts_vintages holds every distinct fact read, with its vintage
//     (as_of) and the sequence number of the run that first read it (a fact
//     read again keeps it, so reruns change nothing);
//   - facts holds the latest vintage of each fact: the latest as_of, then
//     the latest ingestion (a workbook replaced under the same as_of
//     restates it); within one vintage the first cell in lineage order wins,
//     so the choice is stable;
//   - facts_preferred (a view, not written) holds what the analyses read:
//     per company, segment, metric and quarter, the reported value where
//     both a reported and an estimated one exist.
//
// Afterwards facts and facts_vintages are views over the files just
// written. facts_preferred is facts itself for every company and segment
// without estimates (most of them: investor-relations workbooks report),
// and a table for the few with estimates; copying every fact once more into a
// table cost a third of the time. The work goes company range by
// company range (ChunkRows), because a window or a sort over every fact at
// once cannot stay within a small memory limit.
func BuildFacts(ctx context.Context, d *DB, c Combine, dir string) error {
	if err := d.buildFacts(ctx, c, dir); err != nil {
		return fmt.Errorf("build fact tables: %w", err)
	}
	return nil
}

func (d *DB) buildFacts(ctx context.Context, c Combine, dir string) error {
	cols := strings.Join(factColumns, ", ")
	prev, err := d.previousVintages(ctx, c.PrevVintages)
	if err != nil {
		return err
	}
	scope, scopeArgs := c.Scope.where()
	// Row order matters from here on (sorted Parquet); every statement
	// below works on one company range, so keeping it costs little memory.
	if err := d.Exec(ctx, "SET preserve_insertion_order = true"); err != nil {
		return err
	}
	setup := []stmt{
		{q: "CREATE OR REPLACE TEMP TABLE _discard (source_file VARCHAR, source_sha256 VARCHAR)"},
		{q: "CREATE OR REPLACE TEMP TABLE _reread (source_file VARCHAR, source_sha256 VARCHAR)"},
	}
	for _, v := range c.Discard {
		setup = append(setup, stmt{q: "INSERT INTO _discard VALUES (?, ?)", args: []any{v.File, v.SHA256}})
	}
	for _, v := range c.Reread {
		setup = append(setup, stmt{q: "INSERT INTO _reread VALUES (?, ?)", args: []any{v.File, v.SHA256}})
	}
	// One row per workbook version read: a workbook with no vintage date
	// gets the latest period it reports (transform leaves as_of empty when it
	// streams facts). A discarded version has no row here, so the inner join
	// below drops its facts.
	setup = append(setup,
		stmt{q: `CREATE OR REPLACE TEMP TABLE _sources AS
		 SELECT source_file, source_sha256, max(period_end) AS as_of_default FROM facts_new GROUP BY ALL`},
		stmt{q: `DELETE FROM _sources WHERE (source_file, source_sha256) IN (SELECT (source_file, source_sha256) FROM _discard)`},
		stmt{q: `CREATE OR REPLACE TABLE _preferred_estimated AS SELECT ` + cols + `, CAST(NULL AS INTEGER) AS ingest_seq FROM facts_new LIMIT 0`},
		stmt{q: `CREATE OR REPLACE TEMP TABLE _estimated (company VARCHAR, segment VARCHAR)`},
	)
	if err := d.run(ctx, "", setup); err != nil {
		return err
	}
	var newCols []string
	for _, c := range factColumns {
		if c == "as_of" {
			newCols = append(newCols, "coalesce(n.as_of, s.as_of_default) AS as_of")
		} else {
			newCols = append(newCols, "n."+c)
		}
	}
	newFacts := `SELECT ` + strings.Join(newCols, ", ") + `, CAST(? AS INTEGER) AS ingest_seq
		FROM facts_new AS n JOIN _sources AS s USING (source_file, source_sha256)
		WHERE `

	ranges, err := d.companyRanges(ctx, prev)
	if err != nil {
		return err
	}
	for _, dataset := range FactDatasets {
		if err := os.MkdirAll(filepath.Join(dir, dataset), 0o755); err != nil {
			return err
		}
	}
	for _, r := range ranges {
		var steps []stmt
		if prev == "" {
			steps = append(steps, stmt{"combine", `CREATE OR REPLACE TEMP TABLE _chunk AS ` + newFacts + r.cond("n.") + ` AND ` + scope,
				append(append([]any{c.Seq}, r.args()...), scopeArgs...)})
		} else {
			// A fact read again keeps the number of the run that first read it.
			steps = append(steps,
				stmt{"previous vintages", `CREATE OR REPLACE TEMP TABLE _prev AS SELECT * FROM (` + prev + `) WHERE ` + r.cond(""), r.args()},
				stmt{"combine", `CREATE OR REPLACE TEMP TABLE _chunk AS
				SELECT ` + cols + `, min(ingest_seq) AS ingest_seq FROM (
					SELECT * FROM _prev
					WHERE NOT ((source_file, source_sha256) IN (SELECT (source_file, source_sha256) FROM _reread) AND ` + scope + `)
					UNION ALL
					SELECT n.* EXCLUDE (ingest_seq), coalesce(p.seq, n.ingest_seq) AS ingest_seq
					FROM (` + newFacts + r.cond("n.") + ` AND ` + scope + `) AS n
					LEFT JOIN (SELECT ` + cols + `, min(ingest_seq) AS seq FROM _prev GROUP BY ALL) AS p USING (` + cols + `)
				) GROUP BY ALL`, append(append(append(append([]any{}, scopeArgs...), c.Seq), r.args()...), scopeArgs...)})
		}
		steps = append(steps,
			stmt{"latest", `CREATE OR REPLACE TEMP TABLE _latest AS SELECT * FROM _chunk
			  QUALIFY row_number() OVER (PARTITION BY ` + factKey + `
			                             ORDER BY as_of DESC, ingest_seq DESC, source_file, source_sheet, source_cell) = 1`, nil},
			// source_kind is reported or estimate (transform.Spec), and
			// _latest holds one row of each kind per quarter at most: an
			// estimate is preferred only where no reported value exists.
			// Per segment, not per company: a company split into steps by
			// segment has estimates in some steps only.
			stmt{"estimated", `INSERT INTO _estimated SELECT DISTINCT company, segment FROM _latest WHERE source_kind <> 'reported'`, nil},
			stmt{"preferred", `INSERT INTO _preferred_estimated SELECT * FROM _latest
			  WHERE (company, segment) IN (SELECT (company, segment) FROM _latest WHERE source_kind <> 'reported')
			    AND (source_kind = 'reported' OR (company, segment, metric, calendar_quarter) NOT IN (
			      SELECT (company, segment, metric, calendar_quarter) FROM _latest WHERE source_kind = 'reported'))`, nil},
			stmt{"write facts_vintages", copyFacts("_chunk", filepath.Join(dir, "facts_vintages"), r.part), nil},
			stmt{"write facts", copyFacts("_latest", filepath.Join(dir, "facts"), r.part), nil},
		)
		if err := d.run(ctx, r.String(), steps); err != nil {
			return err
		}
	}
	drop := []stmt{{q: "DROP TABLE IF EXISTS _chunk"}, {q: "DROP TABLE IF EXISTS _latest"}, {q: "DROP TABLE IF EXISTS _prev"}}
	if err := d.run(ctx, "", drop); err != nil {
		return err
	}
	return d.factViews(ctx, dir)
}

// stmt is one statement of BuildFacts; what names it in errors.
type stmt struct {
	what string
	q    string
	args []any
}

// run executes statements in order; an error names the statement and
// where (a company range), when they are given.
func (d *DB) run(ctx context.Context, where string, stmts []stmt) error {
	for _, s := range stmts {
		if err := d.Exec(ctx, s.q, s.args...); err != nil {
			if s.what != "" {
				return fmt.Errorf("%s, %s: %w", s.what, where, err)
			}
			return err
		}
	}
	return nil
}

// copyFacts writes a table of facts, sorted, into a hive-partitioned
// dataset folder, next to the companies earlier ranges wrote there. A
// company written in several steps gets a file per step, part-00000K-0.parquet.
func copyFacts(table, dir string, part int) string {
	pattern := "part-{i}"
	if part >= 0 {
		pattern = fmt.Sprintf("part-%06d-{i}", part) // in name order, as written
	}
	return fmt.Sprintf("COPY (SELECT * FROM %s ORDER BY %s) TO %s (%s, PARTITION_BY (company), FILENAME_PATTERN '%s', OVERWRITE_OR_IGNORE)",
		table, factOrder, Literal(dir), parquetOptions, pattern)
}

// factViews makes facts and facts_vintages views over the datasets in dir,
// with the columns in table order (hive partitioning moves company to the
// end, and would guess its type from the folder names). With no facts at
// all they are empty tables of the same shape.
func (d *DB) factViews(ctx context.Context, dir string) error {
	sel := strings.Join(append(append([]string{}, factColumns...), "ingest_seq"), ", ")
	// The analyses read these views several times: keep the footers of
	// the thousands of files in memory instead of reading them each time.
	if err := d.Exec(ctx, "SET parquet_metadata_cache = true"); err != nil {
		return err
	}
	for _, t := range FactDatasets {
		glob := filepath.Join(dir, t, "*", "*.parquet")
		q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s FROM read_parquet(%s, hive_partitioning = true, hive_types = {'company': VARCHAR})",
			t, sel, Literal(glob))
		if files, _ := filepath.Glob(glob); len(files) == 0 {
			q = fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * FROM _preferred_estimated LIMIT 0", t)
		}
		if err := d.Exec(ctx, q); err != nil {
			return err
		}
	}
	return d.Exec(ctx, `CREATE OR REPLACE VIEW facts_preferred AS
		SELECT * FROM facts WHERE (company, segment) NOT IN (SELECT (company, segment) FROM _estimated)
		UNION ALL
		SELECT * FROM _preferred_estimated`)
}

// companyRange is one step of BuildFacts: companies lo to hi, or (part >=
// 0) the segments segLo to segHi of company lo, when that company alone has
// more than ChunkRows facts.
type companyRange struct {
	lo, hi       string
	segLo, segHi string
	part         int
}

func (r companyRange) cond(prefix string) string {
	c := prefix + "company BETWEEN ? AND ?"
	if r.part >= 0 {
		c += " AND " + prefix + "segment BETWEEN ? AND ?"
	}
	return c
}

func (r companyRange) args() []any {
	if r.part >= 0 {
		return []any{r.lo, r.hi, r.segLo, r.segHi}
	}
	return []any{r.lo, r.hi}
}

func (r companyRange) String() string {
	if r.part >= 0 {
		return fmt.Sprintf("company %s, segments %s to %s", r.lo, r.segLo, r.segHi)
	}
	return fmt.Sprintf("companies %s to %s", r.lo, r.hi)
}

// companyRanges splits the companies of this run's facts and of the
// previous vintages into ranges of at most ChunkRows facts; a company with
// more is split by segment (every fact key holds both, so each step still
// sees all the vintages of its facts).
func (d *DB) companyRanges(ctx context.Context, prev string) ([]companyRange, error) {
	counts, err := d.groupCounts(ctx, prev, "company", "company IS NOT NULL", nil)
	if err != nil {
		return nil, fmt.Errorf("count facts by company: %w", err)
	}
	var out []companyRange
	var inRange int64
	for _, c := range counts {
		if c.n > ChunkRows {
			segs, err := d.groupCounts(ctx, prev, "segment", "company = ?", []any{c.key})
			if err != nil {
				return nil, fmt.Errorf("count facts of %s by segment: %w", c.key, err)
			}
			var parts []companyRange
			var inPart int64
			for _, s := range segs {
				if len(parts) == 0 || inPart+s.n > ChunkRows {
					parts = append(parts, companyRange{lo: c.key, hi: c.key, segLo: s.key, part: len(parts)})
					inPart = 0
				}
				parts[len(parts)-1].segHi = s.key
				inPart += s.n
			}
			out = append(out, parts...)
			inRange = ChunkRows // the next company starts a range of its own
			continue
		}
		if len(out) == 0 || inRange+c.n > ChunkRows {
			out = append(out, companyRange{lo: c.key, hi: c.key, part: -1})
			inRange = 0
		}
		out[len(out)-1].hi = c.key
		inRange += c.n
	}
	return out, nil
}

type groupCount struct {
	key string
	n   int64
}

// groupCounts counts this run's facts and the previous vintages by one
// column, under a condition, in the column's order.
func (d *DB) groupCounts(ctx context.Context, prev, col, where string, args []any) ([]groupCount, error) {
	q := "SELECT " + col + ", count(*) FROM facts_new WHERE " + where + " GROUP BY " + col
	if prev != "" {
		q = "SELECT k, sum(n) FROM (" + q + " UNION ALL SELECT " + col + ", count(*) FROM (" + prev + ") WHERE " + where +
			" GROUP BY " + col + ") AS t(k, n) GROUP BY k"
		args = append(append([]any{}, args...), args...)
	}
	rows, err := d.conn.QueryContext(ctx, q+" ORDER BY 1", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []groupCount
	for rows.Next() {
		var g groupCount
		if err := rows.Scan(&g.key, &g.n); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
