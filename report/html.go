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
		if err := add("mix-"+slug(m.Company+"-"+m.Segment), seriesName(m.Company, m.Segment)+" AI revenue mix",
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
		if err := add("bridge-"+slug(b.Company+"-"+b.Segment), seriesName(b.Company, b.Segment)+" margin bridge", caption, svg, err); err != nil {
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
	"pct":    func(f float64) string { return pct(f, 2) },
	"bp":     func(f float64) string { return signed(f, 1) },
	"num":    fmtNum,
	"dash":   dash,
	"series": seriesName,
	"neg":    func(f float64) bool { return f < 0 },
	"cells":  func(s string) []string { return strings.Split(s, "; ") },
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
p.meta, figcaption { color: #5a6570; font-size: .85rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e6e9ed; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.neg { color: #b3261e; }
figure.chart { margin: 1.2rem 0; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figure.chart svg text { font-family: "Liberation Sans", Arial, Helvetica, sans-serif !important; }
td.detail { min-width: 16rem; max-width: 30rem; }
td.cells { font-family: "Liberation Mono", Consolas, monospace; font-size: .75rem; color: #5a6570; white-space: nowrap; }
div.wide { overflow-x: auto; }
figure.chart figcaption { max-width: 720px; }
</style>
</head>
<body>
<h1>marginmix report: {{if .D.Quarter}}{{.D.Quarter}}{{else}}no data{{end}}</h1>
<p class="meta">Publication {{.D.Source.RunID}} in {{.D.Source.Out}}, published {{.Written}}. Margins and shares are percentages of revenue; moves are in basis points (bp, 1/100 of a percentage point).</p>

<h2>Latest quarter</h2>
{{if .D.Summary}}<table id="summary">
<thead><tr><th>company</th><th>segment</th><th>operating margin</th><th>Q/Q bp</th><th>Y/Y bp</th><th>TaaS share</th><th>trend</th><th>slope bp/q</th><th>findings</th></tr></thead>
<tbody>
{{range .D.Summary}}<tr><td>{{.Company}}</td><td>{{.Segment}}</td><td class="n{{if neg .Margin}} neg{{end}}"{{with .MarginNote}} title="{{.}}"{{end}}>{{if .MarginNote}}n/m{{else}}{{pct .Margin}}{{end}}</td><td class="n{{if neg .QoQBps}} neg{{end}}">{{bp .QoQBps}}</td><td class="n{{if neg .YoYBps}} neg{{end}}">{{bp .YoYBps}}</td><td class="n">{{pct .TaaSShare}}</td><td>{{dash .Trend}}</td><td class="n">{{bp .SlopeBps}}</td><td class="n">{{.Findings}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p>No segment margins in this publication.</p>{{end}}

<h2>Charts</h2>
{{range .Charts}}<figure class="chart" id="chart-{{.ID}}">
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{else}}<p>Nothing to chart in this publication.</p>
{{end}}
{{range .D.Bridges}}{{if .Lines}}<table class="bridge">
<caption>{{series .Company .Segment}} bridge by line, {{.PrevQuarter}} to {{.Quarter}}</caption>
<thead><tr><th>line</th><th>share {{.PrevQuarter}}</th><th>share {{.Quarter}}</th><th>margin {{.PrevQuarter}}</th><th>margin {{.Quarter}}</th><th>mix bp</th><th>rate bp</th></tr></thead>
<tbody>
{{range .Lines}}<tr><td>{{.Line}}</td><td class="n">{{pct .PrevShare}}</td><td class="n">{{pct .Share}}</td><td class="n">{{pct .PrevMargin}}</td><td class="n">{{pct .Margin}}</td><td class="n">{{bp .MixBps}}</td><td class="n">{{bp .RateBps}}</td></tr>
{{end}}<tr><th>total</th><td></td><td></td><td class="n">{{pct .PrevMargin}}</td><td class="n">{{pct .Margin}}</td><td class="n">{{bp .MixBps}}</td><td class="n">{{bp .RateBps}}</td></tr>
</tbody>
</table>{{end}}{{end}}

<h2>Data quality</h2>
<p>{{len .D.Findings}} finding(s){{range $i, $c := .Counts}}{{if $i}},{{else}}:{{end}} {{$c.N}} {{$c.Check}}{{end}}.</p>
{{if .D.Findings}}<div class="wide"><table id="data-quality">
<thead><tr><th>check</th><th>company</th><th>segment</th><th>metric</th><th>quarter</th><th>value</th><th>expected</th><th>detail</th><th>cells</th></tr></thead>
<tbody>
{{range .D.Findings}}<tr><td>{{.Check}}</td><td>{{.Company}}</td><td>{{.Segment}}</td><td>{{.Metric}}</td><td>{{.Quarter}}</td><td class="n">{{num .Value}}</td><td class="n">{{num .Expected}}</td><td class="detail">{{.Detail}}</td><td class="cells">{{range cells .Cells}}{{.}}<br>{{end}}</td></tr>
{{end}}</tbody>
</table></div>{{end}}
</body>
</html>
`))

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
