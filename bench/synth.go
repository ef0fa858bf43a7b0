package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/marginmix/marginmix/load"
	queries "github.com/marginmix/marginmix/sql"
)

// Synthetic facts: companies of SynthSegments segments (a Total, six
// reported segments and three business lines "Cloud / <line>" of the
// segment Cloud) x every dictionary metric x SynthQuarters quarters ending
// 2026Q1. Each reported segment's Total is the sum of its six segments, so
// the reconciliation finds nothing; margins stay within [-10%, 50%].
const (
	SynthQuarters = 40
	SynthSegments = 10
)

var synthMetrics = []struct{ name, unit, expr string }{
	// r is the segment's revenue in the quarter, in USD.
	{"revenue", "USD", "r"},
	{"operating_income", "USD", "round(r * (u1 * 0.6 - 0.1 + 0.002 * q))"},
	{"depreciation_amortization", "USD", "round(r * (0.04 + 0.08 * u2))"},
	{"capex", "USD", "round(r * (0.1 + 0.2 * u2))"},
	{"ai_revenue", "USD", "round(r * 0.2)"},
	{"ai_revenue_taas", "USD", "round(r * 0.2 * (0.05 + 0.01 * q))"},
	{"ai_revenue_iaas", "USD", "round(r * 0.2) - round(r * 0.2 * (0.05 + 0.01 * q))"},
	{"capacity_mw", "MW", "round(r / 1e7)"},
	{"server_useful_life_years", "years", "CASE WHEN u1 < 0.2 THEN 5 ELSE 6 END"},
	{"tax_rate", "ratio", "round(0.15 + 0.1 * u2, 3)"},
	{"invested_capital", "USD", "round(r * 6)"},
	{"token_share_custom_silicon", "ratio", "round(u2, 3)"},
}

// SynthFacts creates the table load.NewFacts (shared.facts_new) with n
// synthetic facts, in the columns BuildFacts reads.
func SynthFacts(ctx context.Context, db *load.DB, n int) error {
	m := len(synthMetrics)
	metricCase, unitCase, valueCase := "CASE mi", "CASE mi", "CASE mi"
	for i, x := range synthMetrics {
		metricCase += fmt.Sprintf(" WHEN %d THEN '%s'", i, x.name)
		unitCase += fmt.Sprintf(" WHEN %d THEN '%s'", i, x.unit)
		valueCase += fmt.Sprintf(" WHEN %d THEN %s", i, x.expr)
	}
	metricCase += " END"
	unitCase += " END"
	valueCase += " END"
	segments := "['Total', 'North America', 'Europe', 'Asia Pacific', 'Devices', 'Advertising', 'Cloud', 'Cloud / TaaS', 'Cloud / IaaS', 'Cloud / Core']"
	q := "CREATE OR REPLACE TABLE " + load.NewFacts + " AS\n" + fmt.Sprintf(`WITH ids AS (
    SELECT
        i,
        i %% %[1]d AS q,
        (i // %[1]d) %% %[2]d AS mi,
        (i // (%[1]d * %[2]d)) %% %[3]d AS si,
        i // (%[1]d * %[2]d * %[3]d) AS ci
    FROM range(%[4]d) AS t(i)
),
k AS (
    SELECT
        *,
        2016 * 4 + 1 + q AS qi,
        (hash(ci, si) %% 1000000) / 1e6 AS u0,
        (hash(ci, si, 1) %% 1000000) / 1e6 AS u1,
        (hash(ci, si, mi, q) %% 1000000) / 1e6 AS u2
    FROM ids
),
v AS (
    SELECT
        *,
        round(1e6 * exp(4 + 6 * u0) * pow(1.02, q)) AS r
    FROM k
)
SELECT
    'S' || lpad(CAST(ci AS VARCHAR), 5, '0') AS company,
    %[5]s[si + 1] AS segment,
    %[6]s AS metric,
    CAST(qi // 4 AS VARCHAR) || 'Q' || CAST(qi %% 4 + 1 AS VARCHAR) AS calendar_quarter,
    CAST(qi // 4 AS INTEGER) AS fiscal_year,
    CAST(qi %% 4 + 1 AS INTEGER) AS fiscal_quarter,
    last_day(make_date(CAST(qi // 4 AS INTEGER), CAST(3 * (qi %% 4 + 1) AS INTEGER), 1)) AS period_end,
    CAST(%[7]s AS DOUBLE) AS value,
    %[8]s AS unit,
    'reported' AS source_kind,
    's' || lpad(CAST(ci AS VARCHAR), 5, '0') || '_supplement.xlsx' AS source_file,
    'Segments' AS source_sheet,
    'Segments!' || chr(CAST(66 + q %% 20 AS INTEGER)) || CAST(1 + i // 20 %% 100000 AS VARCHAR) AS source_cell,
    md5(CAST(ci AS VARCHAR)) || md5(CAST(ci + 1 AS VARCHAR)) AS source_sha256,
    DATE '2026-04-30' AS as_of,
    CAST(1e6 AS DOUBLE) AS source_scale,
    %[6]s AS source_label,
    CASE WHEN %[5]s[si + 1] = 'Total' THEN 'total'
        WHEN %[5]s[si + 1] LIKE '%% / %%' THEN 'product_line'
        ELSE 'operating_segment' END AS breakdown
FROM v`, SynthQuarters, m, SynthSegments, n, segments, metricCase, valueCase, unitCase)
	if err := db.Exec(ctx, q); err != nil {
		return fmt.Errorf("synthetic facts: %w", err)
	}
	// A Total is the sum of the six reported segments (not the business lines).
	return db.Exec(ctx, `UPDATE `+load.NewFacts+` AS t SET value = s.value
FROM (
    SELECT company, metric, calendar_quarter, sum(value) AS value
    FROM `+load.NewFacts+`
    WHERE segment NOT IN ('Total') AND segment NOT LIKE '% / %'
        AND metric NOT IN ('server_useful_life_years', 'tax_rate', 'token_share_custom_silicon')
    GROUP BY ALL
) AS s
WHERE t.segment = 'Total' AND t.company = s.company AND t.metric = s.metric AND t.calendar_quarter = s.calendar_quarter`)
}

