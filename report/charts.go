package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Charts are drawn by gonum/plot into SVG (vgsvg) and inlined in the page.
// Fonts are not embedded: the SVG names Liberation Sans, and the page's CSS
// falls back to the reader's Arial/Helvetica/sans-serif (Liberation Sans has
// Arial's metrics, so labels keep their measured widths).

const (
	chartWidth  = 7.5 * vg.Inch
	chartHeight = 3.4 * vg.Inch
)

var (
	fontOnce sync.Once

	// Company colours, close to each company's own; others take plotutil's.
	companyColor = map[string]color.Color{
		"AMZN":  color.RGBA{0xff, 0x99, 0x00, 0xff},
		"MSFT":  color.RGBA{0x00, 0x78, 0xd4, 0xff},
		"GOOGL": color.RGBA{0x34, 0xa8, 0x53, 0xff},
		"ORCL":  color.RGBA{0xc7, 0x46, 0x34, 0xff},
		"CRWV":  color.RGBA{0x6f, 0x42, 0xc1, 0xff},
	}
	colTaaS     = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	colIaaS     = color.RGBA{0xae, 0xc7, 0xe8, 0xff}
	colTotal    = color.RGBA{0x7f, 0x8c, 0x99, 0xff}
	colUp       = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	colDown     = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	colReported = color.RGBA{0x9e, 0xa7, 0xb3, 0xff}
	colAdjusted = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
)

// barPair makes two borderless bar series of width w in colours ca and cb,
// for the caller to stack or set side by side.
func barPair(w vg.Length, a, b plotter.Values, ca, cb color.Color) (*plotter.BarChart, *plotter.BarChart, error) {
	ba, err := plotter.NewBarChart(a, w)
	if err != nil {
		return nil, nil, err
	}
	bb, err := plotter.NewBarChart(b, w)
	if err != nil {
		return nil, nil, err
	}
	ba.Color, bb.Color = ca, cb
	ba.LineStyle.Width, bb.LineStyle.Width = 0, 0
	return ba, bb, nil
}

func newPlot(title, ylabel string) *plot.Plot {
	fontOnce.Do(func() {
		sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
		plot.DefaultFont, plotter.DefaultFont = sans, sans
	})
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 13
	p.Y.Label.Text = ylabel
	p.Y.Label.TextStyle.Font.Size = 10
	p.X.Tick.Label.Font.Size = 9
	p.Y.Tick.Label.Font.Size = 9
	p.Add(plotter.NewGrid())
	return p
}

// percentTicks labels the default ticks with a % sign (values in percent).
type percentTicks struct{}

func (percentTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label += "%"
		}
	}
	return ts
}

// render draws p, with legend (if any) in a column at its right, and returns
// the <svg> element.
func render(p *plot.Plot, legend *plot.Legend) (string, error) {
	c := vgsvg.New(chartWidth, chartHeight)
	dc := draw.New(c)
	if legend != nil {
		legend.Top, legend.Left = true, true
		lw := legend.Rectangle(dc).Size().X + 12
		p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
		legend.Draw(draw.Crop(dc, chartWidth-lw+6, 0, 0, -28))
	} else {
		p.Draw(dc)
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("chart %q: no <svg> in the output", p.Title.Text)
	}
	return s[i:], nil
}

func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font.Size = 10
	l.Padding = vg.Points(3)
	return &l
}

// quarterAxis returns the sorted union of the quarters and each one's index.
func quarterAxis(lists ...[]string) ([]string, map[string]int) {
	seen := map[string]bool{}
	var qs []string
	for _, l := range lists {
		for _, q := range l {
			if !seen[q] {
				seen[q] = true
				qs = append(qs, q)
			}
		}
	}
	sort.Strings(qs)
	idx := make(map[string]int, len(qs))
	for i, q := range qs {
		idx[q] = i
	}
	return qs, idx
}

func seriesName(company, segment string) string { return company + " " + segment }

// chartMargins: operating margin by quarter, one line per cloud segment.
func chartMargins(series []Series) (string, error) {
	p := newPlot("Operating margin of the cloud segments", "operating margin")
	p.Y.Tick.Marker = percentTicks{}
	lists := make([][]string, len(series))
	for i, s := range series {
		lists[i] = s.Quarters
	}
	qs, idx := quarterAxis(lists...)
	legend := newLegend()
	used := map[color.Color]bool{}
	for i, s := range series {
		var xys plotter.XYs
		for j, q := range s.Quarters {
			if !math.IsNaN(s.Margins[j]) {
				xys = append(xys, plotter.XY{X: float64(idx[q]), Y: s.Margins[j] * 100})
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return "", err
		}
		clr, ok := companyColor[s.Company]
		if !ok || used[clr] {
			clr = plotutil.Color(i)
		}
		used[clr] = true
		line.Color, line.Width = clr, vg.Points(2)
		points.Color, points.Shape, points.Radius = clr, draw.CircleGlyph{}, vg.Points(2.5)
		p.Add(line, points)
		legend.Add(seriesName(s.Company, s.Segment), line, points)
	}
	if len(qs) > 0 {
		p.NominalX(qs...)
	}
	return render(p, legend)
}

// chartMix: TaaS stacked on IaaS revenue by quarter, with the TaaS share
// above each bar.
func chartMix(m MixSeries) (string, error) {
	unit := m.Unit
	if unit == "" {
		unit = "currency"
	}
	p := newPlot(fmt.Sprintf("%s AI revenue: TaaS and IaaS", seriesName(m.Company, m.Segment)), unit+" bn")
	iaas, taas := make(plotter.Values, len(m.Quarters)), make(plotter.Values, len(m.Quarters))
	var labels plotter.XYLabels
	for i := range m.Quarters {
		iaas[i], taas[i] = m.IaaS[i]/1e9, m.TaaS[i]/1e9
		if !math.IsNaN(m.Share[i]) {
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: iaas[i] + taas[i]})
			labels.Labels = append(labels.Labels, fmt.Sprintf("%.0f%%", m.Share[i]*100))
		}
	}
	w := vg.Points(26)
	bi, bt, err := barPair(w, iaas, taas, colIaaS, colTaaS)
	if err != nil {
		return "", err
	}
	bt.StackOn(bi)
	p.Add(bi, bt)
	if len(labels.XYs) > 0 {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return "", err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign = draw.XCenter
			l.TextStyle[i].Font.Size = 9
		}
		l.Offset = vg.Point{Y: 3}
		p.Add(l)
		p.Y.Max *= 1.08 // room for the labels
	}
	p.Y.Min = 0
	p.NominalX(m.Quarters...)
	legend := newLegend()
	legend.Add("TaaS", bt)
	legend.Add("IaaS", bi)
	return render(p, legend)
}

