package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fake answers the report's queries with fixed rows, as the query layer
// returns them (float64, int64, json.Number, string, nil).
func fake(ctx context.Context, q string) ([]map[string]any, error) {
	switch name := strings.SplitN(q, "\n", 2)[0]; name {
	case "-- report: companies":
		return []map[string]any{
			{"company": "AMZN", "first_quarter": "2024Q1", "last_quarter": "2026Q1"},
			{"company": "GOOGL", "first_quarter": "2024Q1", "last_quarter": "2026Q1"},
			{"company": "MSFT", "first_quarter": "2024Q2", "last_quarter": "2026Q1"},
		}, nil
	case "-- report: peers":
		return []map[string]any{
			{"company": "AMZN", "segment": "AWS", "trend": "rising", "slope_bps": 130.92, "window_quarters": int64(4)},
			{"company": "MSFT", "segment": "Intelligent Cloud", "trend": "declining", "slope_bps": -42.66, "window_quarters": int64(4)},
		}, nil
	case "-- report: summary":
		return []map[string]any{
			{"company": "AMZN", "segment": "AWS", "operating_margin": 14035.0 / 37800, "margin_qoq_bps": 212.86459,
				"margin_yoy_bps": -236.878155, "taas_share": 0.37, "trend": "rising", "slope_bps": 130.92, "findings": int64(0)},
			{"company": "GOOGL", "segment": "Other Bets", "operating_margin": nil,
				"margin_note": "n/m: operating income exceeds revenue in size (a margin outside -100%..100%)", "margin_qoq_bps": nil,
				"margin_yoy_bps": nil, "taas_share": nil, "trend": nil, "slope_bps": nil, "findings": int64(9)},
		}, nil
	case "-- report: margins":
		var rows []map[string]any
		for i, q := range []string{"2025Q3", "2025Q4", "2026Q1"} {
			rows = append(rows,
				map[string]any{"company": "AMZN", "segment": "AWS", "calendar_quarter": q, "operating_margin": 0.34 + float64(i)/100},
				map[string]any{"company": "MSFT", "segment": "Intelligent Cloud", "calendar_quarter": q, "operating_margin": 0.41 - float64(i)/200})
		}
		return rows, nil
	case "-- report: ai mix":
		return []map[string]any{
			{"company": "AMZN", "segment": "AWS", "unit": "USD", "calendar_quarter": "2025Q4", "taas": 928e6, "iaas": 3472e6, "taas_share": 0.2109,
				"taas_share_qoq_pp": 5.97, "taas_share_yoy_pp": nil, "taas_run_rate": 3712e6},
			{"company": "AMZN", "segment": "AWS", "unit": "USD", "calendar_quarter": "2026Q1", "taas": 1375e6, "iaas": 2341e6, "taas_share": 0.37,
				"taas_share_qoq_pp": 15.9098, "taas_share_yoy_pp": 28.0, "taas_run_rate": 5500e6},
		}, nil
	case "-- report: margin bridge":
		return []map[string]any{
			{"company": "AMZN", "segment": "AWS", "row_kind": "line", "line": "TaaS", "calendar_quarter": "2026Q1", "prev_quarter": "2025Q4",
				"share": 0.0364, "prev_share": 0.0261, "margin": 0.8, "prev_margin": 0.7996, "mix_effect_bps": 82.3, "rate_effect_bps": 0.16},
			{"company": "AMZN", "segment": "AWS", "row_kind": "total", "line": nil, "calendar_quarter": "2026Q1", "prev_quarter": "2025Q4",
				"share": 1.0, "prev_share": 1.0, "margin": 0.371296, "prev_margin": 0.350010, "mix_effect_bps": 216.01,
				"rate_effect_bps": -3.15, "total_change_bps": 212.86, "unexplained_bps": 0.0},
		}, nil
	case "-- report: depreciation adjusted":
		return []map[string]any{
			{"company": "AMZN", "segment": "AWS", "calendar_quarter": "2026Q1", "server_useful_life_years": 5.0, "common_server_life_years": json.Number("6"),
				"operating_margin": 0.371296, "adjusted_operating_margin": 0.407659, "margin_difference_bps": 363.62},
		}, nil
	case "-- report: data quality":
		return []map[string]any{
			{"check_name": "margin_out_of_range", "company": "GOOGL", "segment": "Other Bets", "metric": "operating_margin", "calendar_quarter": "2026Q1",
				"first_quarter": "2024Q1", "occurrences": int64(9),
				"value": -3.4146, "expected": nil, "difference": nil, "cells": "g.xlsx:S!J16; g.xlsx:S!J9", "detail": "margin <b>outside</b> -100%..100%"},
		}, nil
	}
	return nil, fmt.Errorf("unexpected query %q", q)
}

