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
	reSaysProduct   = regexp.MustCompile(`\bproducts?\b|\bservice offerings?\b|\bdisaggregat|\bby (type|category|source|product)\b|\brevenue (type|categor)`)
	// reSaysStatement: the income statement, whose lines under revenue
	// ("Product", "Service and other") are revenue categories.
	// The title must be the statement's own, not a note that mentions it
	// ("... - Revenue recognition standard, statements of income (details)").
	reSaysStatement = regexp.MustCompile(`^(condensed )?(consolidated )?(condensed )?(statements? of (consolidated )?(operations|income|earnings)|income statements?)\b`)
)

// reGeography matches a member (as a NormKey) that names a country or a
// region.
var reGeography = regexp.MustCompile(`^(the )?(u s|us|usa|united states( of america)?|non u s|outside (the )?(u s|united states)|` +
	`(other|all other|foreign) countries|other foreign|international|americas|north america|latin america|south america|` +
	`europe|emea|europe middle east and africa|asia|asia pacific|apac|apj|greater china|china|japan|india|canada|mexico|brazil|` +
	`united kingdom|uk|germany|france|rest of (the )?world|other regions?)$`)

// sheetSays is what a sheet's name and titles say about its rows.
type sheetSays struct {
	segment, geography, product bool
	statement                   bool
}

// says reads the sheet's name and titles (complete once a value has been
// read: they come before the period header).
func (s *sheetReader) says() sheetSays {
	var say sheetSays
	for _, t := range append([]string{NormKey(s.name)}, s.titles...) {
		say.segment = say.segment || reSaysSegment.MatchString(t)
		say.geography = say.geography || reSaysGeography.MatchString(t)
		say.product = say.product || reSaysProduct.MatchString(t)
		say.statement = say.statement || reSaysStatement.MatchString(t)
	}
	return say
}

// breakdownOf is the breakdown (fact.Breakdowns) a segment of this sheet
// belongs to, from what the segment is and what the sheet says it splits;
// "" when neither tells. It is worked out once per segment and sheet.
func (s *sheetReader) breakdownOf(segment string) string {
	if b, ok := s.breakdowns[segment]; ok {
		return b
	}
	if s.breakdowns == nil {
		s.breakdowns, s.say = map[string]string{}, s.says()
	}
	b := s.classifyBreakdown(segment)
	s.breakdowns[segment] = b
	return b
}

func (s *sheetReader) classifyBreakdown(segment string) string {
	switch {
	case segment == fact.TotalSegment:
		return fact.BreakdownTotal
	case strings.Contains(segment, " / "):
		return fact.BreakdownProduct // a spec's business line "<segment> / <line>"
	}
	k := NormKey(segment)
	geo := reGeography.MatchString(k)
	say := s.say
	switch {
	case say.geography && (geo || !say.segment):
		return fact.BreakdownGeography
	case say.segment && strings.Contains(segment, " | "):
		return fact.BreakdownProduct // EDGAR's line within a segment: "Client Computing Group | Desktop"
	case say.segment:
		return fact.BreakdownSegment
	case say.product || say.statement:
		if geo {
			return fact.BreakdownGeography
		}
		return fact.BreakdownProduct
	}
	if _, ok := s.spec.dict.segmentKey(k); ok {
		return fact.BreakdownSegment
	}
	if geo {
		return fact.BreakdownGeography
	}
	return ""
}
