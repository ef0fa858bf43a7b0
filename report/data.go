package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// QueryFunc runs one SQL query over the datasets of a publication (views
// named after them: segment_margins, ai_mix, ...) and returns its rows as
// maps from column name to a plain Go value (nil for NULL). Every query of
// one report must read the same publication.
type QueryFunc func(ctx context.Context, query string) ([]map[string]any, error)

// Source says which publication a report describes.
type Source struct {
	Out       string    // the output folder
	RunID     string    // the run that published it
	Published time.Time // when that run finished
}

// Focus narrows a report. The zero Focus is the whole publication's latest
// quarter.
type Focus struct {
	Companies []string // the companies the report is about; none: all
	Peers     []string // companies to compare them with; none: every cloud peer
	Quarter   string   // the calendar quarter described; "": the latest
}

// FocusError is a Focus the publication cannot answer: a company it does
// not hold, or a quarter none of the companies has.
type FocusError struct{ Msg string }

func (e *FocusError) Error() string { return e.Msg }

// Data is everything a report shows, read from one publication.
type Data struct {
	Source    Source
	Focus     Focus
	Quarter   string       // the quarter described: Focus.Quarter, or the latest in segment_margins
	Summary   []SummaryRow // every company and segment in Quarter
	Peers     []PeerRow    // the cloud peers' margin trends in Quarter
	Margins   []Series     // operating margin by quarter of each cloud segment, up to Quarter
	Mix       []MixSeries  // TaaS and IaaS revenue by quarter, up to Quarter
	Bridges   []Bridge     // each parent's margin bridge in Quarter
	Adjusted  []Adjusted   // reported and depreciation-adjusted margins in Quarter
	Findings  []Finding    // data_quality rows of the companies, up to Quarter
	Headlines []Headline   // what moved in Quarter, in sentences (headline.go)
}

// SummaryRow is one company and segment in the latest quarter. NaN means
// the figure does not exist.
type SummaryRow struct {
	Company, Segment string
	Margin           float64 // operating_margin (fraction)
	MarginNote       string  // segment_margins.margin_note: why a margin is n/m
	QoQBps, YoYBps   float64 // margin_qoq_bps, margin_yoy_bps
	TaaSShare        float64 // ai_mix.taas_share (fraction)
	Trend            string  // peer_trends.trend: rising, flat, declining, or ""
	SlopeBps         float64 // peer_trends.slope_bps
	Findings         int     // data_quality rows of this company and segment, any quarter
}

// PeerRow is one cloud segment's margin trend in the quarter.
type PeerRow struct {
	Company, Segment string
	Trend            string
	SlopeBps         float64
	Window           int // window_quarters
}

// Series is one segment's operating margin by quarter.
type Series struct {
	Company, Segment string
	Quarters         []string
	Margins          []float64 // fractions
}

// MixSeries is one segment's AI revenue split by quarter.
type MixSeries struct {
	Company, Segment, Unit string
	Quarters               []string
	TaaS, IaaS, Share      []float64
	QoQPP, YoYPP, RunRate  []float64 // taas_share_qoq_pp, taas_share_yoy_pp, taas_run_rate
}

// Bridge is a parent segment's Q/Q margin change split into mix and rate.
type Bridge struct {
	Company, Segment      string
	Quarter, PrevQuarter  string
	PrevMargin, Margin    float64 // the lines' margins (fractions)
	MixBps, RateBps       float64
	TotalBps, Unexplained float64
	Lines                 []BridgeLine
}

// BridgeLine is one business line of a bridge.
type BridgeLine struct {
	Line               string
	PrevShare, Share   float64
	PrevMargin, Margin float64
	MixBps, RateBps    float64
}

// Adjusted is one segment's margin as reported and restated to a common server life.
type Adjusted struct {
	Company, Segment, Quarter string
	LifeYears, CommonLife     float64
	Margin, AdjustedMargin    float64
	DifferenceBps             float64
}

// Finding is one data_quality row; a row may stand for several findings
// (Occurrences), from FirstQuarter to Quarter.
type Finding struct {
	Check, Company, Segment, Metric, Quarter string
	FirstQuarter                             string
	Occurrences                              int
	Value, Expected, Difference              float64
	Cells, Detail                            string
}

