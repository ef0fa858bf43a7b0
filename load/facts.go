//go:build duckdb_arrow

package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/marginmix/marginmix/fact"
)

// ChunkRows bounds the facts BuildFacts works on in one step when
// Combine.Step does not: companies are taken in name order, as many as fit
// in that many rows (a company larger than that is split by segment). Every
// statement of a step then sorts and windows at most that many rows, so
// DuckDB's memory need does not grow with the number of workbooks.
var ChunkRows int64 = 100_000

// StepFor is the facts a step may hold under a DuckDB memory limit: about
// 1,300 bytes a fact, measured (docs/performance.md: 400,000 facts a step
// under 512 MiB built 500 supplements in 15 s at 709 MiB peak, 1,000,000 in
// 12.5 s at 980 MiB), within 50,000 and 1,000,000.
func StepFor(duckMemory int64) int64 {
	return min(max(duckMemory/1300, 50_000), 1_000_000)
}

// AnalysisStepFor is the facts one range of an analysis by company
// (Analysis.ByCompany) may hold under DuckDB's memory limit for the
// analyses: four build steps (1.6 M facts under 512 MiB). Measured over
// 10 M synthetic facts (docs/performance.md): every analysis ran within 512
// MiB in one statement, and data_quality ran out of it over 33.6 M facts;
// ranges of one build step took 46.0 s, of four 35.7 s, of eight 31.1 s,
// all at once 26.3 s, each range reading its files again. Larger ranges
// raise the peak resident memory (DuckDB's above its limit): eight steps
// took 10,000 supplements to 1,054 MiB under a budget of 1 GiB.
func AnalysisStepFor(duckMemory int64) int64 {
	return analysisSteps * StepFor(duckMemory)
}

var analysisSteps int64 = 4

// FactDatasets are the fact datasets BuildFacts writes, each a folder of
// files of company ranges (layout.go).
var FactDatasets = []string{"facts", "facts_vintages"}

// BuildFacts makes the fact datasets from this run's facts (the table
// facts_new) and the previous publication's vintages, as c says, and writes
// them into dir (facts/part-X.parquet and facts_vintages/part-X.parquet, a
// file per company range: layout.go).
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
	step := c.Step
	if step <= 0 {
		step = ChunkRows
	}
	ranges, err := d.companyRanges(ctx, step)
	if err != nil {
		return err
	}
	for _, dataset := range FactDatasets {
		if err := os.MkdirAll(filepath.Join(dir, dataset), 0o755); err != nil {
			return err
		}
	}
	if err := d.buildSteps(ctx, c, ranges, hasPrev, dir, step); err != nil {
		return err
	}
	// The steps appended to it in the order they ended: sorted, the
	// analyses read the same rows in the same order however they ran.
	if err := d.Exec(ctx, "CREATE OR REPLACE TABLE _preferred_estimated AS SELECT * FROM _preferred_estimated ORDER BY "+fact.List(fact.Order())); err != nil {
		return err
	}
	if err := d.execFact(ctx, "", "cleanup", nil); err != nil {
		return err
	}
	return d.factViews(ctx, dir)
}

// buildSteps builds the steps, several at once when DuckDB has more than
// one thread. A step of about 100,000 facts fills one of DuckDB's row
// groups, and DuckDB scans a row group on one thread, so one step at a time
// kept a second CPU idle for most of the build. Each step runs on a
// connection of its own (its tables are temporary, so they do not meet),
// as many at once as DuckDB has threads, while the facts of those running
// sum to at most step: the memory a step may take is what StepFor sized.
// Each step writes its own files, so what is written does not depend on
// which ran first.
//
// Where most facts are in steps that can run side by side, DuckDB has one
// thread (mostlySideBySide, oneThreadEach).
func (d *DB) buildSteps(ctx context.Context, c Combine, ranges []companyRange, hasPrev bool, dir string, step int64) (err error) {
	var threads int
	if err := d.conn.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		return err
	}
	workers := []*DB{d}
	for len(workers) < min(threads, len(ranges)) {
		conn, err := d.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close() // and its temporary tables with it (SetMaxIdleConns(0))
		if _, err := conn.ExecContext(ctx, "SET preserve_insertion_order = true"); err != nil {
			return err
		}
		workers = append(workers, &DB{db: d.db, conn: conn})
	}
	weights := make([]int64, len(ranges))
	for i, r := range ranges {
		weights[i] = r.n
	}
	if len(workers) > 1 && mostlySideBySide(weights, step) {
		restore, err := d.oneThreadEach(ctx, threads)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, restore()) }()
	}
	return schedule(workers, weights, step, func(w *DB, i int) error {
		return w.buildStep(ctx, c, ranges[i], hasPrev, dir)
	})
}

