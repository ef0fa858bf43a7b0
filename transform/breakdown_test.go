package transform

import (
	"reflect"
	"testing"
	"time"

	"github.com/marginmix/marginmix/extract"
)

// breakdownsOf reads rows as one sheet of that name and gives each
// segment's breakdown ("NULL" for none).
func breakdownsOf(t *testing.T, sheet, spec string, in []extract.Row) map[string]string {
	t.Helper()
	s, err := ParseSpecBytes("test.yaml", []byte(baseSpec+spec))
	if err != nil {
		t.Fatal(err)
	}
	rd := newReader(book{name: "test.xlsx", formulas: fakeFormulas{}}, s, Options{}, time.Time{}, "")
	if err := feedSheet(rd, sheet, in); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rd.res.Facts {
		b := f.Breakdown
		if b == "" {
			b = "NULL"
		}
		if old, ok := got[f.Segment]; ok && old != b {
			t.Errorf("%s: breakdown %s and %s", f.Segment, old, b)
		}
		got[f.Segment] = b
	}
	return got
}

func TestBreakdown(t *testing.T) {
	for _, tt := range []struct {
		name, sheet, spec string
		in                []extract.Row
		want              map[string]string
	}{{
		// A segment sheet: its regions are operating segments (Amazon's
		// North America), a spec's business line a product line.
		name: "SegmentSheet", sheet: "Segment Information",
		spec: "segments: {Core: AWS / Core}\n",
		in:   rows("|Q1 2026|Q2 2026", "Net sales:", "North America|1|2", "AWS|3|4", "Core|1|1", "Total|4|6"),
		want: map[string]string{"North America": "operating_segment", "AWS": "operating_segment",
			"AWS / Core": "product_line", "Total": "total"},
	}, {
		// An EDGAR title names geography: every member is a region.
		name: "GeographyTitle", sheet: "Revenue Classified by Major Geo",
		in: rows("Revenue Classified by Major Geographic Areas (Detail) - USD ($) $ in Millions|3 Months Ended|",
			"|Mar. 31, 2021|Mar. 31, 2020", "Revenues From External Customers [Line Items]",
			"Revenue:", "United States|20,000|17,000", "Other countries|21,706|18,021", "Total|41,706|35,021"),
		want: map[string]string{"Total": "total", "United States": "geography", "Other countries": "geography"},
	}, {
		// Disaggregated revenue: regions are geography, the rest product
		// or service lines.
		name: "Disaggregated", sheet: "Revenue 49",
		in: rows("Revenue Related to Contracts With Customers - Disaggregated revenue (Details) - USD ($) $ in Millions|3 Months Ended|",
			"|Mar. 31, 2021|Mar. 31, 2020", "Revenue", "U.S.|1|2", "Non-U.S.|3|4",
			"Long-term contracts", "Revenue|5|6"),
		want: map[string]string{"U.S.": "geography", "Non-U.S.": "geography", "Long-term contracts": "product_line"},
	}, {
		// EDGAR's member path of a line within a segment.
		name: "LineWithinSegment", sheet: "Operating Segments (Details)",
		in: rows("Operating Segments (Details) - USD ($) $ in Millions|3 Months Ended|",
			"|Jul. 01, 2023|Jul. 02, 2022", "Net revenue", "Client Computing Group|6,780|7,678",
			"Client Computing Group ¦ Desktop|2,000|2,100"),
		want: map[string]string{"Client Computing Group": "operating_segment", "Client Computing Group | Desktop": "product_line"},
	}, {
		// The income statement's revenue categories.
		name: "IncomeStatement", sheet: "Income Statements",
		in: rows("INCOME STATEMENTS (USD $)|3 Months Ended|", "|Mar. 31, 2021|Mar. 31, 2020",
			"Revenue:", "Product|15|16", "Service and other|26|19", "Total revenue|41|35"),
		want: map[string]string{"Product": "product_line", "Service and other": "product_line", "Total": "total"},
	}, {
		// The statement of comprehensive income is the income statement
		// too: its revenue lines are categories.
		name: "ComprehensiveIncomeStatement", sheet: "CONSOLIDATED_STATEMENTS_OF_COM",
		in: rows("CONSOLIDATED STATEMENTS OF COMPREHENSIVE INCOME (USD $)|3 Months Ended|", "|Mar. 28, 2015|Mar. 29, 2014",
			"Net Sales:", "99 Only Stores|1486|1400", "Bargain Wholesale|42|40", "Total sales|1528|1440"),
		want: map[string]string{"99 Only Stores": "product_line", "Bargain Wholesale": "product_line", "Total": "total"},
	}, {
		// A note that mentions the income statement is not the statement:
		// its first block is the company's, and its member ("Sales of
		// goods" over the table's first row again) is no declared split.
		name: "NoteAboutStatement", sheet: "Basis of Presentation 46",
		in: rows("Basis of Presentation - Revenue recognition standard, statements of income (loss) (Details) - USD ($) $ in Millions|3 Months Ended|",
			"|Mar. 31, 2018|Mar. 31, 2017", "Revenue|10|12", "Sales of goods", "Revenue|1|2"),
		want: map[string]string{"Total": "total"},
	}, {
		// Segments that are regions (Apple), or segments beside countries
		// (Microsoft): a title naming segments and geography does not say
		// which row is which. NULL for all, never a split torn in two.
		name: "RegionalSegments", sheet: "Segment Information and Geogr",
		in: rows("Segment Information and Geographic Data (Details) - USD ($) $ in Millions|3 Months Ended|",
			"|Jun. 29, 2019|Jun. 30, 2018", "Net sales:", "Americas|1|2", "Europe|1|2", "Greater China|1|2",
			"Japan|1|2", "Rest of Asia Pacific|1|2", "Total net sales|5|10"),
		want: map[string]string{"Americas": "NULL", "Europe": "NULL", "Greater China": "NULL",
			"Japan": "NULL", "Rest of Asia Pacific": "NULL", "Total": "total"},
	}, {
		// A segment note's table of products: product lines, though the
		// title starts with "Segment Information".
		name: "SegmentNoteProducts", sheet: "Segment Information - Net Sal",
		in: rows("Segment Information - Net Sales by Groups of Similar Products and Services (Details) - USD ($) $ in Millions|3 Months Ended|",
			"|Mar. 31, 2024|Mar. 31, 2023", "Net sales:", "Online stores|1|2", "AWS|3|4"),
		want: map[string]string{"Online stores": "product_line", "AWS": "product_line"},
	}, {
		// A sheet that says nothing: NULL for every segment, known names
		// (a spec's, the dictionary's, a region) included, so that one
		// split is never torn in two.
		name: "Untitled", sheet: "Sheet1", spec: "segments: {Cloud: Google Cloud Platform}\n",
		in: rows("|Q1 2026|Q2 2026", "Revenue", "Cloud|1|2", "Domestic|3|4", "International|5|6", "Google Services|7|8", "Total|16|20"),
		want: map[string]string{"Google Cloud Platform": "NULL", "Domestic": "NULL", "International": "NULL",
			"Google Services": "NULL", "Total": "total"},
	}, {
		// Nothing says what a heading splits: NULL, not a guess.
		name: "Unknown", sheet: "Pay vs Performance Disclosure",
		in:   rows("|Q1 2026|Q2 2026", "Pay vs Performance Disclosure", "Net income|1|2"),
		want: map[string]string{"Pay vs Performance Disclosure": "NULL"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			if got := breakdownsOf(t, tt.sheet, tt.spec, tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("breakdowns = %v, want %v", got, tt.want)
			}
		})
	}
}