// Queries the report runs. They name only columns documented in
// docs/analyses.md. Each starts with a comment naming it; {companies},
// {shown} and {quarter} are filled in by (*Focus).sql.
const (
	qCompanies = `-- report: companies
SELECT company, min(calendar_quarter) AS first_quarter, max(calendar_quarter) AS last_quarter
FROM segment_margins
GROUP BY company
ORDER BY company`

	qSummary = `-- report: summary
SELECT s.company, s.segment, s.operating_margin, s.margin_note, s.margin_qoq_bps, s.margin_yoy_bps,
       m.taas_share, t.trend, t.slope_bps, coalesce(d.findings, 0) AS findings
FROM segment_margins AS s
LEFT JOIN ai_mix AS m
    ON m.company = s.company AND m.segment = s.segment AND m.calendar_quarter = s.calendar_quarter
LEFT JOIN peer_trends AS t
    ON t.company = s.company AND t.segment = s.segment AND t.calendar_quarter = s.calendar_quarter
LEFT JOIN (SELECT company, segment, count(*) AS findings FROM data_quality
           WHERE first_quarter IS NULL OR first_quarter <= {quarter} GROUP BY company, segment) AS d
    ON d.company = s.company AND d.segment = s.segment
WHERE s.calendar_quarter = {quarter} AND s.{companies}
ORDER BY s.company, s.segment`

	// The cloud segments are the peer group of peer_trends (the segments
	// that carry data-centre capacity).
	qPeers = `-- report: peers
SELECT company, segment, trend, slope_bps, window_quarters
FROM peer_trends
WHERE peer_group = 'cloud' AND calendar_quarter = {quarter} AND {shown}
ORDER BY company, segment`

	qMargins = `-- report: margins
SELECT s.company, s.segment, s.calendar_quarter, s.operating_margin
FROM segment_margins AS s
WHERE s.operating_margin IS NOT NULL AND s.calendar_quarter <= {quarter} AND s.{shown}
  AND EXISTS (SELECT 1 FROM peer_trends AS p
              WHERE p.peer_group = 'cloud' AND p.company = s.company AND p.segment = s.segment)
ORDER BY s.company, s.segment, s.calendar_quarter`

	qMix = `-- report: ai mix
SELECT company, segment, unit, calendar_quarter, taas, iaas, taas_share, taas_share_qoq_pp, taas_share_yoy_pp, taas_run_rate
FROM ai_mix
WHERE taas IS NOT NULL AND iaas IS NOT NULL AND calendar_quarter <= {quarter} AND {companies}
ORDER BY company, segment, calendar_quarter`

	qBridge = `-- report: margin bridge
SELECT company, segment, row_kind, line, calendar_quarter, prev_quarter, share, prev_share,
       margin, prev_margin, mix_effect_bps, rate_effect_bps, total_change_bps, unexplained_bps
FROM margin_bridge
WHERE calendar_quarter = {quarter} AND {companies}
ORDER BY company, segment, row_kind, line`

	qAdjusted = `-- report: depreciation adjusted
SELECT company, segment, calendar_quarter, server_useful_life_years, common_server_life_years,
       operating_margin, adjusted_operating_margin, margin_difference_bps
FROM depreciation_adjusted
WHERE calendar_quarter = {quarter} AND {companies}
ORDER BY company, segment`

	qFindings = `-- report: data quality
SELECT check_name, company, segment, metric, calendar_quarter, first_quarter, occurrences,
       value, expected, difference, cells, detail
FROM data_quality
WHERE (first_quarter IS NULL OR first_quarter <= {quarter}) AND ({companies}{orNoCompany})
ORDER BY check_name, company, segment, metric, calendar_quarter, cells`
)

// sql fills a query's {companies} (the focus companies), {shown} (them and
// their peers), {orNoCompany} and {quarter}. Names were checked against the
// publication first (resolve); they are quoted all the same.
func (f *Focus) sql(query, quarter string) string {
	in := func(names []string) string {
		if len(names) == 0 {
			return "company IS NOT NULL"
		}
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = quote(n)
		}
		return "company IN (" + strings.Join(q, ", ") + ")"
	}
	shown := in(nil)
	if len(f.Peers) > 0 {
		shown = in(f.named())
	}
	orNone := ""
	if len(f.Companies) == 0 {
		orNone = " OR company IS NULL"
	}
	return strings.NewReplacer("{companies}", in(f.Companies), "{shown}", shown,
		"{orNoCompany}", orNone, "{quarter}", quote(quarter)).Replace(query)
}

