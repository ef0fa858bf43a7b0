package transform

import (
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/marginmix/marginmix/fact"
)

// metricAliases maps normalised row labels to canonical metrics.
var metricAliases = map[string]string{
	"net sales": fact.Revenue, "sales": fact.Revenue, "revenue": fact.Revenue, "revenues": fact.Revenue,
	"net revenue": fact.Revenue, "net revenues": fact.Revenue, "total revenue": fact.Revenue,
	"total revenues": fact.Revenue, "total net sales": fact.Revenue, "total net revenue": fact.Revenue,
	"segment revenue": fact.Revenue, "segment revenues": fact.Revenue,
	"net sales and operating revenues": fact.Revenue, "sales and other operating revenue": fact.Revenue,
	"sales and other operating revenues": fact.Revenue,

	"cost of revenue": fact.CostOfRevenue, "cost of revenues": fact.CostOfRevenue,
	"cost of net revenue": fact.CostOfRevenue, "cost of net revenues": fact.CostOfRevenue,
	"cost of sales": fact.CostOfRevenue, "cost of goods sold": fact.CostOfRevenue,
	"cost of products sold": fact.CostOfRevenue,

	"gross profit": fact.GrossProfit, "gross margin": fact.GrossProfit, // see doubtOf

	"research and development": fact.ResearchAndDevelopment, "r and d": fact.ResearchAndDevelopment,
	"research and development expense":  fact.ResearchAndDevelopment,
	"research and development expenses": fact.ResearchAndDevelopment,
	"sales and marketing":               fact.SalesAndMarketing, "selling and marketing": fact.SalesAndMarketing,
	"sales and marketing expense": fact.SalesAndMarketing, "sales and marketing expenses": fact.SalesAndMarketing,
	"general and administrative": fact.GeneralAndAdministrative, "g and a": fact.GeneralAndAdministrative,
	"general and administrative expense":  fact.GeneralAndAdministrative,
	"general and administrative expenses": fact.GeneralAndAdministrative,
	"operating expenses":                  fact.OperatingExpenses, "operating expense": fact.OperatingExpenses,

	"net income": fact.NetIncome, "net earnings": fact.NetIncome, "net loss": fact.NetIncome,
	"net income loss": fact.NetIncome, "net earnings loss": fact.NetIncome,

	"operating loss":   fact.OperatingIncome,
	"operating income": fact.OperatingIncome, "operating profit": fact.OperatingIncome,
	"income from operations": fact.OperatingIncome, "operating income loss": fact.OperatingIncome,
	"segment operating income": fact.OperatingIncome, "total operating income": fact.OperatingIncome,
	"operating earnings": fact.OperatingIncome, "ebit": fact.OperatingIncome,

	"depreciation and amortization": fact.DepreciationAmortization, "d and a": fact.DepreciationAmortization,
	"depreciation": fact.DepreciationAmortization, "depreciation expense": fact.DepreciationAmortization,

	"capital expenditures": fact.Capex, "capex": fact.Capex, "capital expenditure": fact.Capex,
	"purchases of property and equipment":                                 fact.Capex,
	"capital expenditures including assets acquired under capital leases": fact.Capex,
	"capital expenditures including finance leases":                       fact.Capex,

	"ai revenue": fact.AIRevenue, "ai revenues": fact.AIRevenue, "total ai revenue": fact.AIRevenue,
	"ai revenue taas": fact.AIRevenueTaaS, "taas revenue": fact.AIRevenueTaaS, "taas": fact.AIRevenueTaaS,
	"token as a service revenue": fact.AIRevenueTaaS, "token as a service": fact.AIRevenueTaaS,
	"ai revenue iaas": fact.AIRevenueIaaS, "iaas revenue": fact.AIRevenueIaaS, "iaas": fact.AIRevenueIaaS,
	"gpu rental revenue": fact.AIRevenueIaaS, "gpu as a service": fact.AIRevenueIaaS,

	"capacity": fact.CapacityMW, "capacity mw": fact.CapacityMW, "data center capacity": fact.CapacityMW,
	"active power": fact.CapacityMW, "active power mw": fact.CapacityMW,
	"server useful life": fact.ServerUsefulLife, "useful life of servers": fact.ServerUsefulLife,
	"server useful life years": fact.ServerUsefulLife, "server life": fact.ServerUsefulLife,
	"tax rate": fact.TaxRate, "effective tax rate": fact.TaxRate, "cash tax rate": fact.TaxRate,
	"invested capital":           fact.InvestedCapital,
	"token share custom silicon": fact.TokenShareCustomSilicon,
	"custom silicon token share": fact.TokenShareCustomSilicon,
}

func init() {
	// Every canonical name is its own alias ("ai_revenue_taas").
	for _, m := range fact.Metrics {
		metricAliases[NormKey(m.Name)] = m.Name
	}
}

