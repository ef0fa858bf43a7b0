package transform

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Canonical metrics (design.md, "Metric dictionary").
const (
	Revenue                  = "revenue"
	OperatingIncome          = "operating_income"
	DepreciationAmortization = "depreciation_amortization"
	Capex                    = "capex"
	AIRevenue                = "ai_revenue"
	AIRevenueTaaS            = "ai_revenue_taas"
	AIRevenueIaaS            = "ai_revenue_iaas"
	CapacityMW               = "capacity_mw"
	ServerUsefulLife         = "server_useful_life_years"
	TaxRate                  = "tax_rate"
	InvestedCapital          = "invested_capital"
	TokenShareCustomSilicon  = "token_share_custom_silicon"
)

// TotalSegment is the canonical segment of company-level rows.
const TotalSegment = "Total"

// UnitKind is the kind of unit a metric is measured in.
type UnitKind int

const (
	Money UnitKind = iota // scaled by the sheet's scale; unit is the currency
	MW
	Years
	Ratio
	Tokens
)

// metricUnits gives each canonical metric its unit kind. A metric missing
// here is money.
var metricUnits = map[string]UnitKind{
	CapacityMW:              MW,
	ServerUsefulLife:        Years,
	TaxRate:                 Ratio,
	TokenShareCustomSilicon: Ratio,
}

// MetricUnit returns the unit kind of a canonical metric.
func MetricUnit(metric string) UnitKind { return metricUnits[metric] }

// IsMetric reports whether m is a canonical metric name.
func IsMetric(m string) bool {
	for _, v := range metricAliases {
		if v == m {
			return true
		}
	}
	return false
}

// metricAliases maps normalised row labels to canonical metrics.
var metricAliases = map[string]string{
	"net sales": Revenue, "sales": Revenue, "revenue": Revenue, "revenues": Revenue,
	"net revenue": Revenue, "net revenues": Revenue, "total revenue": Revenue,
	"total revenues": Revenue, "total net sales": Revenue, "total net revenue": Revenue,
	"segment revenue": Revenue, "segment revenues": Revenue,

	"operating income": OperatingIncome, "operating profit": OperatingIncome,
	"income from operations": OperatingIncome, "operating income loss": OperatingIncome,
	"segment operating income": OperatingIncome, "total operating income": OperatingIncome,
	"operating earnings": OperatingIncome, "ebit": OperatingIncome,

	"depreciation and amortization": DepreciationAmortization, "d and a": DepreciationAmortization,
	"depreciation": DepreciationAmortization, "depreciation expense": DepreciationAmortization,

	"capital expenditures": Capex, "capex": Capex, "capital expenditure": Capex,
	"purchases of property and equipment": Capex,

	"ai revenue": AIRevenue, "ai revenues": AIRevenue, "total ai revenue": AIRevenue,
	"ai revenue taas": AIRevenueTaaS, "taas revenue": AIRevenueTaaS, "taas": AIRevenueTaaS,
	"token as a service revenue": AIRevenueTaaS, "token as a service": AIRevenueTaaS,
	"ai revenue iaas": AIRevenueIaaS, "iaas revenue": AIRevenueIaaS, "iaas": AIRevenueIaaS,
	"gpu rental revenue": AIRevenueIaaS, "gpu as a service": AIRevenueIaaS,

	"capacity": CapacityMW, "capacity mw": CapacityMW, "data center capacity": CapacityMW,
	"active power": CapacityMW, "active power mw": CapacityMW,
	"server useful life": ServerUsefulLife, "useful life of servers": ServerUsefulLife,
	"server useful life years": ServerUsefulLife, "server life": ServerUsefulLife,
	"tax rate": TaxRate, "effective tax rate": TaxRate, "cash tax rate": TaxRate,
	"invested capital":           InvestedCapital,
	"token share custom silicon": TokenShareCustomSilicon,
	"custom silicon token share": TokenShareCustomSilicon,
}

func init() {
	// Every canonical name is its own alias ("ai_revenue_taas").
	for _, m := range []string{Revenue, OperatingIncome, DepreciationAmortization, Capex, AIRevenue,
		AIRevenueTaaS, AIRevenueIaaS, CapacityMW, ServerUsefulLife, TaxRate, InvestedCapital,
		TokenShareCustomSilicon} {
		metricAliases[NormKey(m)] = m
	}
}