// named are the companies and the peers the focus names.
func (f *Focus) named() []string { return append(slices.Clone(f.Companies), f.Peers...) }

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// resolve checks the focus against the publication's companies and
// quarters and returns the quarter to describe.
func (f *Focus) resolve(rows []map[string]any) (string, error) {
	first, last := map[string]string{}, map[string]string{}
	var names []string
	for _, m := range rows {
		r := row(m)
		co := r.str("company")
		names = append(names, co)
		first[co], last[co] = r.str("first_quarter"), r.str("last_quarter")
	}
	for _, co := range f.named() {
		if _, ok := first[co]; !ok {
			return "", &FocusError{fmt.Sprintf("no company %q in this publication; it holds %s", co, listNames(names))}
		}
	}
	of := f.Companies
	if len(of) == 0 {
		of = names
	}
	lo, hi := "", ""
	for _, co := range of {
		if lo == "" || first[co] < lo {
			lo = first[co]
		}
		hi = max(hi, last[co])
	}
	if f.Quarter == "" {
		return hi, nil
	}
	if hi == "" || f.Quarter < lo || f.Quarter > hi {
		return "", &FocusError{fmt.Sprintf("no segment margins in %s for %s: they run from %s to %s", f.Quarter, listNames(of), lo, hi)}
	}
	return f.Quarter, nil
}

// listNames lists names for a message, at most 12 of them.
func listNames(names []string) string {
	if len(names) == 0 {
		return "no company"
	}
	if len(names) > 12 {
		return strings.Join(names[:12], ", ") + fmt.Sprintf(" and %d more", len(names)-12)
	}
	return strings.Join(names, ", ")
}

// Load reads a report's data with q, narrowed to focus.
func Load(ctx context.Context, q QueryFunc, src Source, focus Focus) (*Data, error) {
	d := &Data{Source: src, Focus: focus}
	run := func(name, query string, each func(r row)) error {
		rows, err := q(ctx, focus.sql(query, d.Quarter))
		if err != nil {
			return fmt.Errorf("report %s: %w", name, err)
		}
		for _, m := range rows {
			each(row(m))
		}
		return nil
	}
	companies, err := q(ctx, qCompanies)
	if err != nil {
		return nil, fmt.Errorf("report companies: %w", err)
	}
	if d.Quarter, err = focus.resolve(companies); err != nil || d.Quarter == "" {
		return d, err
	}
	for _, s := range d.steps() {
		if err := run(s.name, s.query, s.each); err != nil {
			return nil, err
		}
	}
	// A bridge whose total row is missing is not drawable.
	bridges := d.Bridges[:0]
	for _, b := range d.Bridges {
		if b.Quarter != "" {
			bridges = append(bridges, b)
		}
	}
	d.Bridges = bridges
	d.Headlines = headlines(d)
	return d, nil
}

type step struct {
	name, query string
	each        func(r row)
}

// steps are the report's queries, each with what it adds to d.
func (d *Data) steps() []step {
	return []step{
		{"summary", qSummary, func(r row) {
			d.Summary = append(d.Summary, SummaryRow{
				Company: r.str("company"), Segment: r.str("segment"), Margin: r.num("operating_margin"), MarginNote: r.str("margin_note"),
				QoQBps: r.num("margin_qoq_bps"), YoYBps: r.num("margin_yoy_bps"), TaaSShare: r.num("taas_share"),
				Trend: r.str("trend"), SlopeBps: r.num("slope_bps"), Findings: int(r.num("findings")),
			})
		}},
		{"peers", qPeers, func(r row) {
			d.Peers = append(d.Peers, PeerRow{
				Company: r.str("company"), Segment: r.str("segment"),
				Trend: r.str("trend"), SlopeBps: r.num("slope_bps"), Window: r.int("window_quarters"),
			})
		}},
		{"margins", qMargins, d.addMargin},
		{"ai mix", qMix, d.addMix},
		{"margin bridge", qBridge, d.addBridge},
		{"depreciation adjusted", qAdjusted, func(r row) {
			d.Adjusted = append(d.Adjusted, Adjusted{
				Company: r.str("company"), Segment: r.str("segment"), Quarter: r.str("calendar_quarter"),
				LifeYears: r.num("server_useful_life_years"), CommonLife: r.num("common_server_life_years"),
				Margin: r.num("operating_margin"), AdjustedMargin: r.num("adjusted_operating_margin"),
				DifferenceBps: r.num("margin_difference_bps"),
			})
		}},
		{"data quality", qFindings, func(r row) {
			d.Findings = append(d.Findings, Finding{
				Check: r.str("check_name"), Company: r.str("company"), Segment: r.str("segment"),
				Metric: r.str("metric"), Quarter: r.str("calendar_quarter"), FirstQuarter: r.str("first_quarter"),
				Occurrences: r.int("occurrences"), Value: r.num("value"),
				Expected: r.num("expected"), Difference: r.num("difference"), Cells: r.str("cells"),
				Detail: r.str("detail"),
			})
		}},
	}
}

