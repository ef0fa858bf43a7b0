//go:build duckdb_arrow

package load

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/marginmix/marginmix/fact"
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

// buildFacts runs the statements of sql/facts: set up, then per step
// combine, pick the latest and the preferred vintages and write both
// datasets, then clean up and make the views.
func (d *DB) buildFacts(ctx context.Context, c Combine, dir string) error {
	// Row order matters from here on (sorted Parquet); every statement
	// works on one company range, so keeping it costs little memory.
	if err := d.Exec(ctx, "SET preserve_insertion_order = true"); err != nil {
		return err
	}
	hasPrev, err := d.setUpBuild(ctx, c)
	if err != nil {
		return err
	}
	ranges, err := d.companyRanges(ctx)
	if err != nil {
		return err
	}
	for _, dataset := range FactDatasets {
		if err := os.MkdirAll(filepath.Join(dir, dataset), 0o755); err != nil {
			return err
		}
	}
	for _, r := range ranges {
		if err := d.buildStep(ctx, c, r, hasPrev, dir); err != nil {
			return err
		}
	}
	if err := d.execFact(ctx, "", "cleanup", nil); err != nil {
		return err
	}
	return d.factViews(ctx, dir)
}

// setUpBuild makes the tables the steps read: the previous vintages, the
// workbook versions to discard and re-read, the scope and the sources.
// It reports whether there are previous vintages.
func (d *DB) setUpBuild(ctx context.Context, c Combine) (bool, error) {
	if err := d.execFact(ctx, "", "setup", nil); err != nil {
		return false, err
	}
	hasPrev, err := d.previousVintages(ctx, c.PrevVintages)
	if err != nil {
		return false, err
	}
	for _, v := range c.Discard {
		if err := d.Exec(ctx, "INSERT INTO _discard VALUES (?, ?)", v.File, v.SHA256); err != nil {
			return false, fmt.Errorf("fill _discard: %w", err)
		}
	}
	for _, v := range c.Reread {
		if err := d.Exec(ctx, "INSERT INTO _reread VALUES (?, ?)", v.File, v.SHA256); err != nil {
			return false, fmt.Errorf("fill _reread: %w", err)
		}
	}
	if c.Scope != nil {
		for _, co := range c.Scope.Companies {
			if err := d.Exec(ctx, "INSERT INTO _scope VALUES (?)", co); err != nil {
				return false, fmt.Errorf("fill _scope: %w", err)
			}
		}
	}
	return hasPrev, d.execFact(ctx, "", "sources", nil)
}

// buildStep builds and writes the fact datasets of one company range.
func (d *DB) buildStep(ctx context.Context, c Combine, r companyRange, hasPrev bool, dir string) error {
	where := r.String()
	scope := c.Scope.params()
	step := r.params()
	newFacts := merge(step, scope, params{"seq": c.Seq})
	if err := d.execFact(ctx, where, "new_facts", newFacts); err != nil {
		return err
	}
	if hasPrev {
		if err := d.execFact(ctx, where, "previous", step); err != nil {
			return err
		}
		if err := d.execFact(ctx, where, "combine", scope); err != nil {
			return err
		}
	} else if err := d.execFact(ctx, where, "combine_first", nil); err != nil {
		return err
	}
	if err := d.execFact(ctx, where, "disputes", nil); err != nil {
		return err
	}
	latest, err := latestOf("_chunk")
	if err != nil {
		return err
	}
	if err := d.Exec(ctx, "CREATE OR REPLACE TEMP TABLE _latest AS "+latest); err != nil {
		return fmt.Errorf("latest, %s: %w", where, err)
	}
	for _, name := range []string{"estimated", "preferred"} {
		if err := d.execFact(ctx, where, name, nil); err != nil {
			return err
		}
	}
	writes := []struct{ table, dataset string }{{"_chunk", "facts_vintages"}, {"_latest", "facts"}}
	for _, w := range writes {
		to, err := pathLiteral(filepath.Join(dir, w.dataset))
		if err != nil {
			return err
		}
		if err := d.Exec(ctx, copyFacts(w.table, to, r.part)); err != nil {
			return fmt.Errorf("write %s, %s: %w", w.dataset, where, err)
		}
	}
	return nil
}

