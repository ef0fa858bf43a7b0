package transform

import (
	"regexp"
	"strings"

	"github.com/marginmix/marginmix/fact"
)

// What a sheet's name or statement title says its rows split the company
// by (as NormKeys: lower case, punctuation as spaces).
var (
	reSaysSegment   = regexp.MustCompile(`\bsegments?\b`)
	reSaysGeography = regexp.MustCompile(`\bgeograph|\bby (region|country|area)\b|\bcountries\b`)
	reSaysProduct   = regexp.MustCompile(`\bproducts?\b|\bservice offerings?\b|\bby (type|category|source|product)\b|\brevenue (type|categor)`)
	// reSaysStatement: the income statement, whose lines under revenue
	// ("Product", "Service and other") are revenue categories.
	// The title must be the statement's own, not a note that mentions it
	// ("... - Revenue recognition standard, statements of income (details)").
	reSaysStatement = regexp.MustCompile(`^(condensed )?(consolidated )?(condensed )?(statements? of (consolidated )?(comprehensive )?(operations|income|earnings|loss)|income statements?)\b`)
	// reSaysDisaggregated: revenue disaggregated (ASC 606) by any mix of
	// categories, regions and contract types.
	reSaysDisaggregated = regexp.MustCompile(`\bdisaggregat`)
)

// reGeography matches a member (as a NormKey) that names a country or a
// region.
var reGeography = regexp.MustCompile(`^(the )?(u s|us|usa|united states( of america)?|non u s|non us|outside (the )?(u s|us|united states)|` +
	`domestic|foreign|(other|all other|foreign) countries|other foreign|(other )?international|americas|north america|latin america|south america|` +
	`europe|emea|europe middle east and africa|middle east( and africa)?|africa|asia|(rest of )?asia pacific|apac|apj|apjc|greater china|china|japan|` +
	`india|canada|mexico|brazil|australia|korea|taiwan|united kingdom|uk|germany|france|rest of (the )?world|other regions?)$`)

// sheetSays is what a sheet's name and titles say about its rows.
type sheetSays struct {
	read                        bool // the fields below have been read
	segment, geography, product bool
	statement                   bool // the income statement, or disaggregated revenue
	company                     bool // the cash flows or the financial position
}

// says reads the sheet's name and titles once, at their first use: that is
// after the period header, which the titles come before, so they are
// complete.
func (s *sheetReader) says() sheetSays {
	if s.say.read {
		return s.say
	}
	say := sheetSays{read: true}
	for _, t := range append([]string{NormKey(s.name)}, s.titles...) {
		say.segment = say.segment || reSaysSegment.MatchString(t)
		say.geography = say.geography || reSaysGeography.MatchString(t)
		say.product = say.product || reSaysProduct.MatchString(t)
		say.statement = say.statement || reSaysStatement.MatchString(t) || reSaysDisaggregated.MatchString(t)
		say.company = say.company || reCompanyStatement.MatchString(t)
	}
	s.say = say
	return say
}

// declaresBreakdown reports whether the sheet's name or titles say its rows
// split the company: segments, products, geography, or the income
// statement's and disaggregated revenue's categories.
func (s *sheetReader) declaresBreakdown() bool {
	say := s.says()
	return say.segment || say.geography || say.product || say.statement
}

// reCompanyStatement matches the name or title (a NormKey) of a statement
// of the company as a whole: cash flows, the balance sheet.
var reCompanyStatement = regexp.MustCompile(`\bcash flows?\b|\bbalance sheets?\b|\bfinancial position\b|\bstockholders equity\b|\bshareholders equity\b`)

// companyStatement reports whether the sheet is one of the company's
// statements of cash flows or financial position, whose headings
// ("Operations", "Financing", "Current assets") are sections of the
// statement, never segments.
func (s *sheetReader) companyStatement() bool { return s.says().company }

// splits reports whether the rows under a metric's heading on this sheet
// are parts of a breakdown: on a sheet about segments, products or places,
// any metric's; on the income statement or disaggregated revenue, only the
// revenue lines' and their costs' (the expenses' rows are kinds of expense,
// "Salaries and employee benefits", not lines of business).
func (s *sheetReader) splits(metric string) bool {
	say := s.says()
	switch {
	case say.segment || say.geography || say.product:
		return true
	case say.statement:
		return metric == fact.Revenue || metric == fact.CostOfRevenue || metric == fact.GrossProfit
	}
	return false
}

// breakdownOf is the breakdown (fact.Breakdowns) a segment of this sheet
// belongs to, from what the segment is and what the sheet says it splits;
// "" when neither tells. It is worked out once per segment and sheet.
func (s *sheetReader) breakdownOf(segment string) string {
	if b, ok := s.breakdowns[segment]; ok {
		return b
	}
	if s.breakdowns == nil {
		s.breakdowns = map[string]string{}
	}
	b := s.classifyBreakdown(segment)
	s.breakdowns[segment] = b
	return b
}

// classifyBreakdown decides a segment's breakdown. What the sheet says
// decides for all its segments alike, so that one split is never torn in
// two by a name that a word list happens to know; the word list only sorts
// the members of a table that mixes splits by design (disaggregated revenue,
// the income statement).
func (s *sheetReader) classifyBreakdown(segment string) string {
	switch {
	case segment == fact.TotalSegment:
		return fact.BreakdownTotal
	case strings.Contains(segment, " / "):
		return fact.BreakdownProduct // a spec's business line "<segment> / <line>"
	}
	geo := reGeography.MatchString(NormKey(segment))
	say := s.says()
	switch {
	case say.product && !say.geography:
		// "Segment Information - Net Sales by Groups of Similar Products"
		return fact.BreakdownProduct
	case say.geography && !say.segment:
		return fact.BreakdownGeography
	case say.segment && strings.Contains(segment, " | "):
		return fact.BreakdownProduct // EDGAR's line within a segment: "Client Computing Group | Desktop"
	case say.segment && say.geography:
		// "Segment Information and Geographic Data": Apple's segments are
		// its regions, Microsoft's sheet holds segments and countries. Which
		// row is which, the sheet does not say.
		return ""
	case say.segment:
		return fact.BreakdownSegment
	case say.product || say.statement:
		// Disaggregated revenue, the income statement: categories, and
		// regions among them.
		if geo {
			return fact.BreakdownGeography
		}
		return fact.BreakdownProduct
	}
	// The sheet says nothing: a word list or the dictionary would sort its
	// rows into two splits by their names (Domestic and International,
	// one known, one not), and no split would be checked as a whole.
	return ""
}