// segmentAliases maps normalised labels to canonical segments.
var segmentAliases = map[string]string{
	"aws": "AWS", "amazon web services": "AWS", "amazon web services aws": "AWS",
	"north america": "North America", "international": "International",
	"total": fact.TotalSegment, "consolidated": fact.TotalSegment, "total consolidated": fact.TotalSegment,
	"company total": fact.TotalSegment, "total company": fact.TotalSegment, "group": fact.TotalSegment,
	"productivity and business processes": "Productivity and Business Processes",
	"intelligent cloud":                   "Intelligent Cloud", "more personal computing": "More Personal Computing",
	"google services": "Google Services", "google cloud": "Google Cloud", "other bets": "Other Bets",
	"alphabet level activities": "Alphabet-level activities",
	"oci":                       "OCI", "oracle cloud infrastructure": "OCI", "oracle cloud infrastructure oci": "OCI",
	"cloud and license": "Cloud and License", "hardware": "Hardware", "services": "Services",
	"corporate": "Corporate", "corporate and other": "Corporate", "unallocated": "Corporate",
}

var (
	reParen   = regexp.MustCompile(`\((loss|losses|in [a-z ]+|unaudited|[a-z]{1,2}|\d{1,2}|(?:exclusive of|net of) [^()]*)\)`)
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

// cleanLabelNow is a row label as a display name: trimmed, single-spaced, with
// trailing colons and footnote markers removed.
func cleanLabelNow(s string) string {
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
	if m, ok := d.word(k); ok {
		return m, true
	}
	if v := vocabKey(k); v != "" {
		return d.word(v)
	}
	if netAttributable(k) {
		return fact.NetIncome, true
	}
	return "", false
}

// lineMetric is the metric a row's label (a NormKey) names, as a line of
// its own ("Revenue") or as a total ("Total revenue").
func (d Dict) lineMetric(k string) (string, bool) {
	if m, ok := d.metricKey(k); ok {
		return m, true
	}
	return d.totalOfKey(k)
}

// word looks a NormKey up in the spec's metrics, then the built-in ones.
func (d Dict) word(k string) (string, bool) {
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

// xbrlAxes are the member paths' parts that name an axis or its default, not
// a member: EDGAR writes a segment's row as "Desktop | Operating Segments" or
// "Operating Segments [Member] | Beer [Member]".
var xbrlAxes = map[string]bool{
	"operating segments": true, "operating segment": true, "reportable segments": true,
	"reportable segment": true, "business segments": true, "business segment": true,
	"segments": true, "segment": true, "operating segments and corporate non segment": true,
}

// aggregateKey reports whether a heading (a NormKey) names a sum of
// segments rather than one: the axis alone ("Operating segments") or the
// items that reconcile the segments to the company.
func aggregateKey(k string) bool {
	return xbrlAxes[k] || k == "segment reconciling items" || k == "reconciling items"
}

// rePretax matches a pre-tax income line (as a NormKey). Under a segment's
// heading, on a sheet whose title names the segments' operating profit, it
// is that profit: a company measures its segments as it chooses (ASC 280)
// and tags the measure as it likes, but the title says what it is.
var rePretax = regexp.MustCompile(`^(income|earnings|profit)( loss)?( from continuing operations)? before (income )?tax`)

// reSegmentProfit matches a statement title (a NormKey) that names the
// segments' operating profit.
var reSegmentProfit = regexp.MustCompile(`\b(operating (profit|income)|segment (profit|operating))\b`)

// xbrlMember reads an EDGAR member path as the member it names: the parts
// between " | " without their "[Member]" and without the parts that only
// name the axis. A path of several members keeps them all ("Americas |
// iPhone"); a label that is no member path is returned as it is.
func xbrlMember(label string) string {
	if !strings.Contains(label, " | ") && !strings.Contains(strings.ToLower(label), "[member]") {
		return label
	}
	var keep []string
	for _, part := range strings.Split(label, " | ") {
		part = strings.TrimSpace(reMember.ReplaceAllString(part, ""))
		if part != "" && !xbrlAxes[NormKey(part)] {
			keep = append(keep, part)
		}
	}
	if len(keep) == 0 {
		return label
	}
	return strings.Join(keep, " | ")
}

var reMember = regexp.MustCompile(`(?i)\s*\[(member|domain)\]`)

// doubt is what a row's label leaves open about its values.
type doubt int

const (
	noDoubt      doubt = iota
	ratioOrLevel       // a fraction may be a ratio
	lossLine           // a positive value has no sign to tell
)

// doubtOf classifies a row's label once, for all its values: a "Gross
// margin" row is the gross profit in most statements but a ratio in many
// analysts' sheets, and a "loss" row may show a loss as a negative number or,
// with the label saying loss, as a positive one.
func doubtOf(label string) doubt {
	switch NormKey(xbrlMember(label)) {
	case "gross margin", "total gross margin":
		return ratioOrLevel
	case "operating loss", "net loss":
		return lossLine
	}
	return noDoubt
}

// why says why a value under a label of this doubt would be a guess, or ""
// when it is not.
func (d doubt) why(v float64) string {
	switch {
	case d == ratioOrLevel && v != 0 && math.Abs(v) < 1:
		return "a fraction, which reads as a ratio,"
	case d == lossLine && v > 0:
		return "a positive value, whose sign as a loss cannot be told,"
	}
	return ""
}
