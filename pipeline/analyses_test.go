//go:build duckdb_arrow

package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/marginmix/marginmix/fixtures"
	"github.com/marginmix/marginmix/load"
	queries "github.com/marginmix/marginmix/sql"
)

// The expectations below are computed from the sample's inputs (the figures
// the fixture generator writes into the workbooks, fixtures.ReportedSegments
// and fixtures.ModelSeries), never read back from marginmix's output.

// quarters of the sample, oldest first (index = sample quarter).
var quarters = fixtures.Quarters()

// inSeries is one company and segment's revenue and operating income in USD,
// one value per sample quarter; NaN where the sample has none.
type inSeries struct {
	company, segment string
	revenue, income  []float64
}

func (s *inSeries) margin(q int) float64 { return s.income[q] / s.revenue[q] }

// meaningful is a margin as segment_margins publishes it: NaN (NULL, n/m)
// outside [-1, 1] or on revenue that is not positive.
func meaningful(margin, revenue float64) float64 {
	if revenue <= 0 || math.Abs(margin) > 1 {
		return math.NaN()
	}
	return margin
}

// inRange reports whether quarter q has a margin within [-1, 1].
func (s *inSeries) inRange(q int) bool {
	return q >= 0 && q < len(quarters) && !math.IsNaN(s.margin(q)) && math.Abs(s.margin(q)) <= 1
}

func nanSeries() []float64 {
	out := make([]float64, len(quarters))
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}

// canonical is the segment marginmix names a sample row label.
func canonical(label string) string {
	switch label {
	case "Cloud and license":
		return "Cloud and License"
	case "Corporate and other":
		return "Corporate"
	case "CoreWeave":
		return "Total"
	}
	return label
}

// sampleInputs returns every revenue and operating income series the sample
// holds, keyed "company/segment": the reported segments, the totals the
// workbooks write under them, and the AWS business lines of the model. The
// totals are the sums of the segments with the two planted changes applied by
// hand: GOOGL's Total revenues of 2024Q3 is 37 too high, and MSFT's later
// workbook restates Intelligent Cloud's 2025Q3 revenue from 30,900 to 31,150.
func sampleInputs(t *testing.T) map[string]*inSeries {
	t.Helper()
	out := map[string]*inSeries{}
	get := func(company, segment string) *inSeries {
		k := company + "/" + segment
		if out[k] == nil {
			out[k] = &inSeries{company: company, segment: segment, revenue: nanSeries(), income: nanSeries()}
		}
		return out[k]
	}
	set := func(s *inSeries, metric string, v []float64) {
		for i, x := range v {
			switch metric {
			case "Revenue":
				s.revenue[i] = x * 1e6
			case "Operating income":
				s.income[i] = x * 1e6
			default:
				t.Fatalf("metric %q", metric)
			}
		}
	}
	for _, r := range fixtures.ReportedSegments() {
		set(get(r.Company, canonical(r.Segment)), r.Metric, r.Values)
	}
	get("MSFT", "Intelligent Cloud").revenue[6] = 31150e6 // the restatement
	for _, co := range []string{"AMZN", "MSFT", "GOOGL", "ORCL"} {
		tot := &inSeries{company: co, segment: "Total", revenue: make([]float64, len(quarters)), income: make([]float64, len(quarters))}
		for _, s := range out {
			if s.company != co {
				continue
			}
			for q := range quarters {
				if !math.IsNaN(s.revenue[q]) {
					tot.revenue[q] += s.revenue[q]
				}
				tot.income[q] += s.income[q]
			}
		}
		out[co+"/Total"] = tot
	}
	out["GOOGL/Total"].revenue[2] += 37e6 // the planted break
	for _, m := range fixtures.ModelSeries() {
		if strings.Contains(m.Segment, " / ") {
			set(get(m.Company, m.Segment), m.Metric, m.Values)
		}
	}
	return out
}

// model returns a series of the analyst's model in base units.
func model(t *testing.T, company, segment, metric string) []float64 {
	t.Helper()
	for _, m := range fixtures.ModelSeries() {
		if m.Company == company && canonical(m.Segment) == segment && m.Metric == metric {
			v := append([]float64(nil), m.Values...)
			if m.Unit == "$m" {
				for i := range v {
					v[i] *= 1e6
				}
			}
			return v
		}
	}
	t.Fatalf("model has no %s %s %s", company, segment, metric)
	return nil
}

// where returns the rows matching every key = value pair.
func where(rs []map[string]any, kv ...string) []map[string]any {
	var hit []map[string]any
	for _, r := range rs {
		ok := true
		for i := 0; i < len(kv); i += 2 {
			if r[kv[i]] != kv[i+1] {
				ok = false
			}
		}
		if ok {
			hit = append(hit, r)
		}
	}
	return hit
}

// near checks a float column against want (NaN = want NULL).
func near(t *testing.T, r map[string]any, col string, want, tol float64) {
	t.Helper()
	got, isNum := r[col].(float64)
	switch {
	case math.IsNaN(want):
		if r[col] != nil {
			t.Errorf("%v %v %v: %s = %v, want NULL", r["company"], r["segment"], r["calendar_quarter"], col, r[col])
		}
	case !isNum:
		t.Errorf("%v %v %v: %s = %v, want %v", r["company"], r["segment"], r["calendar_quarter"], col, r[col], want)
	case math.Abs(got-want) > tol:
		t.Errorf("%v %v %v: %s = %v, want %v", r["company"], r["segment"], r["calendar_quarter"], col, got, want)
	}
}

type outputs struct {
	dir  string
	sets map[string][]map[string]any
}

func (o *outputs) get(t *testing.T, name string) []map[string]any {
	t.Helper()
	if o.sets[name] == nil {
		o.sets[name] = rows(t, readParquet(t, filepath.Join(o.dir, name+".parquet")))
	}
	return o.sets[name]
}

func runWith(t *testing.T, cfg Config) *outputs {
	t.Helper()
	cfg.Out = filepath.Join(t.TempDir(), "out")
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	return &outputs{dir: cfg.Out, sets: map[string][]map[string]any{}}
}

func TestAnalysesOnSamples(t *testing.T) {
	out := runWith(t, Default())
	in := sampleInputs(t)
	t.Run("segment_margins", func(t *testing.T) { checkSegmentMargins(t, out.get(t, "segment_margins"), in) })
	t.Run("ai_mix", func(t *testing.T) { checkAIMix(t, out.get(t, "ai_mix")) })
	t.Run("peer_trends", func(t *testing.T) { checkPeerTrends(t, out.get(t, "peer_trends"), in, 4, 25) })
	t.Run("margin_bridge", func(t *testing.T) { checkMarginBridge(t, out.get(t, "margin_bridge"), in) })
	t.Run("depreciation_adjusted", func(t *testing.T) { checkDepreciationAdjusted(t, out.get(t, "depreciation_adjusted"), in, 6) })
	t.Run("revenue_per_mw", func(t *testing.T) { checkRevenuePerMW(t, out.get(t, "revenue_per_mw"), in) })
	t.Run("roic", func(t *testing.T) { checkROIC(t, out.get(t, "roic"), in) })
	t.Run("data_quality", func(t *testing.T) {
		checkDataQuality(t, out.get(t, "data_quality"), in, 0.5, 1000, nil)
	})
	t.Run("restated facts", func(t *testing.T) { checkRestatedFacts(t, out.dir) })
	t.Run("documented columns", func(t *testing.T) { checkDocumentedColumns(t, out.dir) })
}

