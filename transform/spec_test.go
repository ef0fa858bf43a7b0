package transform

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/marginmix/marginmix/fact"
)

func TestParseSpec(t *testing.T) {
	s, err := ParseSpec("msft.yaml", strings.NewReader(`
company: MSFT
fiscal_year_end: June
files: ["msft_*.xlsx", "ir/msft/*.xlsx"]
scale: millions
metrics:
  Azure and other cloud services: revenue
segments:
  Microsoft Cloud: Intelligent Cloud
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Calendar() != (Calendar{FYEndMonth: time.June}) || s.Layout != "auto" || s.SourceKind != "reported" ||
		s.Currency != "USD" || s.scale != 1e6 || s.QuarterLabels != "fiscal" {
		t.Errorf("defaults: %+v", s)
	}
	for _, tc := range []struct {
		rel  string
		want bool
	}{{"msft_fy26q3.xlsx", true}, {"archive/msft_fy26q3.xlsx", true}, {"ir/msft/q3.xlsx", true}, {"ir/amzn/q3.xlsx", false}, {"amzn.xlsx", false}} {
		if got := s.Matches(tc.rel); got != tc.want {
			t.Errorf("Matches(%q) = %v, want %v", tc.rel, got, tc.want)
		}
	}
	if m, ok := s.dict.Metric("Azure and other cloud services:"); !ok || m != fact.Revenue {
		t.Errorf("spec metric alias: %q %v", m, ok)
	}
	if g, ok := s.dict.Segment("  Microsoft Cloud"); !ok || g != "Intelligent Cloud" {
		t.Errorf("spec segment alias: %q %v", g, ok)
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"no files", `company: AMZN`, "spec s.yaml: files: required: at least one file glob"},
		{"bad glob", "company: A\nfiles: [\"[\"]", `spec s.yaml: files: bad glob "["`},
		{"typo", "company: A\nfiscal_yaer_end: June\nfiles: [\"*\"]", `spec s.yaml: line 2: unknown field "fiscal_yaer_end" (did you mean fiscal_year_end?)`},
		{"unknown", "company: A\nfiles: [\"*\"]\nnonsense_here: 1", `spec s.yaml: line 3: unknown field "nonsense_here"`},
		{"bad year naming", "company: A\nfiles: [\"*\"]\nfiscal_year_named: start", `spec s.yaml: fiscal_year_named: "start" is not end or most`},
		{"bad prefer glob", "company: A\nfiles: [\"*\"]\nprefer_sheets: [\"[\"]", `spec s.yaml: prefer_sheets: bad glob "["`},
		{"bad month", "company: A\nfiles: [a]\nfiscal_year_end: Smarch", `spec s.yaml: fiscal_year_end: "smarch" is not a month`},
		{"month range", "company: A\nfiles: [a]\nfiscal_year_end: 13", `spec s.yaml: fiscal_year_end: month 13 out of range 1..12`},
		{"layout", "company: A\nfiles: [a]\nlayout: diagonal", `spec s.yaml: layout: "diagonal" is not auto, wide or long`},
		{"labels", "company: A\nfiles: [a]\nquarter_labels: lunar", `spec s.yaml: quarter_labels: "lunar" is not fiscal or calendar`},
		{"currency", "company: A\nfiles: [a]\ncurrency: dollars", `spec s.yaml: currency: "dollars" is not an ISO 4217 code such as USD`},
		{"scale", "company: A\nfiles: [a]\nscale: lakhs", `spec s.yaml: scale: "lakhs" is not units, thousands, millions or billions`},
		{"kind", "company: A\nfiles: [a]\nsource_kind: rumour", `spec s.yaml: source_kind: "rumour" is not reported or estimate`},
		{"as_of", "company: A\nfiles: [a]\nas_of: 30/04/2026", `spec s.yaml: as_of: "30/04/2026" is not a date YYYY-MM-DD`},
		{"metric", "company: A\nfiles: [a]\nmetrics: {Sales: turnover}", `spec s.yaml: metrics: "Sales" maps to "turnover", which is not a canonical metric`},
		{"unknown field", "company: A\nfiles: [a]\nfiscal_year_ends: June", `spec s.yaml: line 3: unknown field "fiscal_year_ends" (did you mean fiscal_year_end?)`},
		{"empty", "", "spec s.yaml: empty spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec("s.yaml", strings.NewReader(tc.yaml))
			var se *SpecError
			if !errors.As(err, &se) || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestDict(t *testing.T) {
	var d Dict
	for _, tc := range []struct {
		label, metric string
	}{
		{"Net sales:", fact.Revenue}, {"Total revenues", fact.Revenue}, {"Revenue", fact.Revenue},
		{"Operating income (loss):", fact.OperatingIncome}, {"Income from operations", fact.OperatingIncome},
		{"Depreciation & amortization", fact.DepreciationAmortization}, {"D&A", fact.DepreciationAmortization},
		{"Capacity (MW)", fact.CapacityMW}, {"Server useful life (years)", fact.ServerUsefulLife},
		{"ai_revenue_taas", fact.AIRevenueTaaS}, {"Operating income¹", fact.OperatingIncome},
	} {
		if m, ok := d.Metric(tc.label); !ok || m != tc.metric {
			t.Errorf("Metric(%q) = %q, %v; want %q", tc.label, m, ok, tc.metric)
		}
	}
	for _, tc := range []struct{ label, seg string }{
		{"  AWS", "AWS"}, {"Amazon Web Services", "AWS"}, {"Consolidated", fact.TotalSegment}, {"Total", fact.TotalSegment},
		{"Alphabet-level activities", "Alphabet-level activities"}, {"Cloud & license", "Cloud and License"},
		{"Oracle Cloud Infrastructure (OCI)", "OCI"},
	} {
		if s, ok := d.Segment(tc.label); !ok || s != tc.seg {
			t.Errorf("Segment(%q) = %q, %v; want %q", tc.label, s, ok, tc.seg)
		}
	}
	if m, ok := d.TotalOf("Total net sales"); !ok || m != fact.Revenue {
		t.Errorf("TotalOf = %q %v", m, ok)
	}
	for _, l := range []string{"Operating margin", "Year-over-year Percentage Growth:", "Adjusted operating income"} {
		if m, ok := d.Metric(l); ok {
			t.Errorf("Metric(%q) = %q, want none", l, m)
		}
	}
}

// The company becomes a partition folder: it must be a ticker.
func TestSpecRejectsHostileCompany(t *testing.T) {
	for _, bad := range []string{"a/b", "../x", "X Y", strings.Repeat("A", 33)} {
		s := &Spec{Company: bad, Files: []string{"*"}, Name: "s.yaml"}
		if err := s.Validate(); err == nil {
			t.Errorf("company %q accepted", bad)
		}
	}
}
