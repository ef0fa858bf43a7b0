package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
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

// Data is everything a report shows, read from one publication.
type Data struct {
	Source   Source
	Quarter  string       // the latest calendar quarter in segment_margins
	Summary  []SummaryRow // every company and segment in Quarter
	Margins  []Series     // operating margin by quarter of each cloud segment
	Mix      []MixSeries  // TaaS and IaaS revenue by quarter
	Bridges  []Bridge     // each parent's margin bridge in its latest quarter
	Adjusted []Adjusted   // reported and depreciation-adjusted margins in the latest quarter
	Findings []Finding    // data_quality, every row
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

// Finding is one data_quality row.
type Finding struct {
	Check, Company, Segment, Metric, Quarter string
	Value, Expected, Difference              float64
	Cells, Detail                            string
}

// Queries the report runs. They name only columns documented in
// docs/analyses.md.
const (
	qSummary = `
SELECT s.company, s.segment, s.operating_margin, s.margin_note, s.margin_qoq_bps, s.margin_yoy_bps,
       m.taas_share, t.trend, t.slope_bps, coalesce(d.findings, 0) AS findings
FROM segment_margins AS s
LEFT JOIN ai_mix AS m
    ON m.company = s.company AND m.segment = s.segment AND m.calendar_quarter = s.calendar_quarter
LEFT JOIN peer_trends AS t
    ON t.company = s.company AND t.segment = s.segment AND t.calendar_quarter = s.calendar_quarter
LEFT JOIN (SELECT company, segment, count(*) AS findings FROM data_quality GROUP BY company, segment) AS d
    ON d.company = s.company AND d.segment = s.segment
WHERE s.calendar_quarter = (SELECT max(calendar_quarter) FROM segment_margins)
ORDER BY s.company, s.segment`

	qQuarter = `SELECT max(calendar_quarter) AS quarter FROM segment_margins`

	// The cloud segments are the peer group of peer_trends (the segments
	// that carry data-centre capacity).
	qMargins = `
SELECT s.company, s.segment, s.calendar_quarter, s.operating_margin
FROM segment_margins AS s
WHERE s.operating_margin IS NOT NULL
  AND EXISTS (SELECT 1 FROM peer_trends AS p
              WHERE p.peer_group = 'cloud' AND p.company = s.company AND p.segment = s.segment)
ORDER BY s.company, s.segment, s.calendar_quarter`

	qMix = `
SELECT company, segment, unit, calendar_quarter, taas, iaas, taas_share
FROM ai_mix
WHERE taas IS NOT NULL AND iaas IS NOT NULL
ORDER BY company, segment, calendar_quarter`

	qBridge = `
SELECT company, segment, row_kind, line, calendar_quarter, prev_quarter, share, prev_share,
       margin, prev_margin, mix_effect_bps, rate_effect_bps, total_change_bps, unexplained_bps
FROM margin_bridge
QUALIFY calendar_quarter = max(calendar_quarter) OVER (PARTITION BY company, segment)
ORDER BY company, segment, row_kind, line`

	qAdjusted = `
SELECT company, segment, calendar_quarter, server_useful_life_years, common_server_life_years,
       operating_margin, adjusted_operating_margin, margin_difference_bps
FROM depreciation_adjusted
WHERE calendar_quarter = (SELECT max(calendar_quarter) FROM depreciation_adjusted)
ORDER BY company, segment`

	qFindings = `
SELECT check_name, company, segment, metric, calendar_quarter, value, expected, difference, cells, detail
FROM data_quality
ORDER BY check_name, company, segment, metric, calendar_quarter, cells`
)

// Load reads a report's data with q.
func Load(ctx context.Context, q QueryFunc, src Source) (*Data, error) {
	d := &Data{Source: src}
	run := func(name, query string, each func(r row)) error {
		rows, err := q(ctx, query)
		if err != nil {
			return fmt.Errorf("report %s: %w", name, err)
		}
		for _, m := range rows {
			each(row(m))
		}
		return nil
	}
	err := run("latest quarter", qQuarter, func(r row) { d.Quarter = r.str("quarter") })
	if err != nil {
		return nil, err
	}
	steps := []struct {
		name, query string
		each        func(r row)
	}{
		{"summary", qSummary, func(r row) {
			d.Summary = append(d.Summary, SummaryRow{
				Company: r.str("company"), Segment: r.str("segment"), Margin: r.num("operating_margin"), MarginNote: r.str("margin_note"),
				QoQBps: r.num("margin_qoq_bps"), YoYBps: r.num("margin_yoy_bps"), TaaSShare: r.num("taas_share"),
				Trend: r.str("trend"), SlopeBps: r.num("slope_bps"), Findings: int(r.num("findings")),
			})
		}},
		{"margins", qMargins, func(r row) {
			co, seg := r.str("company"), r.str("segment")
			if n := len(d.Margins); n == 0 || d.Margins[n-1].Company != co || d.Margins[n-1].Segment != seg {
				d.Margins = append(d.Margins, Series{Company: co, Segment: seg})
			}
			s := &d.Margins[len(d.Margins)-1]
			s.Quarters = append(s.Quarters, r.str("calendar_quarter"))
			s.Margins = append(s.Margins, r.num("operating_margin"))
		}},
		{"ai mix", qMix, func(r row) {
			co, seg := r.str("company"), r.str("segment")
			if n := len(d.Mix); n == 0 || d.Mix[n-1].Company != co || d.Mix[n-1].Segment != seg {
				d.Mix = append(d.Mix, MixSeries{Company: co, Segment: seg, Unit: r.str("unit")})
			}
			s := &d.Mix[len(d.Mix)-1]
			s.Quarters = append(s.Quarters, r.str("calendar_quarter"))
			s.TaaS = append(s.TaaS, r.num("taas"))
			s.IaaS = append(s.IaaS, r.num("iaas"))
			s.Share = append(s.Share, r.num("taas_share"))
		}},
		{"margin bridge", qBridge, func(r row) {
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
		}},
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
				Metric: r.str("metric"), Quarter: r.str("calendar_quarter"), Value: r.num("value"),
				Expected: r.num("expected"), Difference: r.num("difference"), Cells: r.str("cells"),
				Detail: r.str("detail"),
			})
		}},
	}
	for _, s := range steps {
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
	return d, nil
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
