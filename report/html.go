package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Chart is one drawn chart of the HTML page.
type chart struct {
	ID, Title, Caption string
	SVG                template.HTML // drawn by gonum/plot, trusted
}

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// and inline SVG charts, no script, and nothing fetched from anywhere.
func WriteHTML(w io.Writer, d *Data) error {
	var charts []chart
	add := func(id, title, caption string, svg string, err error) error {
		if err != nil {
			return fmt.Errorf("chart %s: %w", id, err)
		}
		charts = append(charts, chart{ID: id, Title: title, Caption: caption, SVG: template.HTML(svg)})
		return nil
	}
	if len(d.Margins) > 0 {
		svg, err := chartMargins(d.Margins)
		if err := add("margins", "Cloud operating margins",
			"operating_margin from segment_margins, by calendar quarter, for each company's cloud segment (the peer group of peer_trends).", svg, err); err != nil {
			return err
		}
	}
	for _, m := range d.Mix {
		svg, err := chartMix(m)
		if err := add(mixID(m.Company, m.Segment), seriesName(m.Company, m.Segment)+" AI revenue mix",
			"taas and iaas from ai_mix, in billions; the label over each bar is taas_share, TaaS as a share of AI revenue.", svg, err); err != nil {
			return err
		}
	}
	for _, b := range d.Bridges {
		svg, err := chartBridge(b)
		caption := fmt.Sprintf("margin_bridge, total row: the lines' margin moved %s bp, %s bp from the mix of revenue between lines and %s bp from the lines' own margins. The margin axis does not start at 0.",
			signed(b.TotalBps, 2), signed(b.MixBps, 2), signed(b.RateBps, 2))
		if !math.IsNaN(b.Unexplained) && math.Abs(b.Unexplained) >= 0.005 {
			caption += fmt.Sprintf(" The reported segment margin moved another %s bp that the lines do not explain.", signed(b.Unexplained, 2))
		}
		if err := add(bridgeID(b.Company, b.Segment), seriesName(b.Company, b.Segment)+" margin bridge", caption, svg, err); err != nil {
			return err
		}
	}
	if len(d.Adjusted) > 0 {
		svg, err := chartAdjusted(d.Adjusted)
		if err := add("adjusted", "Depreciation-adjusted margins",
			"operating_margin and adjusted_operating_margin from depreciation_adjusted: depreciation restated to a common server life; the label is margin_difference_bps.", svg, err); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	err := page.Execute(&b, struct {
		D       *Data
		Charts  []chart
		Counts  any
		Written string
	}{d, charts, d.FindingCounts(), d.Source.Published.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

func slug(s string) string {
	var b []byte
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r-'A'+'a'))
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	return string(bytes.TrimRight(b, "-"))
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":      func(f float64) string { return pct(f, 2) },
	"bp":       func(f float64) string { return signed(f, 1) },
	"num":      fmtNum,
	"dash":     dash,
	"series":   seriesName,
	"neg":      func(f float64) bool { return f < 0 },
	"cells":    func(s string) []string { return strings.Split(s, "; ") },
	"rowid":    rowID,
	"bridgeid": bridgeID,
	"quarters": findingQuarters,
	"focus":    focusText,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>marginmix report {{.D.Quarter}}</title>
<style>
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #1d2329; margin: 2rem auto; max-width: 1280px; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2.2rem; border-bottom: 1px solid #d8dde3; padding-bottom: .2rem; }
p.meta, figcaption, caption { color: #5a6570; font-size: .85rem; }
caption { text-align: left; padding: .2rem 0; }
a { color: #0b5cad; }
section#headline { background: #f3f7fb; border-left: 4px solid #0b5cad; padding: .4rem 1rem; margin-top: 1rem; }
section#headline h2 { margin-top: .4rem; border: none; }
section#headline li { margin: .35rem 0; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e6e9ed; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.neg { color: #b3261e; }
tr:target { background: #fff4c2; }
div.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 540px), 1fr)); gap: 1rem 2rem; }
figure.chart { margin: 1rem 0; min-width: 0; }
figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart svg text { font-family: "Liberation Sans", Arial, Helvetica, sans-serif !important; }
table#data-quality { width: 100%; }
td.detail { min-width: 14rem; overflow-wrap: break-word; }
td.cells { min-width: 17rem; font-family: "Liberation Mono", Consolas, monospace; font-size: .75rem; color: #5a6570; overflow-wrap: anywhere; }
dl#terms dt { font-weight: bold; margin-top: .5rem; }
dl#terms dd { margin-left: 1.5rem; }
@media (max-width: 700px) {
  body { margin: 1rem auto; padding: 0 .6rem; }
  table.stack, table.stack tbody, table.stack caption { display: block; }
  table.stack thead { display: none; }
  table.stack tr { display: flex; flex-wrap: wrap; column-gap: .9rem; border-bottom: 1px solid #c9d0d8; padding: .35rem 0; }
  table.stack td, table.stack th { display: inline-block; border: none; padding: .05rem 0; text-align: left; background: none; white-space: normal; }
  table.stack td:not([data-label]), table.stack th { font-weight: bold; }
  table.stack td:empty { display: none; }
  table.stack td[data-label]::before { content: attr(data-label) " "; color: #5a6570; font-size: .8rem; }
  table.stack td.detail, table.stack td.cells { flex-basis: 100%; min-width: 0; }
}
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  div.charts { display: block; }
  figure.chart { break-inside: avoid; page-break-inside: avoid; }
  figure.chart svg { max-height: 9cm; }
  table { width: 100%; font-size: 8.5pt; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  section#headline { border-left: none; background: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
</style>
</head>
<body>
<h1>marginmix report: {{if .D.Quarter}}{{.D.Quarter}}{{else}}no data{{end}}{{with focus .D.Focus}} ({{.}}){{end}}</h1>
<p class="meta">Publication {{.D.Source.RunID}} in {{.D.Source.Out}}, published {{.Written}}. Margins and shares are percentages of revenue; moves are in basis points (bp, 1/100 of a percentage point); the terms are defined <a href="#definitions">at the end</a>.</p>
{{if .D.Headlines}}
<section id="headline">
<h2>What moved in {{.D.Quarter}}</h2>
<ul>
{{range .D.Headlines}}<li class="{{.Kind}}">{{range .Parts}}{{if .Href}}<a href="#{{.Href}}" title="{{.Source}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}</li>
{{end}}</ul>
</section>
{{end}}
<h2>{{.D.Quarter}} by segment</h2>
{{if .D.Summary}}<table id="summary" class="stack">
<thead><tr><th>company</th><th>segment</th><th>operating margin</th><th>Q/Q bp</th><th>Y/Y bp</th><th>TaaS share</th><th>trend</th><th>slope bp/q</th><th>findings</th></tr></thead>
<tbody>
{{range .D.Summary}}<tr id="{{rowid .Company .Segment}}"><td>{{.Company}}</td><td>{{.Segment}}</td><td class="n{{if neg .Margin}} neg{{end}}" data-label="operating margin"{{with .MarginNote}} title="{{.}}"{{end}}>{{if .MarginNote}}n/m{{else}}{{pct .Margin}}{{end}}</td><td class="n{{if neg .QoQBps}} neg{{end}}" data-label="Q/Q bp">{{bp .QoQBps}}</td><td class="n{{if neg .YoYBps}} neg{{end}}" data-label="Y/Y bp">{{bp .YoYBps}}</td><td class="n" data-label="TaaS share">{{pct .TaaSShare}}</td><td data-label="trend">{{dash .Trend}}</td><td class="n" data-label="slope bp/q">{{bp .SlopeBps}}</td><td class="n" data-label="findings">{{.Findings}}</td></tr>
{{end}}</tbody>
</table>
<p class="meta">n/m: not meaningful (revenue not positive, or operating income larger than revenue in size); the reason is in the cell's tooltip and in segment_margins.margin_note.</p>{{else}}<p>No segment margins in this publication.</p>{{end}}

<h2>Charts</h2>
<div class="charts">
{{range .Charts}}<figure class="chart" id="chart-{{.ID}}">
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{else}}<p>Nothing to chart in this publication.</p>
{{end}}</div>
{{range .D.Bridges}}{{if .Lines}}<table class="bridge stack" id="{{bridgeid .Company .Segment}}">
<caption>{{series .Company .Segment}} bridge by line, {{.PrevQuarter}} to {{.Quarter}}</caption>
<thead><tr><th>line</th><th>share {{.PrevQuarter}}</th><th>share {{.Quarter}}</th><th>margin {{.PrevQuarter}}</th><th>margin {{.Quarter}}</th><th>mix bp</th><th>rate bp</th></tr></thead>
<tbody>
{{$p := .PrevQuarter}}{{$q := .Quarter}}{{range .Lines}}<tr><td>{{.Line}}</td><td class="n" data-label="share {{$p}}">{{pct .PrevShare}}</td><td class="n" data-label="share {{$q}}">{{pct .Share}}</td><td class="n" data-label="margin {{$p}}">{{pct .PrevMargin}}</td><td class="n" data-label="margin {{$q}}">{{pct .Margin}}</td><td class="n" data-label="mix bp">{{bp .MixBps}}</td><td class="n" data-label="rate bp">{{bp .RateBps}}</td></tr>
{{end}}<tr><th>total</th><td></td><td></td><td class="n" data-label="margin {{$p}}">{{pct .PrevMargin}}</td><td class="n" data-label="margin {{$q}}">{{pct .Margin}}</td><td class="n" data-label="mix bp">{{bp .MixBps}}</td><td class="n" data-label="rate bp">{{bp .RateBps}}</td></tr>
</tbody>
</table>{{end}}{{end}}

<h2>Data quality</h2>
<p>{{len .D.Findings}} finding(s){{range $i, $c := .Counts}}{{if $i}},{{else}}:{{end}} {{$c.N}} {{$c.Check}}{{end}}. A row may stand for several quarters (a segment out of range in each, or a run of missing quarters).</p>
{{if .D.Findings}}<table id="data-quality" class="stack">
<thead><tr><th>check</th><th>company</th><th>segment</th><th>metric</th><th>quarter</th><th>value</th><th>expected</th><th>detail</th><th>cells</th></tr></thead>
<tbody>
{{range .D.Findings}}<tr><td>{{.Check}}</td><td data-label="company">{{.Company}}</td><td data-label="segment">{{.Segment}}</td><td data-label="metric">{{.Metric}}</td><td data-label="quarter">{{quarters .}}</td><td class="n" data-label="value">{{num .Value}}</td><td class="n" data-label="expected">{{num .Expected}}</td><td class="detail">{{.Detail}}</td><td class="cells">{{range cells .Cells}}{{.}}<br>{{end}}</td></tr>
{{end}}</tbody>
</table>{{end}}

<h2 id="definitions">Definitions</h2>
<dl id="terms">
<dt>Operating margin</dt><dd>Operating income / revenue of a segment in a quarter (segment_margins.operating_margin). n/m (not meaningful) where revenue is zero or negative, or operating income is larger than revenue in size.</dd>
<dt>bp, pp</dt><dd>A basis point is 1/100 of a percentage point: a margin moving from 35.00% to 37.13% moved +213 bp. pp is a percentage point, used for shares.</dd>
<dt>Q/Q, Y/Y</dt><dd>Against the previous calendar quarter, and against the same quarter a year earlier.</dd>
<dt>TaaS (token-as-a-service)</dt><dd>AI revenue from selling model access by the token, such as Amazon Bedrock: the cloud earns an infrastructure fee and a share of the model's revenue.</dd>
<dt>IaaS (infrastructure-as-a-service)</dt><dd>AI revenue from renting accelerators (GPU and other servers) by the hour.</dd>
<dt>TaaS share</dt><dd>TaaS / AI revenue (ai_mix.taas_share).</dd>
<dt>Run rate</dt><dd>A quarter's revenue x 4: what a year at this quarter's pace would bring (ai_mix.taas_run_rate).</dd>
<dt>Mix effect</dt><dd>The part of a segment's Q/Q margin change that comes from revenue moving between its business lines, each at last quarter's margin (margin_bridge.mix_effect_bps).</dd>
<dt>Rate effect</dt><dd>The part that comes from each line's own margin changing, at this quarter's revenue shares (margin_bridge.rate_effect_bps). Mix and rate add up to the change exactly.</dd>
<dt>Server-life adjustment</dt><dd>Depreciation restated as if servers were depreciated over a common useful life (default 6 years): adjusted depreciation = depreciation x reported life / common life, and the operating income changes by the difference (depreciation_adjusted).</dd>
<dt>Trend</dt><dd>The least-squares slope of the operating margin over the last quarters of the window (peer_trends.slope_bps, bp per quarter): rising or declining beyond the threshold, flat within it.</dd>
<dt>Findings</dt><dd>Rows of data_quality: sums that do not add up, margins out of range, conflicting or restated values, gaps, large moves and what the reader skipped, each with the cells it comes from.</dd>
</dl>
</body>
</html>
`))

// findingQuarters is a finding's quarter, or the quarters it stands for:
// "2024Q1 to 2026Q1 (9)".
func findingQuarters(f Finding) string {
	if f.Occurrences > 1 && f.FirstQuarter != "" && f.FirstQuarter != f.Quarter {
		return fmt.Sprintf("%s to %s (%d)", f.FirstQuarter, f.Quarter, f.Occurrences)
	}
	return f.Quarter
}

// focusText says what a focused report is about: "AMZN; peers MSFT, ORCL".
func focusText(f Focus) string {
	var parts []string
	if len(f.Companies) > 0 {
		parts = append(parts, strings.Join(f.Companies, ", "))
	}
	if len(f.Peers) > 0 {
		parts = append(parts, "peers "+strings.Join(f.Peers, ", "))
	}
	return strings.Join(parts, "; ")
}

// fmtNum writes a figure readably: thousands separators for large values,
// at most four decimals below that, "" for none.
func fmtNum(f float64) string {
	if math.IsNaN(f) {
		return ""
	}
	if math.Abs(f) >= 1000 {
		return groupThousands(fmt.Sprintf("%.0f", f))
	}
	s := strings.TrimRight(strings.TrimRight(strconv.FormatFloat(f, 'f', 4, 64), "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

func groupThousands(s string) string {
	neg := s != "" && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