// mostlySideBySide reports whether at least half the facts are in ranges
// of at most half a step, which the schedule can run two at a time. A
// range of more mostly runs alone, and alone a step is faster on every
// thread: three companies of 400,000 facts in steps of 410,000 built in
// 4.3 to 4.6 s at two threads and in 5.9 to 6.6 s at one.
func mostlySideBySide(weights []int64, step int64) bool {
	var small, all int64
	for _, w := range weights {
		all += w
		if w <= step/2 {
			small += w
		}
	}
	return 2*small >= all
}

// oneThreadEach sets DuckDB to one thread while the build's connections
// run their steps, and returns what sets threads back. A connection works
// on its own statement beside DuckDB's background threads (threads less
// one), so two steps at two threads kept three threads busy on two CPUs.
// Over 1,000 supplements (steps side by side) the build took 15.3, 21.5
// and 21.3 s at two threads against 12.2, 14.6 and 15.6 s at one
// (interleaved, docs/performance.md). And a statement on one thread writes
// its file the same way every time, so these fact files do not depend on
// --workers: at two threads, files of more than one of DuckDB's row groups
// ended their Parquet row groups elsewhere.
func (d *DB) oneThreadEach(ctx context.Context, threads int) (restore func() error, err error) {
	if err := d.Exec(ctx, "SET threads = 1"); err != nil {
		return nil, fmt.Errorf("one DuckDB thread for the build: %w", err)
	}
	return func() error {
		// Even when ctx is done: the database outlives the build.
		if err := d.Exec(context.WithoutCancel(ctx), fmt.Sprintf("SET threads = %d", threads)); err != nil {
			return fmt.Errorf("give DuckDB back its %d threads: %w", threads, err)
		}
		return nil
	}, nil
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
	versions := func(vs []FileVersion) [][]any {
		rows := make([][]any, len(vs))
		for i, v := range vs {
			rows[i] = []any{v.File, v.SHA256}
		}
		return rows
	}
	var scope [][]any
	if c.Scope != nil {
		for _, co := range c.Scope.Companies {
			scope = append(scope, []any{co})
		}
	}
	for _, t := range []struct {
		table string
		rows  [][]any
	}{{"_discard", versions(c.Discard)}, {"_reread", versions(c.Reread)}, {"_scope", scope}} {
		if err := d.insertRows(ctx, t.table, t.rows); err != nil {
			return false, fmt.Errorf("fill %s: %w", t.table, err)
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
	if err := d.losersOfStep(ctx); err != nil {
		return fmt.Errorf("latest, %s: %w", where, err)
	}
	return d.writeStep(ctx, r, where, dir)
}

// losersOfStep makes _losers, the rows of _chunk that lose to another
// vintage or source of their key. A key read once is its own latest;
// latest.sql decides only among the keys read more than once, which are
// few. Its window over every row, and a table of every latest row, were a
// third of a step's time.
func (d *DB) losersOfStep(ctx context.Context) error {
	keyColumns := fact.List(fact.Key())
	latest, err := latestOf("(SELECT _chunk.*, _chunk.rowid AS _rid FROM _chunk SEMI JOIN _repeated USING (" + keyColumns + "))")
	if err != nil {
		return err
	}
	for _, q := range []string{
		"CREATE OR REPLACE TEMP TABLE _repeated AS SELECT " + keyColumns + " FROM _chunk GROUP BY ALL HAVING count(*) > 1",
		"CREATE OR REPLACE TEMP TABLE _losers AS SELECT _chunk.rowid AS _rid FROM _chunk SEMI JOIN _repeated USING (" + keyColumns + ")" +
			" EXCEPT SELECT _rid FROM (" + latest + ")",
		"DROP TABLE _repeated",
	} {
		if err := d.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// writeStep writes the step's vintages (_chunk), then its latest facts:
// _chunk less _losers, which is then _latest for the estimated and
// preferred pairs. _chunk is stored in the datasets' order (new_facts.sql,
// combine.sql), and DuckDB keeps a table's order through a scan, an UPDATE
// in place (disputes.sql) and a DELETE (TestFactFilesInDatasetOrder), so
// neither file sorts again: over 1,000 supplements the COPYs took 16.8 s
// with a sort each, 9.7 s without. Nothing is written when the step has no
// facts (all were discarded).
func (d *DB) writeStep(ctx context.Context, r companyRange, where, dir string) error {
	var n int64
	if err := d.conn.QueryRowContext(ctx, "SELECT count(*) FROM _chunk").Scan(&n); err != nil || n == 0 {
		return err
	}
	if err := d.copyStep(ctx, r, "_chunk", "facts_vintages", dir); err != nil {
		return err
	}
	for _, q := range []string{
		"DELETE FROM _chunk WHERE rowid IN (SELECT _rid FROM _losers)",
		"CREATE OR REPLACE TEMP VIEW _latest AS SELECT * FROM _chunk",
	} {
		if err := d.Exec(ctx, q); err != nil {
			return fmt.Errorf("latest, %s: %w", where, err)
		}
	}
	for _, name := range []string{"estimated", "preferred"} {
		if err := d.execFact(ctx, where, name, nil); err != nil {
			return err
		}
	}
	return d.copyStep(ctx, r, "_latest", "facts", dir)
}

// copyStep writes a table of the step, in its order, into the step's file
// of a dataset.
func (d *DB) copyStep(ctx context.Context, r companyRange, table, dataset, dir string) error {
	to, err := pathLiteral(filepath.Join(dir, dataset, factFile(r)))
	if err != nil {
		return err
	}
	if err := d.Exec(ctx, copyFacts(table, to)); err != nil {
		return fmt.Errorf("write %s, %s: %w", dataset, r, err)
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

// copyFacts writes a table of facts, in its order, into one Parquet file,
// its columns in published order. (COPY takes no parameters: to is the file
// as a quoted literal, pathLiteral's.)
func copyFacts(table, to string) string {
	return fmt.Sprintf("COPY (SELECT %s FROM %s) TO %s (%s)",
		fact.List(fact.Names()), table, to, parquetOptions)
}

// factViews makes facts and facts_vintages views over the datasets in dir.
// With no facts at all they are empty tables of the same shape.
func (d *DB) factViews(ctx context.Context, dir string) error {
	// The analyses read these views several times: keep the files'
	// footers in memory instead of reading them each time.
	if err := d.Exec(ctx, "SET parquet_metadata_cache = true"); err != nil {
		return err
	}
	for _, t := range FactDatasets {
		src, err := factSource(filepath.Join(dir, t))
		if err != nil {
			return err
		}
		q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s FROM %s", t, fact.List(fact.Names()), src)
		if src == "" {
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
// more than a step's facts.
type companyRange struct {
	lo, hi       string
	segLo, segHi string
	part         int
	split        bool  // cutRanges: one company to split by segment
	n            int64 // its facts, this run's and the previous vintages
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
// previous vintages into ranges of at most step facts; a company with
// more is split by segment (every fact key holds both, so each step still
// sees all the vintages of its facts). A range also ends where the next
// company's name says so (startsRange), so that ranges, and the files
// named after them, stay put when one company changes.
func (d *DB) companyRanges(ctx context.Context, step int64) ([]companyRange, error) {
	counts, err := d.groupCounts(ctx, "counts_by_company", nil)
	if err != nil {
		return nil, fmt.Errorf("count facts by company: %w", err)
	}
	var out []companyRange
	for _, r := range cutRanges(counts, step) {
		if !r.split {
			out = append(out, r)
			continue
		}
		parts, err := d.segmentRanges(ctx, r.lo, step)
		if err != nil {
			return nil, err
		}
		out = append(out, parts...)
	}
	return out, nil
}

// cutRanges cuts companies, in name order with their fact counts, into
// ranges of at most step facts. A company of more is a range of its own
// marked split, for companyRanges to split by segment.
func cutRanges(counts []groupCount, step int64) []companyRange {
	var total int64
	for _, c := range counts {
		total += c.n
	}
	stride := rangeStride(len(counts), total, step)
	var out []companyRange
	var inRange int64
	for _, c := range counts {
		if c.n > step {
			out = append(out, companyRange{lo: c.key, hi: c.key, part: -1, split: true, n: c.n})
			inRange = step // the next company starts a range of its own
			continue
		}
		if len(out) == 0 || inRange+c.n > step || startsRange(c.key, stride) {
			out = append(out, companyRange{lo: c.key, hi: c.key, part: -1})
			inRange = 0
		}
		out[len(out)-1].hi = c.key
		out[len(out)-1].n += c.n
		inRange += c.n
	}
	return out
}

// segmentRanges splits one company into ranges of segments of at most
// step facts (a segment larger than that is a step of its own).
func (d *DB) segmentRanges(ctx context.Context, company string, step int64) ([]companyRange, error) {
	segs, err := d.groupCounts(ctx, "counts_by_segment", params{"company": company})
	if err != nil {
		return nil, fmt.Errorf("count facts of %s by segment: %w", company, err)
	}
	var parts []companyRange
	var inPart int64
	for _, s := range segs {
		if len(parts) == 0 || inPart+s.n > step {
			parts = append(parts, companyRange{lo: company, hi: company, segLo: s.key, part: len(parts)})
			inPart = 0
		}
		parts[len(parts)-1].segHi = s.key
		parts[len(parts)-1].n += s.n
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
	return scanCounts(rows)
}

// scanAny scans the current row of rows, of n columns, into a value each,
// as the driver gives them.
func scanAny(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return vals, rows.Scan(ptrs...)
}

// scanCounts reads (key, count) rows and closes them.
func scanCounts(rows *sql.Rows) ([]groupCount, error) {
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