// segmentAliases maps normalised labels to canonical segments.
var segmentAliases = map[string]string{
	"aws": "AWS", "amazon web services": "AWS", "amazon web services aws": "AWS",
	"north america": "North America", "international": "International",
	"total": TotalSegment, "consolidated": TotalSegment, "total consolidated": TotalSegment,
	"company total": TotalSegment, "total company": TotalSegment, "group": TotalSegment,
	"productivity and business processes": "Productivity and Business Processes",
	"intelligent cloud":                   "Intelligent Cloud", "more personal computing": "More Personal Computing",
	"google services": "Google Services", "google cloud": "Google Cloud", "other bets": "Other Bets",
	"alphabet level activities": "Alphabet-level activities",
	"oci":                       "OCI", "oracle cloud infrastructure": "OCI", "oracle cloud infrastructure oci": "OCI",
	"cloud and license": "Cloud and License", "hardware": "Hardware", "services": "Services",
	"corporate": "Corporate", "corporate and other": "Corporate", "unallocated": "Corporate",
}

var (
	reParen   = regexp.MustCompile(`\((loss|losses|in [a-z ]+|unaudited|[a-z]{1,2}|\d{1,2})\)`)
	reNonWord = regexp.MustCompile(`[^a-z0-9%]+`)
	// A footnote number printed against the word it annotates: "Group2",
	// "Vodacom4,5", "Capital additions2".
	reGluedNote = regexp.MustCompile(`([A-Za-z])\d{1,2}(,\d{1,2})*$`)
)

// NormKey folds a row label to the form the dictionaries use: lower case,
// "&" as "and", "(loss)", units in parentheses and footnote markers dropped,
// punctuation as single spaces. "Operating income (loss):" -> "operating income".
func NormKey(s string) string {
	s = strings.ToLower(reDashes.Replace(s))
	s = strings.ReplaceAll(s, "&", " and ")
	s = strings.TrimRight(s, "*†‡¹²³⁴⁵⁶⁷⁸⁹⁰ ")
	s = reGluedNote.ReplaceAllString(s, "$1")
	s = reParen.ReplaceAllString(s, " ")
	s = reNonWord.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// maxLabelBytes bounds a label kept as a segment name.
const maxLabelBytes = 200

// cleanLabel is a row label as a display name: trimmed, single-spaced, with
// trailing colons and footnote markers removed.
func cleanLabel(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxLabelBytes {
		s = s[:maxLabelBytes]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	s = strings.TrimSpace(reSpaces.ReplaceAllString(reDashes.Replace(s), " "))
	s = strings.TrimRight(s, ":*†‡¹²³⁴⁵⁶⁷⁸⁹⁰ ")
	s = strings.TrimSpace(reFoot.ReplaceAllString(s, ""))
	return strings.TrimRight(reGluedNote.ReplaceAllString(s, "$1"), ": ")
}

// Dict resolves labels to canonical metrics and segments: a spec's own
// aliases first, then the built-in dictionaries.
type Dict struct {
	Metrics  map[string]string // NormKey(label) -> metric
	Segments map[string]string // NormKey(label) -> segment
}

// Metric returns the canonical metric a label names.
func (d Dict) Metric(label string) (string, bool) {
	k := NormKey(label)
	if m, ok := d.Metrics[k]; ok {
		return m, true
	}
	m, ok := metricAliases[k]
	return m, ok
}

// Segment returns the canonical segment a label names.
func (d Dict) Segment(label string) (string, bool) {
	k := NormKey(label)
	if s, ok := d.Segments[k]; ok {
		return s, true
	}
	s, ok := segmentAliases[k]
	return s, ok
}

// TotalOf recognises "Total net sales"-style rows: the metric a total row
// names, if any.
func (d Dict) TotalOf(label string) (string, bool) {
	k := NormKey(label)
	for _, p := range []string{"total ", "consolidated "} {
		if strings.HasPrefix(k, p) {
			return d.Metric(strings.TrimPrefix(k, p))
		}
	}
	return "", false
}