func loadFake(t *testing.T) *Data {
	t.Helper()
	d, err := Load(context.Background(), fake, Source{Out: "out", RunID: "r1", Published: time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)}, Focus{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, loadFake(t)); err != nil {
		t.Fatal(err)
	}
	want := `Latest quarter 2026Q1 (publication r1 in out)

What moved:
- AMZN AWS's operating margin rose 212.9 bp Q/Q to 37.13% (from 35.00%); +216.0 bp from the mix of revenue between its lines (TaaS +82.3 bp) and -3.1 bp from the lines' own margins.
- TaaS was 37.00% of AMZN AWS's AI revenue in 2026Q1, +15.91 pp Q/Q and +28.00 pp Y/Y; a TaaS run rate of 5.50 bn USD.
- Of 2 cloud segments with a 4-quarter margin trend, AMZN AWS is the only one rising (+130.9 bp/q); declining: MSFT Intelligent Cloud (-42.7 bp/q).
- At a common 6-year server life, AMZN AWS (5 years) would earn 40.77%, +363.6 bp against its reported 37.13%.

company  segment     margin  Q/Q bp  Y/Y bp  TaaS share  trend               findings
AMZN     AWS         37.13%  +212.9  -236.9      37.00%  rising +130.9 bp/q         0
GOOGL    Other Bets     n/m       -       -           -  -                          9

margin = operating_margin (segment_margins); TaaS share = taas_share (ai_mix); trend = peer_trends slope over its window.
Data quality: 1 finding (1 margin_out_of_range); query data_quality for the cells.
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteHTMLIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, loadFake(t)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	// Nothing that fetches: no script, no src or href, no CSS url() or
	// @import. (The SVG's xmlns names a namespace; it is not fetched.)
	for _, bad := range []string{"<script", "src=", "url(", "@import", "<img", "<link", "<iframe"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	// Links go only to places on the page: the headline's figures to their
	// rows and charts.
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		targets[m[1]] = true
	}
	hrefs := regexp.MustCompile(`(?i)href="([^"]*)"`).FindAllStringSubmatch(page, -1)
	for _, h := range hrefs {
		if !strings.HasPrefix(h[1], "#") || !targets[h[1][1:]] {
			t.Errorf("link %q leaves the page or has no target", h[1])
		}
	}
	if len(hrefs) < 10 {
		t.Errorf("%d links, want the headline's figures linked", len(hrefs))
	}
	if strings.Contains(page, "<?xml") || !strings.HasPrefix(page, "<!DOCTYPE html>") {
		t.Error("page is not plain HTML5 with inline SVG")
	}
	figs := regexp.MustCompile(`(?s)<figure class="chart" id="(chart-[a-z0-9-]+)">\s*<svg.*?</svg>`).FindAllStringSubmatch(page, -1)
	var ids []string
	for _, f := range figs {
		ids = append(ids, f[1])
		if n := strings.Count(f[0], "<path"); n < 5 {
			t.Errorf("%s: %d paths drawn", f[1], n)
		}
	}
	if strings.Join(ids, " ") != "chart-margins chart-mix-amzn-aws chart-bridge-amzn-aws chart-adjusted" {
		t.Errorf("charts %v", ids)
	}
	// Data is escaped; the bridge's labels and the legend are in the SVG.
	for _, want := range []string{
		"margin &lt;b&gt;outside&lt;/b&gt; -100%..100%",
		"g.xlsx:S!J16<br>g.xlsx:S!J9<br>",
		">+216.0 bp</text>", ">-3.1 bp</text>", ">35.00%</text>", ">37.13%</text>",
		">AMZN AWS</text>", ">MSFT Intelligent Cloud</text>", ">37%</text>", ">+364 bp</text>",
		"<td class=\"n\" data-label=\"operating margin\" title=\"n/m: operating income exceeds revenue in size (a margin outside -100%..100%)\">n/m</td>",
		`<a href="#row-amzn-aws" title="segment_margins.margin_qoq_bps, AMZN AWS 2026Q1">212.9 bp</a>`,
		`<a href="#bridge-amzn-aws" title="margin_bridge.mix_effect_bps, TaaS, AMZN AWS 2026Q1">&#43;82.3</a>`,
		`<td data-label="quarter">2024Q1 to 2026Q1 (9)</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestLoadError(t *testing.T) {
	failing := func(ctx context.Context, q string) ([]map[string]any, error) {
		if strings.HasPrefix(q, "-- report: ai mix\n") {
			return nil, errors.New("Catalog Error: Table with name ai_mix does not exist")
		}
		return fake(ctx, q)
	}
	_, err := Load(context.Background(), failing, Source{}, Focus{})
	if err == nil || err.Error() != "report ai mix: Catalog Error: Table with name ai_mix does not exist" {
		t.Fatalf("err = %v", err)
	}
}