// chartBridge: a waterfall from the previous quarter's margin through the
// mix and rate effects to this quarter's margin.
func chartBridge(b Bridge) (string, error) {
	p := newPlot(fmt.Sprintf("%s operating margin bridge, %s to %s", seriesName(b.Company, b.Segment), b.PrevQuarter, b.Quarter), "operating margin")
	p.Y.Tick.Marker = percentTicks{}
	c0 := b.PrevMargin * 100
	c1 := c0 + b.MixBps/100
	c2 := c1 + b.RateBps/100
	lo := math.Min(math.Min(c0, c1), math.Min(c2, b.Margin*100))
	hi := math.Max(math.Max(c0, c1), math.Max(c2, b.Margin*100))
	span := math.Max(hi-lo, 0.5)
	floor := math.Floor((lo-span*0.6)*2) / 2 // the axis starts near the margins, not at 0
	type bar struct {
		from, to float64
		clr      color.Color
		label    string
	}
	bars := []bar{
		{floor, c0, colTotal, fmt.Sprintf("%.2f%%", c0)},
		{c0, c1, upDown(b.MixBps), fmt.Sprintf("%s bp", signed(b.MixBps, 1))},
		{c1, c2, upDown(b.RateBps), fmt.Sprintf("%s bp", signed(b.RateBps, 1))},
		{floor, b.Margin * 100, colTotal, fmt.Sprintf("%.2f%%", b.Margin*100)},
	}
	var labels plotter.XYLabels
	for i, br := range bars {
		x := float64(i)
		bottom, top := math.Min(br.from, br.to), math.Max(br.from, br.to)
		if top-bottom < span/400 { // keep a hairline visible
			top = bottom + span/400
		}
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x - 0.3, Y: bottom}, {X: x + 0.3, Y: bottom}, {X: x + 0.3, Y: top}, {X: x - 0.3, Y: top}})
		if err != nil {
			return "", err
		}
		poly.Color = br.clr
		poly.LineStyle.Width = 0
		p.Add(poly)
		labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: top})
		labels.Labels = append(labels.Labels, br.label)
		if i < len(bars)-1 {
			// A dashed connector at the level the next bar starts from.
			lvl := br.to
			conn, err := plotter.NewLine(plotter.XYs{{X: x + 0.3, Y: lvl}, {X: x + 0.7, Y: lvl}})
			if err != nil {
				return "", err
			}
			conn.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			conn.Color = color.Gray{0x60}
			p.Add(conn)
		}
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return "", err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XCenter
		l.TextStyle[i].Font.Size = 10
	}
	l.Offset = vg.Point{Y: 4}
	p.Add(l)
	p.NominalX(b.PrevQuarter+" margin", "mix effect", "rate effect", b.Quarter+" margin")
	p.Y.Min = floor
	p.Y.Max = hi + span*0.35
	return render(p, nil)
}

func upDown(bps float64) color.Color {
	if bps < 0 {
		return colDown
	}
	return colUp
}

// chartAdjusted: reported and depreciation-adjusted operating margins side
// by side for each segment.
func chartAdjusted(rows []Adjusted) (string, error) {
	title := "Operating margin, reported and at a common server life"
	if len(rows) > 0 && !math.IsNaN(rows[0].CommonLife) {
		title = fmt.Sprintf("Operating margin %s, reported and at a %g-year server life", rows[0].Quarter, rows[0].CommonLife)
	}
	p := newPlot(title, "operating margin")
	p.Y.Tick.Marker = percentTicks{}
	rep, adj := make(plotter.Values, len(rows)), make(plotter.Values, len(rows))
	names := make([]string, len(rows))
	var labels plotter.XYLabels
	for i, r := range rows {
		rep[i], adj[i] = r.Margin*100, r.AdjustedMargin*100
		names[i] = fmt.Sprintf("%s\n%s, %gy life", r.Segment, r.Company, r.LifeYears)
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: math.Max(math.Max(adj[i], rep[i]), 0)})
		labels.Labels = append(labels.Labels, signed(r.DifferenceBps, 0)+" bp")
	}
	w := vg.Points(22)
	br, ba, err := barPair(w, rep, adj, colReported, colAdjusted)
	if err != nil {
		return "", err
	}
	br.Offset, ba.Offset = -w/2, w/2
	p.Add(br, ba)
	if len(rows) > 0 {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return "", err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign = draw.XCenter
			l.TextStyle[i].Font.Size = 9
		}
		l.Offset = vg.Point{Y: 3}
		p.Add(l)
		p.NominalX(names...)
		p.Y.Max += (p.Y.Max - p.Y.Min) * 0.08
	}
	legend := newLegend()
	legend.Add("reported", br)
	legend.Add("adjusted", ba)
	return render(p, legend)
}
