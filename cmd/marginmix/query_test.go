//go:build duckdb_arrow

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/marginmix/marginmix/load"
)

// publishSamples runs marginmix on the bundled samples into a new folder.
func publishSamples(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run(t, "run", "--out", out); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	return out
}

func TestQueryCommand(t *testing.T) {
	out := publishSamples(t)
	query := func(t *testing.T, want string, args ...string) {
		t.Helper()
		code, stdout, stderr := run(t, append([]string{"query", "--out", out}, args...)...)
		if code != exitOK || stdout != want {
			t.Errorf("query %q: exit %d\n%s\ngot:\n%s\nwant:\n%s", args, code, stderr, stdout, want)
		}
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	// Computed as the SQL computes them, in float64 (not Go's exact constants).
	oi, rev, oiPrev, revPrev := 14035e6, 37800e6, 12453e6, 35579e6
	margin := oi / rev
	qoq := (margin - oiPrev/revPrev) * 10000

	t.Run("table", func(t *testing.T) {
		query(t, `company  segment  calendar_quarter  metric                  value  period_end
-------  -------  ----------------  ----------------  -----------  ----------
AMZN     AWS      2026Q1            operating_income  14035000000  2026-03-31
AMZN     AWS      2026Q1            revenue           37800000000  2026-03-31
(2 rows)
`, `SELECT company, segment, calendar_quarter, metric, value, period_end FROM facts
    WHERE company = 'AMZN' AND segment = 'AWS' AND calendar_quarter = '2026Q1'
      AND metric IN ('revenue', 'operating_income') ORDER BY metric`)
		// Readable numbers: no exponent, at most six decimals; NULL spelt out.
		query(t, `operating_margin  margin_qoq_bps                    big  tiny  note
----------------  --------------  ---------------------  ----  ----
        0.371296       212.86459  150000000000000000000     0  NULL
(1 row)
`, `SELECT operating_margin, margin_qoq_bps, 1.5e20::DOUBLE AS big, 1e-9::DOUBLE AS tiny, NULL::VARCHAR AS note
    FROM segment_margins WHERE company = 'AMZN' AND segment = 'AWS' AND calendar_quarter = '2026Q1'`)
	})
	t.Run("csv", func(t *testing.T) {
		query(t, `company,segment,period_end,operating_margin,margin_qoq_bps,quoted
AMZN,AWS,2024-03-31,`+f(9414e6/25037e6)+`,,"a,""b"""
AMZN,AWS,2026-03-31,`+f(margin)+`,`+f(qoq)+`,"a,""b"""
`, "--format", "csv", `SELECT company, segment, period_end, operating_margin, margin_qoq_bps, 'a,"b"' AS quoted
    FROM segment_margins WHERE company = 'AMZN' AND segment = 'AWS' AND calendar_quarter IN ('2024Q1', '2026Q1')
    ORDER BY calendar_quarter`)
	})
	t.Run("json", func(t *testing.T) {
		want := `[
  {"company": "AMZN", "calendar_quarter": "2026Q1", "period_end": "2026-03-31", "revenue": 37800000000, "operating_income": 14035000000, "fiscal_year": 2026, "ttm_revenue": 137258000000, "unexplained": null},
  {"company": "AMZN", "calendar_quarter": "2024Q1", "period_end": "2024-03-31", "revenue": 25037000000, "operating_income": 9414000000, "fiscal_year": 2024, "ttm_revenue": null, "unexplained": null}
]
`
		query(t, want, "--format", "json", `SELECT company, calendar_quarter, period_end, revenue, operating_income, fiscal_year,
    ttm_revenue, NULL::DOUBLE AS unexplained FROM segment_margins
    WHERE company = 'AMZN' AND segment = 'AWS' AND calendar_quarter IN ('2024Q1', '2026Q1') ORDER BY calendar_quarter DESC`)
		var rows []map[string]any
		if err := json.Unmarshal([]byte(want), &rows); err != nil || len(rows) != 2 {
			t.Fatalf("not JSON: %v", err)
		}
		query(t, "[]\n", "--format", "json", "SELECT * FROM facts WHERE false")
	})
	t.Run("views", func(t *testing.T) {
		query(t, `name
---------------------
ai_mix
data_quality
depreciation_adjusted
facts
facts_vintages
margin_bridge
peer_trends
revenue_per_mw
roic
segment_margins
(10 rows)
`, "SELECT view_name AS name FROM duckdb_views() WHERE NOT internal ORDER BY 1")
		// The partition column comes back from the folder names.
		query(t, "company,rows\nAMZN,72\nCRWV,18\nGOOGL,90\nMSFT,144\nORCL,81\n", "--format", "csv",
			"SELECT company, count(*) AS rows FROM facts_vintages WHERE source_kind = 'reported' GROUP BY company ORDER BY company")
	})
	t.Run("as-of", func(t *testing.T) {
		const ic = `SELECT value, as_of FROM facts WHERE company = 'MSFT' AND segment = 'Intelligent Cloud'
		              AND metric = 'revenue' AND calendar_quarter = '2025Q3'`
		query(t, "value,as_of\n31150000000,2026-06-15\n", "--format", "csv", ic)
		query(t, "value,as_of\n30900000000,2026-04-29\n", "--format", "csv", "--as-of", "2026-05-01", ic)
		query(t, "value,as_of\n", "--format", "csv", "--as-of", "2026-01-01", ic)
		// An analysis is not there as of a date: a usage error that says
		// so and what is.
		code, stdout, stderr := run(t, "query", "--out", out, "--as-of", "2026-05-01", "SELECT * FROM segment_margins")
		want := "marginmix: segment_margins is not available with --as-of: the analyses are computed from the latest facts only, not as of a date. " +
			"With --as-of 2026-05-01 you can query facts (the latest vintage of each fact known on 2026-05-01) and facts_vintages " +
			"(every vintage with as_of <= 2026-05-01); query segment_margins without --as-of for the latest figures\n"
		if code != exitUsage || stdout != "" || stderr != want {
			t.Errorf("analysis with --as-of: exit %d\n%s\n%q", code, stdout, stderr)
		}
		// A table that is no dataset stays DuckDB's error.
		if code, _, stderr := run(t, "query", "--out", out, "--as-of", "2026-05-01", "SELECT * FROM nope"); code != exitFailed ||
			!strings.HasPrefix(stderr, "marginmix: Catalog Error: Table with name nope does not exist!") {
			t.Errorf("unknown table with --as-of: exit %d: %q", code, stderr)
		}
	})
	t.Run("errors", func(t *testing.T) {
		code, stdout, stderr := run(t, "query", "--out", out, "SELECT * FROM nope")
		if code != exitFailed || stdout != "" || !strings.HasPrefix(stderr, "marginmix: Catalog Error: Table with name nope does not exist!") {
			t.Errorf("SQL error: exit %d\n%s\n%s", code, stdout, stderr)
		}
		missing := filepath.Join(t.TempDir(), "none")
		code, _, stderr = run(t, "query", "--out", missing, "SELECT 1")
		if code != exitUsage || stderr != "marginmix: no publication in "+missing+": run marginmix run first\n" {
			t.Errorf("missing folder: exit %d: %q", code, stderr)
		}
		for _, args := range [][]string{
			{"query", "--out", out},
			{"query", "--out", out, "SELECT 1", "SELECT 2"},
			{"query", "--out", out, "--format", "xml", "SELECT 1"},
			{"query", "--out", out, "--as-of", "2026-13-01", "SELECT 1"},
		} {
			if code, _, stderr := run(t, args...); code != exitUsage {
				t.Errorf("%q: exit %d, want 2\n%s", args, code, stderr)
			}
		}
	})
}

func TestReportCommand(t *testing.T) {
	out := publishSamples(t)
	html := filepath.Join(t.TempDir(), "report.html")
	code, stdout, stderr := run(t, "report", "--out", out, "--html", html)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(stdout, "\n") {
		fs := strings.Fields(l)
		if k := strings.Join(fs[:min(2, len(fs))], " "); len(fs) > 2 && lines[k] == "" {
			lines[k] = strings.Join(fs, " ") // the first line of a company and segment (AWS before AWS / Core)
		}
	}
	for key, want := range map[string]string{
		"company segment":  "company segment margin Q/Q bp Y/Y bp TaaS share trend findings",
		"AMZN AWS":         "AMZN AWS 37.13% +212.9 -236.9 37.00% rising +130.9 bp/q 0",
		"CRWV Total":       "CRWV Total -0.99% -300.1 -231.2 - declining -165.9 bp/q 3",
		"ORCL Cloud":       "ORCL Cloud and License 57.00% -100.0 -200.1 - declining -135.0 bp/q 0",
		"MSFT Intelligent": "MSFT Intelligent Cloud 40.60% -60.1 -120.1 - declining -42.7 bp/q 1",
		// n/m: Other Bets loses more than its revenue; the row stays, its margin does not.
		"GOOGL Other": "GOOGL Other Bets n/m - - - - 1",
	} {
		if lines[key] != want {
			t.Errorf("%s:\n got %q\nwant %q", key, lines[key], want)
		}
	}
	for _, want := range []string{
		"Latest quarter 2026Q1 (publication ",
		"Data quality: 12 findings (5 large_margin_move, 2 margin_out_of_range, 2 reader_finding, 2 restatement, 1 segment_sum_mismatch)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if !strings.Contains(stderr, "wrote "+html) || strings.Count(page, `<figure class="chart"`) != 4 || strings.Contains(page, "<script") {
		t.Errorf("html: %d charts, stderr %q", strings.Count(page, `<figure class="chart"`), stderr)
	}

	missing := filepath.Join(t.TempDir(), "none")
	code, _, stderr = run(t, "report", "--out", missing)
	if code != exitUsage || stderr != "marginmix: no publication in "+missing+": run marginmix run first\n" {
		t.Errorf("missing folder: exit %d: %q", code, stderr)
	}
}

// report --company, --peers and --quarter narrow the report; names it does
// not hold and quarters it has no margins for are usage errors that say
// what it does hold.
func TestReportFocus(t *testing.T) {
	out := publishSamples(t)
	html := filepath.Join(t.TempDir(), "amzn.html")
	code, stdout, stderr := run(t, "report", "--out", out, "--company", "amzn", "--peers", "MSFT", "--quarter", "2025Q4", "--html", html)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if !strings.HasPrefix(lines[0], "Quarter 2025Q4 (publication ") || !strings.HasSuffix(lines[0], " in "+out+"), AMZN; peers MSFT") {
		t.Errorf("first line %q", lines[0])
	}
	// The peers' sentence compares AMZN's cloud segment with MSFT's only;
	// their slopes are the ones in the table below it.
	peers := "- Of 2 cloud segments with a 4-quarter margin trend, none is rising; declining: AMZN AWS (-117.9 bp/q), MSFT Intelligent Cloud (-25.4 bp/q)."
	if !slices.Contains(lines, peers) {
		t.Errorf("no line %q:\n%s", peers, stdout)
	}
	if !slices.Contains(lines, "AMZN     AWS            35.00%   +40.1  -189.9      21.09%  declining -117.9 bp/q         0") {
		t.Errorf("no AWS 2025Q4 row:\n%s", stdout)
	}
	for _, l := range lines {
		for _, other := range []string{"CRWV ", "GOOGL ", "MSFT ", "ORCL "} {
			if strings.HasPrefix(l, other) {
				t.Errorf("a row of another company: %q", l)
			}
		}
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if page := string(b); !strings.Contains(page, "<h1>marginmix report: 2025Q4 (AMZN; peers MSFT)</h1>") ||
		strings.Contains(page, "<td>CRWV</td>") || strings.Contains(page, ">CRWV Total</text>") {
		t.Errorf("the page is not about AMZN in 2025Q4 alone")
	}

	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--company", "AMZN,XX"}, `marginmix: no company "XX" in this publication; it holds AMZN, CRWV, GOOGL, MSFT, ORCL`},
		{[]string{"--peers", "IBM"}, `marginmix: no company "IBM" in this publication; it holds AMZN, CRWV, GOOGL, MSFT, ORCL`},
		{[]string{"--quarter", "2027Q1"}, "marginmix: no segment margins in 2027Q1 for AMZN, CRWV, GOOGL, MSFT, ORCL: they run from 2024Q1 to 2026Q1"},
		{[]string{"--company", "CRWV", "--quarter", "2023Q4"}, "marginmix: no segment margins in 2023Q4 for CRWV: they run from 2024Q1 to 2026Q1"},
		{[]string{"--quarter", "2026-1"}, `marginmix: --quarter "2026-1": want a calendar quarter such as 2026Q1`},
	} {
		code, stdout, stderr := run(t, append([]string{"report", "--out", out}, c.args...)...)
		if code != exitUsage || stderr != c.msg+"\n" || stdout != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit 2 and %q", c.args, code, stderr, stdout, c.msg)
		}
	}
}