// merge joins parameter sets.
func merge(ps ...params) params {
	out := params{}
	for _, p := range ps {
		for k, v := range p {
			out[k] = v
		}
	}
	return out
}

// copyFacts writes a table of facts, sorted, into a hive-partitioned
// dataset folder, next to the companies earlier ranges wrote there. A
// company written in several steps gets a file per step, part-00000K-0.parquet.
// (COPY takes no parameters: to is the folder as a quoted literal,
// pathLiteral's.)
func copyFacts(table, to string, part int) string {
	pattern := "part-{i}"
	if part >= 0 {
		pattern = fmt.Sprintf("part-%06d-{i}", part) // in name order, as written
	}
	return fmt.Sprintf("COPY (SELECT * FROM %s ORDER BY %s) TO %s (%s, PARTITION_BY (company), FILENAME_PATTERN '%s', OVERWRITE_OR_IGNORE)",
		table, fact.List(fact.Order()), to, parquetOptions, pattern)
}

// factViews makes facts and facts_vintages views over the datasets in dir,
// with the columns in table order (hive partitioning moves company to the
// end, and would guess its type from the folder names). With no facts at
// all they are empty tables of the same shape.
func (d *DB) factViews(ctx context.Context, dir string) error {
	// The analyses read these views several times: keep the footers of
	// the thousands of files in memory instead of reading them each time.
	if err := d.Exec(ctx, "SET parquet_metadata_cache = true"); err != nil {
		return err
	}
	for _, t := range FactDatasets {
		glob, err := pathLiteral(filepath.Join(dir, t), "*", "*.parquet")
		if err != nil {
			return err
		}
		q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s FROM read_parquet(%s, hive_partitioning = true, hive_types = {'company': VARCHAR})",
			t, fact.List(fact.Names()), glob)
		if files, _ := filepath.Glob(filepath.Join(globEscape(dir), t, "*", "*.parquet")); len(files) == 0 {
			q = fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * FROM _preferred_estimated LIMIT 0", t)
		}
		if err := d.Exec(ctx, q); err != nil {
			return err
		}
	}
	return d.execFact(ctx, "", "facts_preferred", nil)
}

// companyRange is one step of BuildFacts: companies lo to hi, or (part >=
// 0) the segments segLo to segHi of company lo, when that company alone has
// more than ChunkRows facts.
type companyRange struct {
	lo, hi       string
	segLo, segHi string
	part         int
}

// params are the step's bounds for sql/facts: $seg_lo and $seg_hi are
// NULL unless one company is split by segment.
func (r companyRange) params() params {
	p := params{"lo": r.lo, "hi": r.hi, "seg_lo": nil, "seg_hi": nil}
	if r.part >= 0 {
		p["seg_lo"], p["seg_hi"] = r.segLo, r.segHi
	}
	return p
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
func (d *DB) companyRanges(ctx context.Context) ([]companyRange, error) {
	counts, err := d.groupCounts(ctx, "counts_by_company", nil)
	if err != nil {
		return nil, fmt.Errorf("count facts by company: %w", err)
	}
	var out []companyRange
	var inRange int64
	for _, c := range counts {
		if c.n > ChunkRows {
			parts, err := d.segmentRanges(ctx, c.key)
			if err != nil {
				return nil, err
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

// segmentRanges splits one company into ranges of segments of at most
// ChunkRows facts (a segment larger than that is a step of its own).
func (d *DB) segmentRanges(ctx context.Context, company string) ([]companyRange, error) {
	segs, err := d.groupCounts(ctx, "counts_by_segment", params{"company": company})
	if err != nil {
		return nil, fmt.Errorf("count facts of %s by segment: %w", company, err)
	}
	var parts []companyRange
	var inPart int64
	for _, s := range segs {
		if len(parts) == 0 || inPart+s.n > ChunkRows {
			parts = append(parts, companyRange{lo: company, hi: company, segLo: s.key, part: len(parts)})
			inPart = 0
		}
		parts[len(parts)-1].segHi = s.key
		inPart += s.n
	}
	return parts, nil
}

type groupCount struct {
	key string
	n   int64
}

// groupCounts runs one of the counting queries of sql/facts.
func (d *DB) groupCounts(ctx context.Context, name string, p params) ([]groupCount, error) {
	rows, err := d.queryFact(ctx, name, p)
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