// Analyses returns the built-in analyses (sql/*.sql) in name order, as
// marginmix runs them: those that can, range by range of step facts (0:
// whole).
func Analyses(step int64) ([]load.Analysis, error) {
	var out []load.Analysis
	for _, name := range queries.Names() {
		q, err := queries.Query(name)
		if err != nil {
			return nil, err
		}
		a := load.Analysis{Name: name, Source: "sql/" + name + ".sql", SQL: q}
		if ok, across := queries.ByCompany(name); ok {
			a.ByCompany, a.Across = step, across
		}
		out = append(out, a)
	}
	return out, nil
}

// DefaultParams are the analyses' default settings as the DuckDB variables
// pipeline sets (docs/analyses.md).
var DefaultParams = []struct {
	Name  string
	Value any
}{
	{"trend_window", 4},
	{"trend_threshold_bps", 25.0},
	{"common_server_life_years", 6.0},
	{"reconciliation_tolerance_units", 0.5},
	{"large_move_bps", 1000.0},
}

// Timing is how long each stage of PrepareAndAnalyse took.
type Timing struct {
	Synth, Build time.Duration
	Analyses     []AnalysisTiming // in name order
}

// AnalysisTiming is one analysis' run.
type AnalysisTiming struct {
	Name    string
	Elapsed time.Duration
	Rows    int64 // rows of its table; -1 when it did not finish
	// Stopped: interrupted at the time limit, so Elapsed is a lower bound.
	Stopped bool
	Err     error // the error it failed with (not the interruption)
}

// Total is the time of all the analyses, and whether every one finished.
func (t Timing) Total() (time.Duration, bool) {
	var d time.Duration
	done := true
	for _, a := range t.Analyses {
		d += a.Elapsed
		done = done && !a.Stopped && a.Err == nil
	}
	return d, done
}

// Setup says how PrepareAndAnalyse runs.
type Setup struct {
	Facts int // synthetic facts
	// Limit stops an analysis that runs longer (0: no limit).
	Limit time.Duration
	// AnalysisMemory is DuckDB's memory limit while the analyses run, as a
	// run sets it; "" leaves the limit the database was opened with.
	AnalysisMemory string
	// Dir receives the fact datasets, as a run's staging folder does.
	Dir string
	// Step is the facts a build step holds, as a run sets it
	// (load.StepFor); 0: load.ChunkRows.
	Step int64
	// AnalysisStep is the facts a range of an analysis by company holds,
	// as a run sets it (load.AnalysisStepFor); 0: Step.
	AnalysisStep int64
}

// PrepareAndAnalyse builds s.Facts synthetic facts in db, makes the fact
// datasets as a first run does (BuildFacts, into s.Dir), sets the memory
// limit and the default parameters and runs every analysis, timing each
// step. An analysis that runs longer than s.Limit is interrupted and marked
// Stopped; one that fails is recorded with its error, and the next one runs.
func PrepareAndAnalyse(ctx context.Context, db *load.DB, s Setup) (Timing, error) {
	n, limit := s.Facts, s.Limit
	var t Timing
	start := time.Now()
	if err := SynthFacts(ctx, db, n); err != nil {
		return t, err
	}
	t.Synth = time.Since(start)
	start = time.Now()
	if err := load.BuildFacts(ctx, db, load.Combine{Seq: 1, Step: s.Step}, s.Dir); err != nil {
		return t, err
	}
	t.Build = time.Since(start)
	// As pipeline does: the analyses' ORDER BY holds only with insertion
	// order kept.
	if err := db.Exec(ctx, "SET preserve_insertion_order = true"); err != nil {
		return t, err
	}
	if s.AnalysisMemory != "" {
		if err := db.Exec(ctx, "SET memory_limit = ?", s.AnalysisMemory); err != nil {
			return t, err
		}
	}
	for _, p := range DefaultParams {
		if err := db.Exec(ctx, "SET VARIABLE "+p.Name+" = ?", p.Value); err != nil {
			return t, err
		}
	}
	if err := db.LoadReaderFindings(ctx, nil); err != nil { // generated workbooks have none
		return t, err
	}
	step := s.AnalysisStep
	if step <= 0 {
		step = max(s.Step, load.ChunkRows)
	}
	analyses, err := Analyses(step)
	if err != nil {
		return t, err
	}
	for _, a := range analyses {
		at := AnalysisTiming{Name: a.Name, Rows: -1}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if limit > 0 {
			actx, cancel = context.WithTimeout(ctx, limit)
		}
		start = time.Now()
		err := load.RunAnalyses(actx, db, []load.Analysis{a})
		at.Elapsed = time.Since(start)
		stopped := actx.Err() != nil
		cancel()
		switch {
		case err != nil && ctx.Err() != nil:
			return t, ctx.Err()
		case err != nil && stopped:
			at.Stopped = true
		case err != nil:
			at.Err = err
		default:
			if err := db.Conn().QueryRowContext(ctx, "SELECT count(*) FROM "+load.Ident(a.Name)).Scan(&at.Rows); err != nil {
				return t, err
			}
		}
		t.Analyses = append(t.Analyses, at)
	}
	return t, nil
}