// A publication written before an analysis gained columns (data_quality's
// occurrences and first_quarter, segment_margins' breakdown and
// margin_note) reads with them: query shows their stand-ins, and report,
// which names them, works as on a new one.
func TestOlderPublicationReadsWithAddedColumns(t *testing.T) {
	out := publishSamples(t)
	ctx := context.Background()
	db, err := load.Open(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, drop := range map[string]string{
		"data_quality":    "occurrences, first_quarter",
		"segment_margins": "breakdown, margin_note",
	} {
		path := filepath.Join(out, name+".parquet")
		tmp := path + ".old"
		q := fmt.Sprintf("COPY (SELECT * EXCLUDE (%s) FROM read_parquet(%s)) TO %s (FORMAT parquet)", drop, load.Literal(path), load.Literal(tmp))
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := run(t, "query", "--out", out, "--format", "csv",
		"SELECT check_name, calendar_quarter, first_quarter, occurrences FROM data_quality WHERE check_name = 'segment_sum_mismatch'")
	if code != exitOK || stdout != "check_name,calendar_quarter,first_quarter,occurrences\nsegment_sum_mismatch,2024Q3,2024Q3,1\n" {
		t.Errorf("query: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "query", "--out", out, "--format", "csv",
		"SELECT count(*) AS n, count(margin_note) AS notes, count(breakdown) AS breakdowns FROM segment_margins")
	if code != exitOK || !strings.HasSuffix(stdout, ",0,0\n") {
		t.Errorf("query: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "report", "--out", out)
	if code != exitOK || !strings.Contains(stdout, "What moved:\n- ") {
		t.Errorf("report on an older publication: exit %d\n%s%s", code, stdout, stderr)
	}
}