// checkDocumentedColumns: the first table under each analysis's heading in
// docs/analyses.md names the columns of its published file, all of them and
// no others, so that a new column cannot go out undocumented.
func checkDocumentedColumns(t *testing.T, dir string) {
	names, err := fs.Glob(queries.FS(), "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no analyses: %v", err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "analyses.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(n, ".sql")
		var got []string
		for _, f := range readParquet(t, filepath.Join(dir, name+".parquet")).Schema().Fields() {
			got = append(got, f.Name)
		}
		sort.Strings(got)
		if want := documentedColumns(string(doc), name); !slices.Equal(got, want) {
			t.Errorf("%s: published columns\n %v\ndocs/analyses.md lists\n %v", name, got, want)
		}
	}
}

// documentedColumns returns, sorted, the names in the first cells of the
// first table in the section "## name" of doc.
func documentedColumns(doc, name string) []string {
	_, section, _ := strings.Cut(doc, "\n## "+name+"\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var cols []string
	inTable := false
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		first := strings.TrimSpace(cells[1])
		if first == "column" || strings.HasPrefix(first, "---") {
			continue
		}
		for _, c := range strings.Split(first, ",") {
			cols = append(cols, strings.TrimSpace(c))
		}
	}
	sort.Strings(cols)
	return cols
}

