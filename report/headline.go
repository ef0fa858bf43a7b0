package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// A Headline is one sentence of "What moved": plain text with its figures
// linked to the rows and charts of the page they come from.
type Headline struct {
	Kind  string // moves, mix, peers, server_life
	Parts []Part
}

// Part is a piece of a headline; a figure carries the id of the page
// element it comes from (Href) and the dataset, key and column it was read
// from (Source).
type Part struct {
	Text, Href, Source string
}

// Text is the sentence without its links.
func (h Headline) Text() string {
	var b strings.Builder
	for _, p := range h.Parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// maxMoves is how many of the largest margin moves the headline names.
const maxMoves = 3

// headlines computes what moved in d.Quarter: the largest Q/Q margin moves
// with their bridge, the TaaS mix shifts, the cloud peers' trends and what
// a common server life does to the margins. Margins that are n/m take no
// part.
func headlines(d *Data) []Headline {
	var hs []Headline
	for _, r := range largestMoves(d.Summary) {
		hs = append(hs, moveHeadline(d, r))
	}
	for _, m := range d.Mix {
		if h, ok := mixHeadline(m, d.Quarter); ok {
			hs = append(hs, h)
		}
	}
	if h, ok := peersHeadline(d.Peers, d.rowHref); ok {
		hs = append(hs, h)
	}
	if h, ok := serverLifeHeadline(d.Adjusted); ok {
		hs = append(hs, h)
	}
	return hs
}

// largestMoves: the segments (not business lines) with a meaningful margin
// and the largest Q/Q moves, largest first.
func largestMoves(rows []SummaryRow) []SummaryRow {
	var moved []SummaryRow
	for _, r := range rows {
		if r.MarginNote == "" && !math.IsNaN(r.Margin) && !math.IsNaN(r.QoQBps) && !isLine(r.Segment) && math.Abs(r.QoQBps) >= 0.05 {
			moved = append(moved, r)
		}
	}
	sort.SliceStable(moved, func(i, j int) bool { return math.Abs(moved[i].QoQBps) > math.Abs(moved[j].QoQBps) })
	return moved[:min(len(moved), maxMoves)]
}

// isLine: a business line "<segment> / <line>" (or EDGAR's "|").
func isLine(segment string) bool {
	return strings.Contains(segment, " / ") || strings.Contains(segment, " | ")
}

func rowID(company, segment string) string { return "row-" + slug(company+"-"+segment) }

// bridgeID names a segment's bridge: its table's id, and its chart's
// with the prefix "chart-" that every chart's figure has.
func bridgeID(company, segment string) string { return "bridge-" + slug(company+"-"+segment) }

// mixID names a segment's AI revenue mix chart, without "chart-".
func mixID(company, segment string) string { return "mix-" + slug(company+"-"+segment) }

// rowHref links to a segment's row of the summary table, or to the margins
// chart for a peer the report is not about.
func (d *Data) rowHref(company, segment string) string {
	for _, r := range d.Summary {
		if r.Company == company && r.Segment == segment {
			return rowID(company, segment)
		}
	}
	return "chart-margins"
}

func moveHeadline(d *Data, r SummaryRow) Headline {
	key := fmt.Sprintf("%s %s", seriesName(r.Company, r.Segment), d.Quarter)
	dir := "rose"
	if r.QoQBps < 0 {
		dir = "fell"
	}
	subject := seriesName(r.Company, r.Segment) + "'s operating margin"
	if r.Segment == "Total" {
		subject = r.Company + "'s total operating margin"
	}
	prev := r.Margin - r.QoQBps/10000
	parts := []Part{
		{Text: subject + " " + dir + " "},
		{Text: fmt.Sprintf("%.1f bp", math.Abs(r.QoQBps)), Href: rowID(r.Company, r.Segment), Source: "segment_margins.margin_qoq_bps, " + key},
		{Text: " Q/Q to "},
		{Text: pct(r.Margin, 2), Href: rowID(r.Company, r.Segment), Source: "segment_margins.operating_margin, " + key},
		{Text: fmt.Sprintf(" (from %s)", pct(prev, 2))},
	}
	if b, ok := bridgeOf(d.Bridges, r.Company, r.Segment); ok {
		parts = append(parts, bridgeParts(b)...)
	}
	parts = append(parts, Part{Text: "."})
	return Headline{Kind: "moves", Parts: parts}
}

func bridgeOf(bs []Bridge, company, segment string) (Bridge, bool) {
	for _, b := range bs {
		if b.Company == company && b.Segment == segment {
			return b, true
		}
	}
	return Bridge{}, false
}

// bridgeParts: "; +216.0 bp from the mix of revenue between its lines
// (Core +97.9, TaaS +82.3, IaaS +35.8 bp) and -3.1 bp from the lines' own
// margins", the lines by the size of their mix effect.
func bridgeParts(b Bridge) []Part {
	id := "chart-" + bridgeID(b.Company, b.Segment)
	if len(b.Lines) > 0 {
		id = bridgeID(b.Company, b.Segment) // its table
	}
	key := fmt.Sprintf("%s %s", seriesName(b.Company, b.Segment), b.Quarter)
	parts := []Part{
		{Text: "; "},
		{Text: signed(b.MixBps, 1) + " bp", Href: id, Source: "margin_bridge.mix_effect_bps, total row, " + key},
		{Text: " from the mix of revenue between its lines"},
	}
	lines := append([]BridgeLine(nil), b.Lines...)
	sort.SliceStable(lines, func(i, j int) bool { return math.Abs(lines[i].MixBps) > math.Abs(lines[j].MixBps) })
	n := 0
	for _, l := range lines {
		if math.IsNaN(l.MixBps) {
			continue
		}
		sep := ", "
		if n == 0 {
			sep = " ("
		}
		parts = append(parts, Part{Text: sep + l.Line + " "},
			Part{Text: signed(l.MixBps, 1), Href: id, Source: "margin_bridge.mix_effect_bps, " + l.Line + ", " + key})
		n++
	}
	if n > 0 {
		parts = append(parts, Part{Text: " bp)"})
	}
	return append(parts,
		Part{Text: " and "},
		Part{Text: signed(b.RateBps, 1) + " bp", Href: id, Source: "margin_bridge.rate_effect_bps, total row, " + key},
		Part{Text: " from the lines' own margins"})
}

// mixHeadline: "TaaS was 37.00% of AMZN AWS's AI revenue in 2026Q1, +15.91 pp
// Q/Q and +28.00 pp Y/Y; a TaaS run rate of 5.50 bn USD."
func mixHeadline(m MixSeries, quarter string) (Headline, bool) {
	i := len(m.Quarters) - 1
	if i < 0 || m.Quarters[i] != quarter || math.IsNaN(m.Share[i]) {
		return Headline{}, false
	}
	id := "chart-" + mixID(m.Company, m.Segment)
	name := seriesName(m.Company, m.Segment)
	key := name + " " + quarter
	parts := []Part{
		{Text: "TaaS was "},
		{Text: pct(m.Share[i], 2), Href: id, Source: "ai_mix.taas_share, " + key},
		{Text: " of " + name + "'s AI revenue in " + quarter},
	}
	var moves []Part
	for _, c := range []struct {
		v          float64
		label, col string
	}{{m.QoQPP[i], "Q/Q", "taas_share_qoq_pp"}, {m.YoYPP[i], "Y/Y", "taas_share_yoy_pp"}} {
		if !math.IsNaN(c.v) {
			if len(moves) > 0 {
				moves = append(moves, Part{Text: " and "})
			}
			moves = append(moves, Part{Text: signed(c.v, 2) + " pp " + c.label, Href: id, Source: "ai_mix." + c.col + ", " + key})
		}
	}
	if len(moves) > 0 {
		parts = append(append(parts, Part{Text: ", "}), moves...)
	}
	if rr := m.RunRate[i]; !math.IsNaN(rr) {
		parts = append(parts, Part{Text: "; a TaaS run rate of "},
			Part{Text: fmt.Sprintf("%.2f bn %s", rr/1e9, unitName(m.Unit)), Href: id, Source: "ai_mix.taas_run_rate, " + key})
	}
	return Headline{Kind: "mix", Parts: append(parts, Part{Text: "."})}, true
}

func unitName(u string) string {
	if u == "" {
		return "(currency)"
	}
	return u
}

// peersHeadline: "Of 4 cloud segments with a trend over the last 4
// quarters, AMZN AWS is the only one rising (+130.9 bp/q); declining: ...".
func peersHeadline(peers []PeerRow, href func(company, segment string) string) (Headline, bool) {
	by := map[string][]PeerRow{}
	n, window := 0, 0
	for _, p := range peers {
		if p.Trend != "" {
			by[p.Trend] = append(by[p.Trend], p)
			n++
			window = max(window, p.Window)
		}
	}
	if n < 2 {
		return Headline{}, false
	}
	parts := []Part{{Text: fmt.Sprintf("Of %d cloud segments with a %d-quarter margin trend, ", n, window)}}
	rising := by["rising"]
	switch len(rising) {
	case 0:
		parts = append(parts, Part{Text: "none is rising"})
	case 1:
		parts = append(parts, Part{Text: peerName(rising[0]) + " is the only one rising ("})
		parts = append(parts, slopePart(rising[0], href), Part{Text: ")"})
	default:
		parts = append(parts, Part{Text: fmt.Sprintf("%d are rising: ", len(rising))})
		parts = append(parts, peerList(rising, href)...)
	}
	for _, t := range []string{"flat", "declining"} {
		if len(by[t]) > 0 {
			parts = append(parts, Part{Text: "; " + t + ": "})
			parts = append(parts, peerList(by[t], href)...)
		}
	}
	return Headline{Kind: "peers", Parts: append(parts, Part{Text: "."})}, true
}

// peerName names a peer series; a company's total is "CRWV (total)".
func peerName(p PeerRow) string {
	if p.Segment == "Total" {
		return p.Company + " (total)"
	}
	return seriesName(p.Company, p.Segment)
}

func slopePart(p PeerRow, href func(company, segment string) string) Part {
	return Part{Text: signed(p.SlopeBps, 1) + " bp/q", Href: href(p.Company, p.Segment),
		Source: "peer_trends.slope_bps, " + seriesName(p.Company, p.Segment)}
}

func peerList(ps []PeerRow, href func(company, segment string) string) []Part {
	var parts []Part
	for i, p := range ps {
		if i > 0 {
			parts = append(parts, Part{Text: ", "})
		}
		parts = append(parts, Part{Text: peerName(p) + " ("}, slopePart(p, href), Part{Text: ")"})
	}
	return parts
}

// serverLifeHeadline: "At a common 6-year server life, AMZN AWS (5 years)
// would earn 40.77%, +363.6 bp over its reported 37.13%."
func serverLifeHeadline(rows []Adjusted) (Headline, bool) {
	var parts []Part
	for _, a := range rows {
		if math.IsNaN(a.LifeYears) || math.IsNaN(a.AdjustedMargin) || math.IsNaN(a.Margin) || a.LifeYears == a.CommonLife {
			continue
		}
		key := seriesName(a.Company, a.Segment) + " " + a.Quarter
		if len(parts) == 0 {
			parts = append(parts, Part{Text: fmt.Sprintf("At a common %g-year server life, ", a.CommonLife)})
		} else {
			parts = append(parts, Part{Text: "; "})
		}
		parts = append(parts,
			Part{Text: fmt.Sprintf("%s (%g years) would earn ", seriesName(a.Company, a.Segment), a.LifeYears)},
			Part{Text: pct(a.AdjustedMargin, 2), Href: "chart-adjusted", Source: "depreciation_adjusted.adjusted_operating_margin, " + key},
			Part{Text: ", "},
			Part{Text: signed(a.DifferenceBps, 1) + " bp", Href: "chart-adjusted", Source: "depreciation_adjusted.margin_difference_bps, " + key},
			Part{Text: " against its reported " + pct(a.Margin, 2)})
	}
	if len(parts) == 0 {
		return Headline{}, false
	}
	return Headline{Kind: "server_life", Parts: append(parts, Part{Text: "."})}, true
}