func (d *Data) addMargin(r row) {
	co, seg := r.str("company"), r.str("segment")
	if n := len(d.Margins); n == 0 || d.Margins[n-1].Company != co || d.Margins[n-1].Segment != seg {
		d.Margins = append(d.Margins, Series{Company: co, Segment: seg})
	}
	s := &d.Margins[len(d.Margins)-1]
	s.Quarters = append(s.Quarters, r.str("calendar_quarter"))
	s.Margins = append(s.Margins, r.num("operating_margin"))
}

func (d *Data) addMix(r row) {
	co, seg := r.str("company"), r.str("segment")
	if n := len(d.Mix); n == 0 || d.Mix[n-1].Company != co || d.Mix[n-1].Segment != seg {
		d.Mix = append(d.Mix, MixSeries{Company: co, Segment: seg, Unit: r.str("unit")})
	}
	s := &d.Mix[len(d.Mix)-1]
	s.Quarters = append(s.Quarters, r.str("calendar_quarter"))
	s.TaaS = append(s.TaaS, r.num("taas"))
	s.IaaS = append(s.IaaS, r.num("iaas"))
	s.Share = append(s.Share, r.num("taas_share"))
	s.QoQPP = append(s.QoQPP, r.num("taas_share_qoq_pp"))
	s.YoYPP = append(s.YoYPP, r.num("taas_share_yoy_pp"))
	s.RunRate = append(s.RunRate, r.num("taas_run_rate"))
}

func (d *Data) addBridge(r row) {
	co, seg := r.str("company"), r.str("segment")
	if n := len(d.Bridges); n == 0 || d.Bridges[n-1].Company != co || d.Bridges[n-1].Segment != seg {
		d.Bridges = append(d.Bridges, Bridge{Company: co, Segment: seg})
	}
	b := &d.Bridges[len(d.Bridges)-1]
	if r.str("row_kind") == "total" {
		b.Quarter, b.PrevQuarter = r.str("calendar_quarter"), r.str("prev_quarter")
		b.Margin, b.PrevMargin = r.num("margin"), r.num("prev_margin")
		b.MixBps, b.RateBps = r.num("mix_effect_bps"), r.num("rate_effect_bps")
		b.TotalBps, b.Unexplained = r.num("total_change_bps"), r.num("unexplained_bps")
		return
	}
	b.Lines = append(b.Lines, BridgeLine{
		Line: r.str("line"), Share: r.num("share"), PrevShare: r.num("prev_share"),
		Margin: r.num("margin"), PrevMargin: r.num("prev_margin"),
		MixBps: r.num("mix_effect_bps"), RateBps: r.num("rate_effect_bps"),
	})
}

// FindingCounts counts the findings per check, in check order.
func (d *Data) FindingCounts() []struct {
	Check string
	N     int
} {
	n := map[string]int{}
	for _, f := range d.Findings {
		n[f.Check]++
	}
	checks := make([]string, 0, len(n))
	for c := range n {
		checks = append(checks, c)
	}
	sort.Strings(checks)
	out := make([]struct {
		Check string
		N     int
	}, len(checks))
	for i, c := range checks {
		out[i].Check, out[i].N = c, n[c]
	}
	return out
}

// row reads a query row's values.
type row map[string]any

func (r row) str(k string) string {
	switch v := r[k].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// int returns a whole number, 0 for NULL.
func (r row) int(k string) int {
	if f := r.num(k); !math.IsNaN(f) {
		return int(f)
	}
	return 0
}

// num returns a number, NaN for NULL or a missing column.
func (r row) num(k string) float64 {
	switch v := r[k].(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case int:
		return float64(v)
	case uint64:
		return float64(v)
	case json.Number:
		f, err := v.Float64()
		if err == nil {
			return f
		}
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return math.NaN()
}