func checkSegmentMargins(t *testing.T, sm []map[string]any, in map[string]*inSeries) {
	n := 0
	for _, s := range in {
		for q, quarter := range quarters {
			rs := where(sm, "company", s.company, "segment", s.segment, "calendar_quarter", quarter)
			if len(rs) != 1 {
				t.Fatalf("%s %s %s: %d rows", s.company, s.segment, quarter, len(rs))
			}
			r := rs[0]
			n++
			// n/m: a margin outside [-1, 1] (or on revenue that is not
			// positive) is NULL, with its reason.
			near(t, r, "operating_margin", meaningful(s.margin(q), s.revenue[q]), 1e-15)
			wantNote := any(nil)
			switch {
			case math.IsNaN(s.margin(q)):
			case s.revenue[q] <= 0:
				wantNote = "n/m: revenue is not positive"
			case math.Abs(s.margin(q)) > 1:
				wantNote = "n/m: operating income exceeds revenue in size (a margin outside -100%..100%)"
			}
			if r["margin_note"] != wantNote {
				t.Errorf("%s %s %s: margin_note %v, want %v", s.company, s.segment, quarter, r["margin_note"], wantNote)
			}
			// TTM only when all four quarters exist: never in the first three.
			ttmRev, ttmMargin := math.NaN(), math.NaN()
			if q >= 3 {
				var rev, inc float64
				for i := q - 3; i <= q; i++ {
					rev, inc = rev+s.revenue[i], inc+s.income[i]
				}
				ttmRev, ttmMargin = rev, meaningful(inc/rev, rev)
			}
			near(t, r, "ttm_revenue", ttmRev, 0)
			near(t, r, "ttm_operating_margin", ttmMargin, 1e-15)
			near(t, r, "revenue_run_rate", s.revenue[q]*4, 0)
		}
	}
	if len(sm) != n {
		t.Errorf("%d rows, want %d", len(sm), n)
	}
	aws := pick(t, sm, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
	near(t, aws, "margin_yoy_bps", (14035.0/37800-11560.0/29267)*10000, 1e-9)
	near(t, aws, "revenue_yoy_growth", 37800.0/29267-1, 1e-15)
	near(t, aws, "ttm_revenue", (30873+33006+35579+37800)*1e6, 0)
	near(t, aws, "ttm_operating_margin", (10157+11420+12453+14035)/(30873+33006+35579+37800.0), 1e-15)
	near(t, aws, "margin_qoq_bps", (14035.0/37800-12453.0/35579)*10000, 1e-9)
}

// The worked example of docs/analyses.md: TaaS 1,375 of 3,716 in 2026Q1,
// 928 of 4,400 in 2025Q4, 270 of 3,000 in 2025Q1.
func checkAIMix(t *testing.T, mix []map[string]any) {
	r := pick(t, mix, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
	near(t, r, "taas_share", 1375.0/3716, 1e-15)
	near(t, r, "taas_share_qoq_pp", (1375.0/3716-928.0/4400)*100, 1e-12)
	near(t, r, "taas_share_yoy_pp", (1375.0/3716-270.0/3000)*100, 1e-12)
	near(t, r, "taas_run_rate", 5500e6, 0)
}

func checkPeerTrends(t *testing.T, pt []map[string]any, in map[string]*inSeries, window int, threshold float64) {
	cloud := map[string]bool{"AMZN/AWS": true, "MSFT/Intelligent Cloud": true, "GOOGL/Google Cloud": true,
		"ORCL/Cloud and License": true, "CRWV/Total": true}
	n := 0
	var rising []string
	for k, s := range in {
		for q, quarter := range quarters {
			if math.IsNaN(s.margin(q)) { // ORCL's Corporate: income, no revenue
				if rs := where(pt, "company", s.company, "segment", s.segment, "calendar_quarter", quarter); len(rs) != 0 {
					t.Errorf("%s %s: a row without a margin", k, quarter)
				}
				continue
			}
			r := pick(t, pt, "company", s.company, "segment", s.segment, "calendar_quarter", quarter)
			n++
			near(t, r, "operating_margin", meaningful(s.margin(q), s.revenue[q]), 1e-15)
			// Only margins within [-1, 1] enter the trend statistics.
			qoq, prevQoQ := math.NaN(), math.NaN()
			if s.inRange(q) && s.inRange(q-1) {
				qoq = (s.margin(q) - s.margin(q-1)) * 10000
			}
			if s.inRange(q-1) && s.inRange(q-2) {
				prevQoQ = (s.margin(q-1) - s.margin(q-2)) * 10000
			}
			near(t, r, "margin_qoq_bps", qoq, 1e-9)
			var wantInflection any
			if !math.IsNaN(qoq) && !math.IsNaN(prevQoQ) {
				wantInflection = fmt.Sprint(qoq > 0 && prevQoQ <= 0)
			}
			if got := r["inflection"]; got != wantInflection {
				t.Errorf("%s %s: inflection = %v, want %v", k, quarter, got, wantInflection)
			}
			slope, trend := math.NaN(), any(nil)
			full := q >= window-1
			for i := q - window + 1; full && i <= q; i++ {
				full = s.inRange(i)
			}
			if full {
				var ms []float64
				for i := q - window + 1; i <= q; i++ {
					ms = append(ms, s.margin(i))
				}
				slope = slopeBps(ms)
				switch {
				case slope > threshold:
					trend = "rising"
				case slope < -threshold:
					trend = "declining"
				default:
					trend = "flat"
				}
			}
			near(t, r, "slope_bps", slope, 1e-6)
			if r["trend"] != trend {
				t.Errorf("%s %s: trend %v (slope %v), want %v (slope %v)", k, quarter, r["trend"], r["slope_bps"], trend, slope)
			}
			if quarter == "2026Q1" && r["trend"] == "rising" {
				rising = append(rising, k)
			}
			if (r["peer_group"] == "cloud") != cloud[k] {
				t.Errorf("%s: peer_group %v", k, r["peer_group"])
			}
			if !cloud[k] && (r["peer_rank"] != nil || r["peer_count"] != nil) {
				t.Errorf("%s %s: ranked outside the peer group", k, quarter)
			}
		}
	}
	if len(pt) != n {
		t.Errorf("%d rows, want %d (every series with a margin)", len(pt), n)
	}
	if window == 4 && !reflect.DeepEqual(rising, []string{"AMZN/AWS"}) {
		t.Errorf("rising at 2026Q1: %v, want only AMZN/AWS", rising)
	}

	// Dense ranks by operating margin among the five cloud segments, per quarter.
	for q, quarter := range quarters {
		var distinct []float64 // the peers' margins, highest first, each once
		for k := range cloud {
			if !containsFloat(distinct, in[k].margin(q)) {
				distinct = append(distinct, in[k].margin(q))
			}
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(distinct)))
		for k := range cloud {
			want := 0
			for i, m := range distinct {
				if m == in[k].margin(q) {
					want = i + 1
				}
			}
			r := pick(t, pt, "company", in[k].company, "segment", in[k].segment, "calendar_quarter", quarter)
			if r["peer_rank"] != want || r["peer_count"] != len(cloud) {
				t.Errorf("%s %s: rank %v of %v, want %d of %d", k, quarter, r["peer_rank"], r["peer_count"], want, len(cloud))
			}
		}
		// Whatever the margins, the ranks of a quarter are 1..k without gaps.
		seen := map[int]bool{}
		for _, r := range where(pt, "calendar_quarter", quarter, "peer_group", "cloud") {
			seen[r["peer_rank"].(int)] = true
		}
		for i := 1; i <= len(seen); i++ {
			if !seen[i] {
				t.Errorf("%s: ranks %v are not dense", quarter, seen)
			}
		}
	}
	if window == 4 {
		// The worked example: AWS's margins 2025Q2..2026Q1 from the cells.
		r := pick(t, pt, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
		ms := []float64{10157.0 / 30873, 11420.0 / 33006, 12453.0 / 35579, 14035.0 / 37800}
		near(t, r, "slope_bps", (-1.5*ms[0]-0.5*ms[1]+0.5*ms[2]+1.5*ms[3])/5*10000, 1e-9)
		near(t, r, "slope_bps", 130.92, 0.005)
		if r["inflection"] != "false" {
			t.Errorf("AWS 2026Q1 follows a rise in 2025Q4: inflection %v", r["inflection"])
		}
		near(t, pick(t, pt, "company", "AMZN", "segment", "Total", "calendar_quarter", "2026Q1"), "slope_bps", 20.23, 0.005)
		// 2026Q1 by hand: Cloud and License 57.0%, Intelligent Cloud 40.6%,
		// AWS 37.13%, Google Cloud 20.5%, CoreWeave -1.0%.
		for k, want := range map[string]int{"ORCL/Cloud and License": 1, "MSFT/Intelligent Cloud": 2, "AMZN/AWS": 3, "GOOGL/Google Cloud": 4, "CRWV/Total": 5} {
			co, seg, _ := strings.Cut(k, "/")
			if r := pick(t, pt, "company", co, "segment", seg, "calendar_quarter", "2026Q1"); r["peer_rank"] != want {
				t.Errorf("%s 2026Q1 rank %v, want %d", k, r["peer_rank"], want)
			}
		}
	}
}

func checkMarginBridge(t *testing.T, mb []map[string]any, in map[string]*inSeries) {
	lines := []string{"Core", "IaaS", "TaaS"}
	aws := in["AMZN/AWS"]
	// TaaS and IaaS are the model's AI revenue split.
	if got, want := in["AMZN/AWS / TaaS"].revenue, model(t, "AMZN", "AWS", "AI revenue - TaaS (Bedrock)"); !reflect.DeepEqual(got, want) {
		t.Errorf("TaaS line revenue %v, AI revenue TaaS %v", got, want)
	}
	if got, want := in["AMZN/AWS / IaaS"].revenue, model(t, "AMZN", "AWS", "AI revenue - IaaS"); !reflect.DeepEqual(got, want) {
		t.Errorf("IaaS line revenue %v, AI revenue IaaS %v", got, want)
	}
	for q := 1; q < len(quarters); q++ {
		var rev, prevRev, inc, prevInc float64
		for _, l := range lines {
			s := in["AMZN/AWS / "+l]
			rev, prevRev = rev+s.revenue[q], prevRev+s.revenue[q-1]
			inc, prevInc = inc+s.income[q], prevInc+s.income[q-1]
		}
		// The lines add up to the reported segment exactly.
		if rev != aws.revenue[q] || inc != aws.income[q] {
			t.Fatalf("%s: lines %v/%v, AWS %v/%v", quarters[q], rev, inc, aws.revenue[q], aws.income[q])
		}
		var mix, rate float64
		for _, l := range lines {
			s := in["AMZN/AWS / "+l]
			share, prevShare := s.revenue[q]/rev, s.revenue[q-1]/prevRev
			m, pm := s.margin(q), s.margin(q-1)
			r := pick(t, mb, "segment", "AWS", "line", l, "calendar_quarter", quarters[q])
			if r["row_kind"] != "line" || r["line_segment"] != "AWS / "+l || r["prev_quarter"] != quarters[q-1] {
				t.Errorf("%s %s: %v", l, quarters[q], r)
			}
			near(t, r, "share", share, 1e-15)
			near(t, r, "prev_share", prevShare, 1e-15)
			near(t, r, "margin", m, 1e-15)
			near(t, r, "prev_margin", pm, 1e-15)
			near(t, r, "mix_effect_bps", (share-prevShare)*pm*10000, 1e-9)
			near(t, r, "rate_effect_bps", share*(m-pm)*10000, 1e-9)
			near(t, r, "total_change_bps", (share*m-prevShare*pm)*10000, 1e-9)
			near(t, r, "parent_change_bps", math.NaN(), 0)
			mix += (share - prevShare) * pm * 10000
			rate += share * (m - pm) * 10000
		}
		r := pick(t, mb, "segment", "AWS", "row_kind", "total", "calendar_quarter", quarters[q])
		total := (inc/rev - prevInc/prevRev) * 10000
		near(t, r, "revenue", rev, 0)
		near(t, r, "operating_income", inc, 0)
		near(t, r, "mix_effect_bps", mix, 1e-9)
		near(t, r, "rate_effect_bps", rate, 1e-9)
		near(t, r, "total_change_bps", total, 1e-9)
		near(t, r, "parent_change_bps", (aws.margin(q)-aws.margin(q-1))*10000, 1e-9)
		near(t, r, "unexplained_bps", 0, 1e-9)
	}
	if len(mb) != (len(quarters)-1)*(len(lines)+1) {
		t.Errorf("%d rows", len(mb))
	}
	// Mix and rate add up to the total change exactly, on every row.
	for _, r := range mb {
		if d := r["mix_effect_bps"].(float64) + r["rate_effect_bps"].(float64) - r["total_change_bps"].(float64); math.Abs(d) > 1e-9 {
			t.Errorf("%v %v %v: mix + rate - total = %v", r["line"], r["row_kind"], r["calendar_quarter"], d)
		}
	}
	// The seed claim: AWS's +213 bp in 2026Q1 is mostly mix. By hand:
	// 2025Q4 revenue Core 31,179 / IaaS 3,472 / TaaS 928 of 35,579, income
	// 12,058 / -347 / 742; 2026Q1 34,084 / 2,341 / 1,375 of 37,800, income
	// 13,169 / -234 / 1,100.
	r := pick(t, mb, "segment", "AWS", "row_kind", "total", "calendar_quarter", "2026Q1")
	s0 := []float64{31179.0 / 35579, 3472.0 / 35579, 928.0 / 35579}
	s1 := []float64{34084.0 / 37800, 2341.0 / 37800, 1375.0 / 37800}
	m0 := []float64{12058.0 / 31179, -347.0 / 3472, 742.0 / 928}
	m1 := []float64{13169.0 / 34084, -234.0 / 2341, 1100.0 / 1375}
	var mix, rate float64
	for i := range s0 {
		mix += (s1[i] - s0[i]) * m0[i] * 10000
		rate += s1[i] * (m1[i] - m0[i]) * 10000
	}
	near(t, r, "mix_effect_bps", mix, 1e-9)
	near(t, r, "rate_effect_bps", rate, 1e-9)
	tot := r["total_change_bps"].(float64)
	if math.Abs(tot-213) > 1 || r["mix_effect_bps"].(float64) < tot || math.Abs(mix-216.0) > 0.05 || math.Abs(rate+3.15) > 0.05 {
		t.Errorf("AWS 2026Q1 bridge: mix %v + rate %v = %v, want about 216.0 - 3.15 = 213", r["mix_effect_bps"], r["rate_effect_bps"], tot)
	}
}

func checkDepreciationAdjusted(t *testing.T, da []map[string]any, in map[string]*inSeries, common float64) {
	cloud := map[string]string{"AMZN": "AWS", "MSFT": "Intelligent Cloud", "GOOGL": "Google Cloud", "ORCL": "Cloud and License", "CRWV": "Total"}
	for co, seg := range cloud {
		s := in[co+"/"+seg]
		dep := model(t, co, seg, "D&A")
		life := model(t, co, seg, "Server useful life")
		for q, quarter := range quarters {
			r := pick(t, da, "company", co, "segment", seg, "calendar_quarter", quarter)
			adjDep := dep[q] * life[q] / common
			adjInc := s.income[q] + dep[q] - adjDep
			near(t, r, "adjusted_depreciation", adjDep, 1e-3)
			near(t, r, "adjusted_operating_income", adjInc, 1e-3)
			near(t, r, "operating_margin", s.margin(q), 1e-15)
			near(t, r, "adjusted_operating_margin", adjInc/s.revenue[q], 1e-12)
			near(t, r, "margin_difference_bps", (adjInc/s.revenue[q]-s.margin(q))*10000, 1e-8)
			// Equal lives change nothing, exactly.
			if life[q] == common && (r["adjusted_operating_margin"] != r["operating_margin"] || r["margin_difference_bps"] != 0.0) {
				t.Errorf("%s %s: life %v = common, yet adjusted %v vs reported %v", co, quarter, life[q], r["adjusted_operating_margin"], r["operating_margin"])
			}
			if life[q] < common && r["adjusted_operating_margin"].(float64) <= r["operating_margin"].(float64) {
				t.Errorf("%s %s: a shorter life must raise the adjusted margin", co, quarter)
			}
		}
	}
	if len(da) != len(cloud)*len(quarters) {
		t.Errorf("%d rows, want %d", len(da), len(cloud)*len(quarters))
	}
	if common == 6 {
		// The worked example: D&A 8,247, life 5: 8,247 x 5 / 6 = 6,872.5;
		// 14,035 + 8,247 - 6,872.5 = 15,409.5 over revenue 37,800.
		r := pick(t, da, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
		near(t, r, "adjusted_depreciation", 6872.5e6, 0)
		near(t, r, "adjusted_operating_income", 15409.5e6, 0)
		near(t, r, "adjusted_operating_margin", 15409.5/37800, 1e-15)
		near(t, r, "margin_difference_bps", 363.62, 0.005)
	}
}

func checkRevenuePerMW(t *testing.T, rp []map[string]any, in map[string]*inSeries) {
	cloud := map[string]string{"AMZN": "AWS", "MSFT": "Intelligent Cloud", "GOOGL": "Google Cloud", "ORCL": "Cloud and License", "CRWV": "Total"}
	for co, seg := range cloud {
		mw := model(t, co, seg, "Capacity")
		for q, quarter := range quarters {
			r := pick(t, rp, "company", co, "segment", seg, "calendar_quarter", quarter)
			rev := in[co+"/"+seg].revenue[q]
			near(t, r, "annualised_revenue", rev*4, 0)
			near(t, r, "capacity_mw", mw[q], 0)
			near(t, r, "revenue_per_mw", rev*4/mw[q], 1e-6)
		}
	}
	if len(rp) != len(cloud)*len(quarters) {
		t.Errorf("%d rows", len(rp))
	}
	// By hand: AWS 2026Q1 revenue 37,800m x 4 over round(8,000 x 1.057^8) = 12,465 MW.
	r := pick(t, rp, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
	near(t, r, "revenue_per_mw", 37800e6*4/12465, 1e-6)
}

func checkROIC(t *testing.T, ro []map[string]any, in map[string]*inSeries) {
	for _, k := range []string{"AMZN/AWS", "MSFT/Intelligent Cloud"} {
		co, seg, _ := strings.Cut(k, "/")
		tax := model(t, co, seg, "Tax rate")
		ic := model(t, co, seg, "Invested capital")
		for q, quarter := range quarters {
			r := pick(t, ro, "company", co, "segment", seg, "calendar_quarter", quarter)
			nopat := in[k].income[q] * (1 - tax[q])
			near(t, r, "nopat", nopat, 1e-3)
			near(t, r, "annualised_nopat", nopat*4, 1e-3)
			near(t, r, "invested_capital", ic[q], 0)
			near(t, r, "roic", nopat*4/ic[q], 1e-15)
		}
	}
	if len(ro) != 2*len(quarters) {
		t.Errorf("%d rows", len(ro))
	}
	// By hand: AWS 2026Q1 14,035m x (1 - 0.18) x 4 / round(150,000 x 1.06^8) = 239,077m.
	r := pick(t, ro, "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
	near(t, r, "roic", 14035.0*0.82*4/239077, 1e-12)
	r = pick(t, ro, "company", "MSFT", "segment", "Intelligent Cloud", "calendar_quarter", "2026Q1")
	near(t, r, "roic", 14088.0*0.81*4/265942, 1e-12)
}

func containsFloat(xs []float64, x float64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

type finding struct{ check, company, segment, metric, quarter string }

// less orders findings as data_quality does: by check, company, segment,
// metric and quarter, comparing bytes.
func (f finding) less(g finding) bool {
	return slices.Compare([]string{f.check, f.company, f.segment, f.metric, f.quarter},
		[]string{g.check, g.company, g.segment, g.metric, g.quarter}) < 0
}

// checkDataQuality asserts the exact list of findings: the ones the sample's
// inputs imply under the given parameters, plus extra (found in an inbox
// with more than the sample).
func checkDataQuality(t *testing.T, dq []map[string]any, in map[string]*inSeries, tolUnits, moveBps float64, extra []finding) {
	var want []finding
	// Segments vs Total, reported segments only (the AWS lines are estimates).
	for _, co := range []string{"AMZN", "MSFT", "GOOGL", "ORCL"} {
		for q, quarter := range quarters {
			for _, metric := range []string{"revenue", "operating_income"} {
				var sum float64
				n := 0
				for _, s := range in {
					v := s.revenue[q]
					if metric == "operating_income" {
						v = s.income[q]
					}
					if s.company == co && s.segment != "Total" && !strings.Contains(s.segment, " / ") && !math.IsNaN(v) {
						sum, n = sum+v, n+1
					}
				}
				total := in[co+"/Total"].revenue[q]
				if metric == "operating_income" {
					total = in[co+"/Total"].income[q]
				}
				if math.Abs(sum-total) > tolUnits*1e6*float64(n+1) {
					want = append(want, finding{"segment_sum_mismatch", co, "Total", metric, quarter})
				}
			}
		}
	}
	for _, s := range in {
		// Out of range: one finding per series, at its latest such quarter.
		latest := ""
		for q, quarter := range quarters {
			if m := s.margin(q); !math.IsNaN(m) && math.Abs(m) > 1 {
				latest = quarter
			}
		}
		if latest != "" {
			want = append(want, finding{"margin_out_of_range", s.company, s.segment, "operating_margin", latest})
		}
		for q, quarter := range quarters {
			m := s.margin(q)
			if s.inRange(q) && s.inRange(q-1) && math.Abs(m-s.margin(q-1))*10000 > moveBps {
				want = append(want, finding{"large_margin_move", s.company, s.segment, "operating_margin", quarter})
			}
		}
	}
	want = append(want,
		finding{"restatement", "MSFT", "Intelligent Cloud", "revenue", "2025Q3"},
		finding{"restatement", "MSFT", "Total", "revenue", "2025Q3"})
	// The readers' notes: AMZN's growth block (in percent under a heading
	// that is no metric) and CRWV's margin and non-GAAP rows.
	want = append(want,
		finding{"reader_finding", "AMZN", "", "", ""},
		finding{"reader_finding", "CRWV", "", "", ""})
	want = append(want, extra...)
	var got []finding
	str := func(v any) string { s, _ := v.(string); return s }
	for _, r := range dq {
		got = append(got, finding{str(r["check_name"]), str(r["company"]), str(r["segment"]), str(r["metric"]), str(r["calendar_quarter"])})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].less(want[j]) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%v\nwant (in this order):\n%v", got, want)
	}

	// The planted break, with its values and cells (Revenues block rows 7-10,
	// Total revenues row 11, Q3 2024 in column D).
	if tolUnits*1e6*5 < 37e6 {
		r := pick(t, dq, "check_name", "segment_sum_mismatch")
		sum := (65854.0 + 11353 + 388 + 40) * 1e6
		near(t, r, "value", sum, 0)
		near(t, r, "expected", sum+37e6, 0)
		near(t, r, "difference", -37e6, 0)
		near(t, r, "tolerance", tolUnits*1e6*5, 0)
		g := "googl_1q26_segments.xlsx:Segment Results!"
		if want := g + "D10; " + g + "D8; " + g + "D7; " + g + "D9; " + g + "D11"; r["cells"] != want {
			t.Errorf("break cells %v, want %v", r["cells"], want)
		}
		if r["calendar_quarter"] != "2024Q3" || r["as_of"] != "2026-04-28" || r["expected_as_of"] != "2026-04-28" {
			t.Errorf("break: %v", r)
		}
	}
	if moveBps == 1000 {
		// Other Bets is out of range in all nine quarters (rows 9 and 16,
		// columns B to J): one row, the latest quarter's figures first.
		r := pick(t, dq, "check_name", "margin_out_of_range", "segment", "Other Bets", "calendar_quarter", "2026Q1")
		near(t, r, "value", -1400.0/410, 1e-15)
		g := "googl_1q26_segments.xlsx:Segment Results!"
		var cells, listing []string
		for q := len(quarters) - 1; q >= 0; q-- {
			col := string(rune('B' + q))
			cells = append(cells, g+col+"9", g+col+"16")
		}
		ob := in["GOOGL/Other Bets"]
		for q, quarter := range quarters {
			listing = append(listing, fmt.Sprintf("%s %.2f%%", quarter, ob.margin(q)*100))
		}
		if r["cells"] != strings.Join(cells, "; ") || r["occurrences"] != 9 || r["first_quarter"] != "2024Q1" {
			t.Errorf("Other Bets: cells %v, occurrences %v, first_quarter %v", r["cells"], r["occurrences"], r["first_quarter"])
		}
		if want := "operating margin outside -100%..100% in 9 quarters from 2024Q1 to 2026Q1: " + strings.Join(listing, ", ") +
			"; the latest (operating income -1,400,000,000 / revenue 410,000,000)"; r["detail"] != want {
			t.Errorf("Other Bets detail\n%q\nwant\n%q", r["detail"], want)
		}
		r = pick(t, dq, "check_name", "large_margin_move", "company", "CRWV", "calendar_quarter", "2024Q2")
		near(t, r, "value", 20.0/395, 1e-15)
		near(t, r, "expected", -17.0/188, 1e-15)
		near(t, r, "tolerance", 0.1, 0)
		if r["detail"] != "operating margin moved +1,410.6 bp Q/Q, from -9.04% in 2024Q1 to 5.06% in 2024Q2; the threshold is 1000 bp" {
			t.Errorf("detail %q", r["detail"])
		}
	}
	// The planted restatement: old and new values, vintages and cells (Q1 FY26
	// is column J; Intelligent Cloud's revenue row 12, Total revenue row 20).
	for seg, vals := range map[string][2]float64{"Intelligent Cloud": {30900e6, 31150e6}, "Total": {69100e6, 69350e6}} {
		r := pick(t, dq, "check_name", "restatement", "segment", seg)
		near(t, r, "expected", vals[0], 0)
		near(t, r, "value", vals[1], 0)
		near(t, r, "difference", 250e6, 0)
		row := map[string]string{"Intelligent Cloud": "12", "Total": "20"}[seg]
		wantCells := "msft_fy26q3_segments_restated.xlsx:Segment Results!J" + row + "; msft_fy26q3_segments.xlsx:Segment Results!J" + row
		if r["as_of"] != "2026-06-15" || r["expected_as_of"] != "2026-04-29" || r["cells"] != wantCells || r["source_kind"] != "reported" {
			t.Errorf("restatement of %s: %v", seg, r)
		}
		// Each side says its vintage, the run that read it and the file's
		// version (the first 12 characters of its sha256).
		version := func(name string) string {
			sum, _, err := load.FileSHA256(filepath.Join("..", "fixtures", "samples", name))
			if err != nil {
				t.Fatal(err)
			}
			return sum[:12]
		}
		wantDetail := fmt.Sprintf("restated from %s (as of 2026-04-29, read in run 1 from file version %s) to %s (as of 2026-06-15, read in run 1 from file version %s)",
			map[string]string{"Intelligent Cloud": "30,900,000,000", "Total": "69,100,000,000"}[seg], version("msft_fy26q3_segments.xlsx"),
			map[string]string{"Intelligent Cloud": "31,150,000,000", "Total": "69,350,000,000"}[seg], version("msft_fy26q3_segments_restated.xlsx"))
		if r["detail"] != wantDetail {
			t.Errorf("detail %q, want %q", r["detail"], wantDetail)
		}
	}
}

// facts holds the restated value; facts_vintages both, each with its cell.
func checkRestatedFacts(t *testing.T, dir string) {
	key := []string{"segment", "Intelligent Cloud", "metric", "revenue", "calendar_quarter", "2025Q3"}
	f := pick(t, companyRows(t, dir, "facts", "MSFT"), key...)
	if f["value"] != 31150e6 || f["source_file"] != "msft_fy26q3_segments_restated.xlsx" || f["as_of"] != "2026-06-15" {
		t.Errorf("facts: %v", f)
	}
	vs := where(companyRows(t, dir, "facts_vintages", "MSFT"), key...)
	if len(vs) != 2 || vs[0]["value"] != 30900e6 || vs[0]["as_of"] != "2026-04-29" || vs[0]["source_cell"] != "Segment Results!J12" ||
		vs[1]["value"] != 31150e6 || vs[1]["as_of"] != "2026-06-15" || vs[1]["source_cell"] != "Segment Results!J12" {
		t.Errorf("facts_vintages: %v", vs)
	}
}

// Every parameter reaches its analysis.
func TestAnalysisParameters(t *testing.T) {
	cfg := Default()
	cfg.Params = Params{TrendWindow: 3, TrendThresholdBps: 40, CommonServerLifeYears: 5, ReconToleranceUnits: 8, LargeMoveBps: 1450}
	out := runWith(t, cfg)
	in := sampleInputs(t)
	// AWS's life is 5 years: restated to 5, its margin is the reported one.
	da := out.get(t, "depreciation_adjusted")
	for _, r := range where(da, "company", "AMZN", "segment", "AWS") {
		if r["adjusted_operating_margin"] != r["operating_margin"] || r["margin_difference_bps"] != 0.0 || r["common_server_life_years"] != 5.0 {
			t.Errorf("AWS %v: adjusted %v, reported %v", r["calendar_quarter"], r["adjusted_operating_margin"], r["operating_margin"])
		}
	}
	checkDepreciationAdjusted(t, da, in, 5)
	checkPeerTrends(t, out.get(t, "peer_trends"), in, 3, 40)
	// Tolerance 8 x 1e6 x 5 values = 40m hides the 37m break; only CoreWeave's
	// 2025Q1 move (-1,474 bp) is over 1,450 bp.
	checkDataQuality(t, out.get(t, "data_quality"), in, 8, 1450, nil)
	if n := len(where(out.get(t, "data_quality"), "check_name", "large_margin_move")); n != 1 {
		t.Errorf("%d large moves, want 1", n)
	}
}

// Conflicting values within one vintage and gaps in a series, which the
// clean sample does not have: an extra model workbook (same spec, so the same
// as_of) gives AWS's 2026Q1 D&A a second value and a new series a hole.
func TestDataQualityConflictsAndGaps(t *testing.T) {
	inbox := t.TempDir()
	copySamples(t, inbox)
	writeModel(t, filepath.Join(inbox, "model_zz_checks.xlsx"), [][]any{
		{"AMZN", "AWS", "D&A", "2026-03-31", 9000, "$m"},
		{"ZZZ", "Cloud", "Revenue", "2025-03-31", 100, "$m"},
		{"ZZZ", "Cloud", "Revenue", "2025-06-30", 110, "$m"},
		{"ZZZ", "Cloud", "Revenue", "2025-12-31", 130, "$m"},
		// Devices has every quarter of 2025: the table's column for
		// 2025Q3, where Cloud has no value, and for Network's 2025Q2 and
		// 2025Q3, one gap of two quarters.
		{"ZZZ", "Devices", "Revenue", "2025-03-31", 50, "$m"},
		{"ZZZ", "Devices", "Revenue", "2025-06-30", 51, "$m"},
		{"ZZZ", "Devices", "Revenue", "2025-09-30", 52, "$m"},
		{"ZZZ", "Devices", "Revenue", "2025-12-31", 53, "$m"},
		{"ZZZ", "Network", "Revenue", "2025-03-31", 20, "$m"},
		{"ZZZ", "Network", "Revenue", "2025-12-31", 23, "$m"},
		// Storage is stated a year apart, as a 10-Q states a quarter and
		// the same quarter a year before: no row has its 2026Q1 and the
		// quarters between, so nothing was left out.
		{"ZZZ", "Storage", "Revenue", "2025-03-31", 10, "$m"},
		{"ZZZ", "Storage", "Revenue", "2026-03-31", 14, "$m"},
	})
	cfg := Default()
	cfg.Inbox = inbox
	out := runWith(t, cfg)
	dq := out.get(t, "data_quality")
	checkDataQuality(t, dq, sampleInputs(t), 0.5, 1000, []finding{
		{"conflicting_values", "AMZN", "AWS", "depreciation_amortization", "2026Q1"},
		{"series_gap", "ZZZ", "Cloud", "revenue", "2025Q3"},
		{"series_gap", "ZZZ", "Network", "revenue", "2025Q3"},
	})

	// The model's D&A rows: the fourth series, 2026Q1 its ninth row, from row 5.
	dep := model(t, "AMZN", "AWS", "D&A")
	cell := fmt.Sprintf("model_cloud_ai_1q26.xlsx:Model!E%d", 5+3*len(quarters)+8)
	r := pick(t, dq, "check_name", "conflicting_values")
	near(t, r, "value", dep[8], 0)
	near(t, r, "expected", 9000e6, 0)
	near(t, r, "difference", dep[8]-9000e6, 0)
	if r["cells"] != cell+"; model_zz_checks.xlsx:Sheet1!E2" || r["as_of"] != "2026-05-15" || r["source_kind"] != "estimate" ||
		r["detail"] != "2 different values in one vintage (as of 2026-05-15): 8,247,000,000 at "+cell+"; 9,000,000,000 at model_zz_checks.xlsx:Sheet1!E2" {
		t.Errorf("conflict: %v", r)
	}
	r = pick(t, dq, "check_name", "series_gap", "segment", "Cloud")
	if r["cells"] != "model_zz_checks.xlsx:Sheet1!E4; model_zz_checks.xlsx:Sheet1!E5" || r["value"] != nil ||
		r["occurrences"] != 1 || r["first_quarter"] != "2025Q3" ||
		r["detail"] != "no value for 2025Q3 between 2025Q2 and 2025Q4, where model_zz_checks.xlsx:Sheet1 has 2025Q3 for the other rows of its table" {
		t.Errorf("gap: %v", r)
	}
	r = pick(t, dq, "check_name", "series_gap", "segment", "Network")
	if r["cells"] != "model_zz_checks.xlsx:Sheet1!E10; model_zz_checks.xlsx:Sheet1!E11" ||
		r["occurrences"] != 2 || r["first_quarter"] != "2025Q2" ||
		r["detail"] != "no value for 2 quarters, 2025Q2 to 2025Q3, between 2025Q1 and 2025Q4, where model_zz_checks.xlsx:Sheet1 has them for the other rows of its table" {
		t.Errorf("gap: %v", r)
	}
}

// writeModel writes an analyst's model in the sample model's long layout
// (its spec, model.yaml, reads files named model_*.xlsx): one row per value
// under the header Company, Segment, Metric, Quarter end, Value, Unit.
func writeModel(t *testing.T, path string, values [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	header := []any{"Company", "Segment", "Metric", "Quarter end", "Value", "Unit"}
	for i, r := range append([][]any{header}, values...) {
		ref, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", ref, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// lineWant is what segment_margins should make of one row's income
// statement lines; NaN means NULL, derived is nil, "true" or "false".
type lineWant struct {
	segment, quarter                      string
	grossProfit                           float64
	derived                               any
	grossMargin, rd, sm, ga, opex, qoqBps float64
}

// TestSegmentMarginsGrossMarginAndOpexRatios: gross profit reported and
// derived, gross margin and its Q/Q change, the expense ratios, and the NULLs
// that a zero revenue, a gap, a line in another currency or a missing
// revenue give. Every figure is worked out by hand below, in millions.
func TestSegmentMarginsGrossMarginAndOpexRatios(t *testing.T) {
	inbox := t.TempDir()
	writeModel(t, filepath.Join(inbox, "model_zz_lines.xlsx"), [][]any{
		// Cloud: reported gross profit 120 wins over 200 - 90 = 110; the
		// operating expenses are the reported 70, not R&D + S&M + G&A = 60.
		{"ZZZ", "Cloud", "Revenue", "2025-03-31", 200, "$m"},
		{"ZZZ", "Cloud", "Gross profit", "2025-03-31", 120, "$m"},
		{"ZZZ", "Cloud", "Cost of revenue", "2025-03-31", 90, "$m"},
		{"ZZZ", "Cloud", "Research and development", "2025-03-31", 30, "$m"},
		{"ZZZ", "Cloud", "Sales and marketing", "2025-03-31", 20, "$m"},
		{"ZZZ", "Cloud", "General and administrative", "2025-03-31", 10, "$m"},
		{"ZZZ", "Cloud", "Operating expenses", "2025-03-31", 70, "$m"},
		{"ZZZ", "Cloud", "Operating income", "2025-03-31", 50, "$m"},
		{"ZZZ", "Cloud", "Revenue", "2025-06-30", 250, "$m"},
		{"ZZZ", "Cloud", "Cost of revenue", "2025-06-30", 110, "$m"},
		// no 2025Q3: a gap
		{"ZZZ", "Cloud", "Revenue", "2025-12-31", 300, "$m"},
		{"ZZZ", "Cloud", "Gross profit", "2025-12-31", 180, "$m"},
		{"ZZZ", "Cloud", "Revenue", "2026-03-31", 0, "$m"},
		{"ZZZ", "Cloud", "Cost of revenue", "2026-03-31", 10, "$m"},
		{"ZZZ", "Cloud", "Research and development", "2026-03-31", 5, "$m"},
		// Devices: lines in euros next to revenue in dollars.
		{"ZZZ", "Devices", "Revenue", "2025-03-31", 100, "$m"},
		{"ZZZ", "Devices", "Cost of revenue", "2025-03-31", 40, "€m"},
		{"ZZZ", "Devices", "Research and development", "2025-03-31", 10, "€m"},
		{"ZZZ", "Devices", "Operating income", "2025-03-31", 5, "$m"},
		{"ZZZ", "Devices", "Revenue", "2025-06-30", 100, "$m"},
		{"ZZZ", "Devices", "Gross profit", "2025-06-30", 70, "€m"},
		{"ZZZ", "Devices", "Cost of revenue", "2025-06-30", 40, "$m"},
		// Signs: costs written as negatives, as some statements do; the
		// cost's quarter ends 3 days later (still 2025Q1), which must not
		// move the row's period_end, its revenue's.
		{"ZZZ", "Signs", "Revenue", "2025-03-31", 100, "$m"},
		{"ZZZ", "Signs", "Cost of revenue", "2025-04-03", -40, "$m"},
		{"ZZZ", "Signs", "Sales and marketing", "2025-03-31", -15, "$m"},
		// Corporate: operating income and gross profit, no revenue.
		{"ZZZ", "Corporate", "Operating income", "2025-03-31", -20, "$m"},
		{"ZZZ", "Corporate", "Gross profit", "2025-03-31", 5, "$m"},
		// Lab: costs without revenue or operating income make no row.
		{"ZZZ", "Lab", "Cost of revenue", "2025-03-31", 40, "$m"},
		{"ZZZ", "Lab", "Research and development", "2025-03-31", 25, "$m"},
	})
	cfg := Default()
	cfg.Inbox = inbox
	sm := runWith(t, cfg).get(t, "segment_margins")

	nan := math.NaN()
	for _, w := range []lineWant{
		// 120 / 200 = 0.6; R&D 30 / 200 = 0.15, S&M 20 / 200 = 0.1,
		// G&A 10 / 200 = 0.05, opex 70 / 200 = 0.35; no 2024Q4 row: no Q/Q.
		{"Cloud", "2025Q1", 120e6, "false", 0.6, 0.15, 0.1, 0.05, 0.35, nan},
		// 250 - 110 = 140, derived; 140 / 250 = 0.56; (0.56 - 0.6) x 10,000
		// = -400 bp; no expense lines: no ratios.
		{"Cloud", "2025Q2", 140e6, "true", 0.56, nan, nan, nan, nan, -400},
		// 180 / 300 = 0.6; 2025Q3 has no row, so no Q/Q across the gap.
		{"Cloud", "2025Q4", 180e6, "false", 0.6, nan, nan, nan, nan, nan},
		// 0 - 10 = -10, derived; a zero revenue gives no margin or ratio.
		{"Cloud", "2026Q1", -10e6, "true", nan, nan, nan, nan, nan, nan},
		// Cost and R&D in EUR against revenue in USD: nothing to compute.
		{"Devices", "2025Q1", nan, nil, nan, nan, nan, nan, nan, nan},
		// The gross profit in EUR counts as absent; 100 - 40 = 60 USD,
		// derived; 60 / 100 = 0.6; 2025Q1 had no gross margin: no Q/Q.
		{"Devices", "2025Q2", 60e6, "true", 0.6, nan, nan, nan, nan, nan},
		// |-40| is the cost: 100 - 40 = 60, 0.6; S&M |-15| / 100 = 0.15.
		{"Signs", "2025Q1", 60e6, "true", 0.6, nan, 0.15, nan, nan, nan},
		// No revenue, so no unit for the gross profit of 5 to be in.
		{"Corporate", "2025Q1", nan, nil, nan, nan, nan, nan, nan, nan},
	} {
		checkLines(t, pick(t, sm, "company", "ZZZ", "segment", w.segment, "calendar_quarter", w.quarter), w)
	}
	// Year on year is against the calendar quarter four before, not the
	// row four before: Cloud's 2026Q1 (revenue 0) is its fourth row, and
	// 2025Q1 (200) is four quarters before it: 0 / 200 - 1.
	near(t, pick(t, sm, "company", "ZZZ", "segment", "Cloud", "calendar_quarter", "2026Q1"), "revenue_yoy_growth", -1, 0)
	if r := pick(t, sm, "segment", "Signs"); r["period_end"] != "2025-03-31" {
		t.Errorf("Signs: period_end %v, want its revenue's 2025-03-31", r["period_end"])
	}
	// Rows where revenue or operating income is: Cloud's four quarters,
	// Devices' two, Signs and Corporate one each; none for Lab.
	if len(sm) != 8 || len(where(sm, "segment", "Lab")) != 0 {
		var keys []string
		for _, r := range sm {
			keys = append(keys, fmt.Sprint(r["segment"], " ", r["calendar_quarter"]))
		}
		t.Errorf("rows %q, want 8, none of them Lab's", keys)
	}
}

func checkLines(t *testing.T, r map[string]any, w lineWant) {
	t.Helper()
	near(t, r, "gross_profit", w.grossProfit, 0)
	if r["gross_profit_derived"] != w.derived {
		t.Errorf("%s %s: gross_profit_derived = %v, want %v", w.segment, w.quarter, r["gross_profit_derived"], w.derived)
	}
	near(t, r, "gross_margin", w.grossMargin, 1e-15)
	near(t, r, "rd_ratio", w.rd, 1e-15)
	near(t, r, "sm_ratio", w.sm, 1e-15)
	near(t, r, "ga_ratio", w.ga, 1e-15)
	near(t, r, "opex_ratio", w.opex, 1e-15)
	near(t, r, "gross_margin_qoq_bps", w.qoqBps, 1e-9)
}

// TestPeerTrendsGapsAndRanks: peer_trends compares a quarter with the
// calendar quarter before, never with the row before across a gap, and ranks
// the cloud series (those with a capacity) among themselves, without an n/m
// margin and without the other series. Margins by hand: ZZZ Cloud 0.20,
// 0.25, (no 2025Q3), 0.30, 0.28; YYY Cloud 0.30, 0.20, 0.25; YYY Retail 0.5
// (no capacity); XXX Cloud -50 on 10 of revenue, n/m.
func TestPeerTrendsGapsAndRanks(t *testing.T) {
	inbox := t.TempDir()
	writeModel(t, filepath.Join(inbox, "model_zz_peers.xlsx"), [][]any{
		{"ZZZ", "Cloud", "Revenue", "2025-03-31", 100, "$m"},
		{"ZZZ", "Cloud", "Operating income", "2025-03-31", 20, "$m"},
		{"ZZZ", "Cloud", "Capacity", "2025-03-31", 50, "MW"},
		{"ZZZ", "Cloud", "Revenue", "2025-06-30", 100, "$m"},
		{"ZZZ", "Cloud", "Operating income", "2025-06-30", 25, "$m"},
		{"ZZZ", "Cloud", "Revenue", "2025-12-31", 100, "$m"},
		{"ZZZ", "Cloud", "Operating income", "2025-12-31", 30, "$m"},
		{"ZZZ", "Cloud", "Revenue", "2026-03-31", 100, "$m"},
		{"ZZZ", "Cloud", "Operating income", "2026-03-31", 28, "$m"},
		{"YYY", "Cloud", "Revenue", "2025-03-31", 200, "$m"},
		{"YYY", "Cloud", "Operating income", "2025-03-31", 60, "$m"},
		{"YYY", "Cloud", "Capacity", "2025-03-31", 100, "MW"},
		{"YYY", "Cloud", "Revenue", "2025-06-30", 200, "$m"},
		{"YYY", "Cloud", "Operating income", "2025-06-30", 40, "$m"},
		{"YYY", "Cloud", "Revenue", "2025-09-30", 200, "$m"},
		{"YYY", "Cloud", "Operating income", "2025-09-30", 50, "$m"},
		{"YYY", "Retail", "Revenue", "2025-03-31", 100, "$m"},
		{"YYY", "Retail", "Operating income", "2025-03-31", 50, "$m"},
		{"XXX", "Cloud", "Revenue", "2025-03-31", 10, "$m"},
		{"XXX", "Cloud", "Operating income", "2025-03-31", -50, "$m"},
		{"XXX", "Cloud", "Capacity", "2025-03-31", 10, "MW"},
	})
	cfg := Default()
	cfg.Inbox = inbox
	pt := runWith(t, cfg).get(t, "peer_trends")
	nan := math.NaN()
	for _, w := range []struct {
		company, segment, quarter string
		margin, qoq               float64
		inflection, group         any
		rank, count               any
	}{
		{"ZZZ", "Cloud", "2025Q1", 0.20, nan, nil, "cloud", 2, 2},
		{"ZZZ", "Cloud", "2025Q2", 0.25, 500, nil, "cloud", 1, 2},
		// 2025Q3 is missing: no change against 2025Q2, the row before.
		{"ZZZ", "Cloud", "2025Q4", 0.30, nan, nil, "cloud", 1, 1},
		// -200 bp, but the change before it (2025Q3 on 2025Q2) is unknown.
		{"ZZZ", "Cloud", "2026Q1", 0.28, -200, nil, "cloud", 1, 1},
		{"YYY", "Cloud", "2025Q1", 0.30, nan, nil, "cloud", 1, 2},
		{"YYY", "Cloud", "2025Q2", 0.20, -1000, nil, "cloud", 2, 2},
		// up 500 after down 1,000: an inflection
		{"YYY", "Cloud", "2025Q3", 0.25, 500, "true", "cloud", 1, 1},
		{"YYY", "Retail", "2025Q1", 0.5, nan, nil, nil, nil, nil},
		{"XXX", "Cloud", "2025Q1", nan, nan, nil, "cloud", nil, nil},
	} {
		r := pick(t, pt, "company", w.company, "segment", w.segment, "calendar_quarter", w.quarter)
		near(t, r, "operating_margin", w.margin, 1e-15)
		near(t, r, "margin_qoq_bps", w.qoq, 1e-9)
		if r["inflection"] != w.inflection || r["peer_group"] != w.group || r["peer_rank"] != w.rank || r["peer_count"] != w.count {
			t.Errorf("%s %s %s: inflection %v, group %v, rank %v of %v; want %v, %v, %v of %v", w.company, w.segment, w.quarter,
				r["inflection"], r["peer_group"], r["peer_rank"], r["peer_count"], w.inflection, w.group, w.rank, w.count)
		}
	}
	if len(pt) != 9 {
		t.Errorf("%d rows, want 9", len(pt))
	}
}

// TestAIMixAcrossGaps: ai_mix's Q/Q and Y/Y changes are against the
// calendar quarter before and four before, never the row before across a
// gap. TaaS shares by hand: 0.1, 0.2, (no 2025Q3), 0.3, 0.4.
func TestAIMixAcrossGaps(t *testing.T) {
	inbox := t.TempDir()
	var rows [][]any
	for _, q := range []struct {
		end        string
		taas, iaas float64
	}{{"2025-03-31", 10, 90}, {"2025-06-30", 20, 80}, {"2025-12-31", 30, 70}, {"2026-03-31", 40, 60}} {
		rows = append(rows, []any{"ZZZ", "Cloud", "AI revenue - TaaS (Bedrock)", q.end, q.taas, "$m"},
			[]any{"ZZZ", "Cloud", "AI revenue - IaaS", q.end, q.iaas, "$m"})
	}
	writeModel(t, filepath.Join(inbox, "model_zz_mix.xlsx"), rows)
	cfg := Default()
	cfg.Inbox = inbox
	mix := runWith(t, cfg).get(t, "ai_mix")
	nan := math.NaN()
	for _, w := range []struct {
		quarter         string
		share, qoq, yoy float64
	}{
		{"2025Q1", 0.1, nan, nan},
		{"2025Q2", 0.2, 10, nan},
		{"2025Q4", 0.3, nan, nan}, // 2025Q3 is missing: no Q/Q against 2025Q2
		{"2026Q1", 0.4, 10, 30},   // Y/Y against 2025Q1, three rows before
	} {
		r := pick(t, mix, "company", "ZZZ", "segment", "Cloud", "calendar_quarter", w.quarter)
		near(t, r, "taas_share", w.share, 1e-15)
		near(t, r, "taas_share_qoq_pp", w.qoq, 1e-12)
		near(t, r, "taas_share_yoy_pp", w.yoy, 1e-12)
	}
	if len(mix) != 4 {
		t.Errorf("%d rows, want 4", len(mix))
	}
}
