package transform

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Fact is one canonical fact (design.md, "Canonical facts").
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
	AsOf            time.Time
	// SourceScale is the multiplier from the value as written in the cell to
	// Value: 1e6 for a sheet "in millions", 1 for MW, years and ratios.
	SourceScale float64
}

// Schema is the Arrow schema of the canonical facts. Columns may be added,
// never renamed.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "company", Type: arrow.BinaryTypes.String},
	{Name: "segment", Type: arrow.BinaryTypes.String},
	{Name: "metric", Type: arrow.BinaryTypes.String},
	{Name: "calendar_quarter", Type: arrow.BinaryTypes.String},
	{Name: "fiscal_year", Type: arrow.PrimitiveTypes.Int32},
	{Name: "fiscal_quarter", Type: arrow.PrimitiveTypes.Int32},
	{Name: "period_end", Type: arrow.FixedWidthTypes.Date32},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64},
	{Name: "unit", Type: arrow.BinaryTypes.String},
	{Name: "source_kind", Type: arrow.BinaryTypes.String},
	{Name: "source_file", Type: arrow.BinaryTypes.String},
	{Name: "source_sheet", Type: arrow.BinaryTypes.String},
	{Name: "source_cell", Type: arrow.BinaryTypes.String},
	{Name: "source_sha256", Type: arrow.BinaryTypes.String},
	{Name: "as_of", Type: arrow.FixedWidthTypes.Date32},
	{Name: "source_scale", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// Record builds an Arrow record of facts with Schema. The caller releases it.
func Record(mem memory.Allocator, facts []Fact) arrow.RecordBatch {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, Schema)
	defer b.Release()
	str := func(i int) *array.StringBuilder { return b.Field(i).(*array.StringBuilder) }
	i32 := func(i int) *array.Int32Builder { return b.Field(i).(*array.Int32Builder) }
	day := func(i int) *array.Date32Builder { return b.Field(i).(*array.Date32Builder) }
	for _, f := range facts {
		str(0).Append(f.Company)
		str(1).Append(f.Segment)
		str(2).Append(f.Metric)
		str(3).Append(f.CalendarQuarter)
		i32(4).Append(int32(f.FiscalYear))
		i32(5).Append(int32(f.FiscalQuarter))
		day(6).Append(arrow.Date32FromTime(f.PeriodEnd))
		b.Field(7).(*array.Float64Builder).Append(f.Value)
		str(8).Append(f.Unit)
		str(9).Append(f.SourceKind)
		str(10).Append(f.SourceFile)
		str(11).Append(f.SourceSheet)
		str(12).Append(f.SourceCell)
		str(13).Append(f.SourceSHA256)
		if f.AsOf.IsZero() {
			day(14).AppendNull() // filled in by the load step (see Options.Batch)
		} else {
			day(14).Append(arrow.Date32FromTime(f.AsOf))
		}
		b.Field(15).(*array.Float64Builder).Append(f.SourceScale)
	}
	return b.NewRecordBatch()
}
