package transform

import (
	"regexp"
	"strings"
)

// The accounting vocabulary: a label that the dictionary does not hold
// word for word is read by its meaning. vocabKey rewrites a label's
// NormKey to the dictionary's wording, rule by rule, each a fact of how
// filings word a line rather than one filing's label:
//
//   - plural and singular, "costs of" and "cost of": "Costs of revenues";
//   - merchandise and products are goods: "Cost of merchandise sold";
//   - depletion is part of depreciation: "Depreciation, depletion and
//     amortization";
//   - revenue qualified by whom it comes from: "External sales",
//     "Revenues from external customers", "Sales to unaffiliated
//     customers", "Gross revenue";
//   - a lender's revenue is its interest and fee income: "Interest and fee
//     income on finance receivables";
//   - "Operating income before income taxes" is operating income;
//   - what the line includes: "Cost of goods sold, including warehousing
//     and occupancy costs" (never "excluding ...": an adjusted measure is
//     not the reported line);
//   - "Net income attributable to <the registrant>" is net income (where
//     it is the only net income line: see netAttributable).
//
// The dictionary itself is metricAliases (dict.go) and a spec's metrics.
var vocabRules = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^costs of `), "cost of "},
	{regexp.MustCompile(`^cost of (merchandise|products|product) sold\b`), "cost of goods sold"},
	{regexp.MustCompile(`^depreciation depletion and amortization\b`), "depreciation and amortization"},
	{regexp.MustCompile(`^depreciation and depletion\b`), "depreciation"},
	{regexp.MustCompile(`^(external|gross|third party) (net )?(sales|revenues?)$`), "revenue"},
	{regexp.MustCompile(`^(net )?(sales|revenues?) (from|to) (external|unaffiliated|third party) customers$`), "revenue"},
	{regexp.MustCompile(`^interest and fee income( on (finance receivables|loans|loans and leases))?$`), "revenue"},
	{regexp.MustCompile(`^(operating (income|earnings|profit)( loss)?) before (income )?taxes$`), "${1}"},
	{regexp.MustCompile(` (including|inclusive of) .*$`), ""},
}

// vocabKeyNow is a label's NormKey in the dictionary's wording; "" when no
// rule applies.
func vocabKeyNow(k string) string {
	out := k
	for _, r := range vocabRules {
		out = r.re.ReplaceAllString(out, r.repl)
	}
	out = strings.TrimSpace(out)
	if out == k {
		return ""
	}
	return out
}

// reAttributable matches a net income line attributed to someone, and
// reNotCompany the holders that make it another figure than the company's
// net income: non-controlling interests, a share class, or the common
// holders after preferred dividends (real/README.md: net income is the line
// before non-controlling interests and preferred dividends).
var (
	reAttributable = regexp.MustCompile(`^net (income|earnings|loss|income loss|earnings loss|loss income) attributable to (.+)$`)
	reNotCompany   = regexp.MustCompile(`\b(non ?controlling|minority|participating|redeemable|preferred|class [a-z]|common (stock|share)?holders?|common (stock|shares?)|unit ?holders?|partners?)\b`)
)

// netAttributable reports whether a label (a NormKey) is "Net income
// attributable to <the registrant>": the company's net income after
// non-controlling interests, read as net income only where the plain line
// is missing (real/README.md's convention).
func netAttributableNow(k string) bool {
	m := reAttributable.FindStringSubmatch(k)
	return m != nil && !reNotCompany.MatchString(m[2])
}

// rePerShare matches a label of a per-share or share-count line ("Net loss
// (in dollars per share)", "Basic (in shares)"): never an amount of money,
// whatever metric its words name.
var rePerShare = regexp.MustCompile(`(?i)\bper\b[^()]*\b(share|unit)s?\b|\bin shares\b|\bper (diluted|basic)\b|\bshares outstanding\b`)
