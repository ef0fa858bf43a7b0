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
//
// It runs for every row label, several times a row before it was shared, so
// each regular expression runs only when its text can match, and the last,
// [^a-z0-9%]+ to a space, is a loop that leaves most labels uncopied.
func NormKey(s string) string {
	s = strings.ToLower(replaceDashes(s))
	s = strings.ReplaceAll(s, "&", " and ")
	s = strings.TrimRight(s, "*†‡¹²³⁴⁵⁶⁷⁸⁹⁰ ")
	if n := len(s); n > 0 && '0' <= s[n-1] && s[n-1] <= '9' {
		s = reGluedNote.ReplaceAllString(s, "$1")
	}
	if strings.IndexByte(s, '(') >= 0 {
		s = reParen.ReplaceAllString(s, " ")
	}
	return strings.TrimSpace(spaceNonWord(s))
}

// spaceNonWord replaces each run of characters other than a-z, 0-9 and %
// with one space, as reNonWord does; a run is all bytes outside that ASCII
// set, whatever the encoding.
func spaceNonWord(s string) string {
	word := func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '%' }
	i := 0
	for ; i < len(s); i++ {
		if !word(s[i]) && (s[i] != ' ' || i+1 < len(s) && !word(s[i+1])) {
			break // a run that is not already a single space
		}
	}
	if i == len(s) {
		return s
	}
	b := append(make([]byte, 0, len(s)), s[:i]...)
	run := false
	for ; i < len(s); i++ {
		if word(s[i]) {
			b, run = append(b, s[i]), false
		} else if !run {
			b, run = append(b, ' '), true
		}
	}
	return string(b)
}

// replaceDashes applies reDashes, whose patterns are all non-ASCII, to text
// that has a non-ASCII byte: the replacer copies every string it is given.
func replaceDashes(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return reDashes.Replace(s)
		}
	}
	return s
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
	s = strings.TrimSpace(reSpaces.ReplaceAllString(replaceDashes(s), " "))
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
func (d Dict) Metric(label string) (string, bool) { return d.metricKey(NormKey(label)) }

// Segment returns the canonical segment a label names.
func (d Dict) Segment(label string) (string, bool) { return d.segmentKey(NormKey(label)) }

// TotalOf recognises "Total net sales"-style rows: the metric a total row
// names, if any.
func (d Dict) TotalOf(label string) (string, bool) { return d.totalOfKey(NormKey(label)) }

// metricKey, segmentKey and totalOfKey take NormKey(label), for callers
// that look one label up several ways.
func (d Dict) metricKey(k string) (string, bool) {
	if m, ok := d.Metrics[k]; ok {
		return m, true
	}
	m, ok := metricAliases[k]
	return m, ok
}

func (d Dict) segmentKey(k string) (string, bool) {
	if s, ok := d.Segments[k]; ok {
		return s, true
	}
	s, ok := segmentAliases[k]
	return s, ok
}

func (d Dict) totalOfKey(k string) (string, bool) {
	for _, p := range []string{"total ", "consolidated "} {
		if strings.HasPrefix(k, p) {
			return d.Metric(strings.TrimPrefix(k, p))
		}
	}
	return "", false
}
