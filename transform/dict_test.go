package transform

import (
	"regexp"
	"strings"
	"testing"
)

// normKeyRegexp is NormKey as it was written before its fast paths: every
// regular expression on every label. NormKey must agree with it.
func normKeyRegexp(s string) string {
	s = strings.ToLower(reDashes.Replace(s))
	s = strings.ReplaceAll(s, "&", " and ")
	s = strings.TrimRight(s, "*†‡¹²³⁴⁵⁶⁷⁸⁹⁰ ")
	s = reGluedNote.ReplaceAllString(s, "$1")
	s = reParen.ReplaceAllString(s, " ")
	s = regexp.MustCompile(`[^a-z0-9%]+`).ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

var normKeySeeds = []string{
	"Operating income (loss):", "Net sales", "AWS", "Total net sales", "Group2", "Vodacom4,5",
	"Capital additions2", "Revenue (in millions)", "Europe – other", "R&D", "  Cloud  &  AI  ",
	"Gross margin %", "Revenue\u00a0(a)", "Services¹", "Opérations", "a  b", "a b", " a", "a ",
	"x\xffy", "(1)", "Revenue (unaudited)", "OCI (Oracle Cloud Infrastructure)", "",
}

func TestNormKeyAsRegexp(t *testing.T) {
	for _, s := range normKeySeeds {
		if got, want := NormKey(s), normKeyRegexp(s); got != want {
			t.Errorf("NormKey(%q) = %q, want %q", s, got, want)
		}
	}
	for label, want := range map[string]string{
		"Operating income (loss):": "operating income",
		"Cost of sales (exclusive of depreciation shown separately below)": "cost of sales",
		"Revenues (net of allowances)":                                     "revenues",
		"Operating income (excluding special items)":                       "operating income excluding special items",
		"Revenue (note 3)":                                                 "revenue note 3",
	} {
		if got := NormKey(label); got != want {
			t.Errorf("NormKey(%q) = %q, want %q", label, got, want)
		}
		// An adjusted measure is not the reported line.
		adjusted := label == "Revenue (note 3)" || label == "Operating income (excluding special items)"
		if m, ok := (Dict{}).Metric(label); ok == adjusted {
			t.Errorf("Metric(%q) = %q, %v", label, m, ok)
		}
	}
}

func FuzzNormKey(f *testing.F) {
	for _, s := range normKeySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := NormKey(s), normKeyRegexp(s); got != want {
			t.Fatalf("NormKey(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestXBRLMember(t *testing.T) {
	for label, want := range map[string]string{
		"Desktop | Operating Segments":                "Desktop",
		"Operating Segments [Member] | Beer [Member]": "Beer",
		"Operating segments | Silicon Valley Bank":    "Silicon Valley Bank",
		"Client Computing Group | Operating Segments": "Client Computing Group",
		"Americas | iPhone":                           "Americas | iPhone",
		"Oilfield Services [Member]":                  "Oilfield Services",
		"Operating Segments":                          "Operating Segments",
		"Operating Segments | Reportable Segments":    "Operating Segments | Reportable Segments",
		"Net sales": "Net sales",
		"Data Center and AI Group [Member] | Segment [Member]": "Data Center and AI Group",
	} {
		if got := xbrlMember(label); got != want {
			t.Errorf("xbrlMember(%q) = %q, want %q", label, got, want)
		}
	}
}
