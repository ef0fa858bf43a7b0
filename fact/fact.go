package fact

import "time"

// Fact is one canonical fact: a number read from one cell of a workbook, in
// base units, with the company, segment, metric and quarter it measures and
// the lineage back to that cell. Its columns, as published, are Columns.
type Fact struct {
	Company         string
	Segment         string
	Metric          string
	CalendarQuarter string
	FiscalYear      int
	FiscalQuarter   int
	PeriodEnd       time.Time
	Value           float64
	Unit            string
	SourceKind      string
	SourceFile      string
	SourceSheet     string
	SourceCell      string // Sheet!F12
	SourceSHA256    string
	// AsOf is the vintage. Zero when the workbook gives none and transform
	// streams its facts: load fills in the latest period end of the
	// workbook version.
	AsOf time.Time
	// SourceScale is the multiplier from the value as written in the cell to
	// Value: 1e6 for a sheet "in millions", 1 for MW, years and ratios.
	SourceScale float64
	// SourceLabel is the row label exactly as the workbook wrote it ("Net
	// sales", "AWS"); in a long table, the Metric cell.
	SourceLabel string
	// Breakdown is the split of the company the segment belongs to
	// (Breakdowns); "" when the workbook does not say, published as NULL.
	Breakdown string
}

// Breakdowns: how a company's totals are split. A segment belongs to one;
// sums, mixes and margins compare segments of the same breakdown.
const (
	BreakdownTotal     = "total"             // the company as a whole (segment Total)
	BreakdownSegment   = "operating_segment" // a reportable segment (ASC 280 / IFRS 8)
	BreakdownProduct   = "product_line"      // a product or service line, or a revenue category
	BreakdownGeography = "geography"         // a country or region
)

// Source kinds: a fact from a company's own report, or an analyst's estimate.
const (
	Reported = "reported"
	Estimate = "estimate"
)
