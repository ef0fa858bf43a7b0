package fact

import (
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column is one column of the published facts.
type Column struct {
	Name string
	Type arrow.DataType
	// Key marks the columns that identify one fact across workbooks and
	// vintages: the rest are its value, its vintage and its lineage.
	Key bool
	// Vintage marks the columns that, with the key, tell one vintage of a
	// fact from another: what was read (value, unit), from where (file
	// version, sheet, cell) and as of when. A fact read again with the same
	// ones is the same vintage and keeps its ingest_seq; the other columns
	// (fiscal labels, scale, label) describe it.
	Vintage bool
	// Sort is the column's place in the row order of the fact datasets
	// (1 first); 0 leaves it out. The order makes files byte-identical for
	// the same inputs, whatever order the workbooks were read in.
	Sort int
	// Since is the SQL value the column takes in a publication written
	// before it existed; "" means every publication has it.
	Since string
	// Load marks a column that the load stage adds (ingest_seq): it is not
	// in the Arrow records that transform makes, and it comes after every
	// column that is, so that "the records' columns, then ingest_seq" is
	// the table's order.
	Load bool
	// Doc says what the column holds, for docs and the Parquet reader.
	Doc string

	fill func(b array.Builder, facts []Fact)
}

// Columns are the columns of the fact datasets, in their published order.
// Columns may be added, never renamed (a contract with every reader):
// adding one here adds it to the Arrow records, the Parquet files and
// every statement that lists the columns.
var Columns = []Column{
	text("company", "ticker, e.g. AMZN", func(f *Fact) string { return f.Company }).key(1),
	text("segment", "canonical segment, or Total for company-level rows", func(f *Fact) string { return f.Segment }).key(2),
	text("metric", "canonical metric (Metrics)", func(f *Fact) string { return f.Metric }).key(3),
	text("calendar_quarter", "calendar quarter the period closes, e.g. 2026Q1: the one holding period_end, or the one just ended when period_end is up to 7 days past it (52/53-week years)", func(f *Fact) string { return f.CalendarQuarter }).key(4),
	integer("fiscal_year", "the company's fiscal year", func(f *Fact) int { return f.FiscalYear }),
	integer("fiscal_quarter", "the company's fiscal quarter, 1 to 4", func(f *Fact) int { return f.FiscalQuarter }),
	date("period_end", "last day of the quarter, as the workbook dates it", func(f *Fact) time.Time { return f.PeriodEnd }),
	number("value", "the value in base units: whole currency units, MW, years, a ratio", func(f *Fact) float64 { return f.Value }).vintage(),
	text("unit", "ISO currency code for money, else MW, years, ratio or tokens (Units)", func(f *Fact) string { return f.Unit }).vintage(),
	text("source_kind", "reported or estimate", func(f *Fact) string { return f.SourceKind }).key(5),
	text("source_file", "the workbook's path below the inbox", func(f *Fact) string { return f.SourceFile }).sort(7).vintage(),
	text("source_sheet", "the sheet of the cell", func(f *Fact) string { return f.SourceSheet }).sort(8).vintage(),
	text("source_cell", "the cell, as Sheet!F12", func(f *Fact) string { return f.SourceCell }).sort(9).vintage(),
	text("source_sha256", "content hash of the workbook", func(f *Fact) string { return f.SourceSHA256 }).sort(11).vintage(),
	date("as_of", "the vintage: the report or model date", func(f *Fact) time.Time { return f.AsOf }).sort(6).vintage(),
	number("source_scale", "value = the number written in the cell x source_scale", func(f *Fact) float64 { return f.SourceScale }).since("1.0"),
	text("source_label", "the row label exactly as the workbook wrote it; in a long table, the Metric cell", func(f *Fact) string { return f.SourceLabel }).since("CAST(NULL AS VARCHAR)"),
	optionalText("breakdown", "how the segment splits the company: total, operating_segment, product_line or geography; NULL where the workbook does not say (docs/analyses.md)", func(f *Fact) string { return f.Breakdown }).since("CAST(NULL AS VARCHAR)"),
	{Name: "ingest_seq", Type: arrow.PrimitiveTypes.Int32, Sort: 10, Since: "1", Load: true,
		Doc: "the sequence number of the run that first read this vintage"},
	{Name: "disputed", Type: arrow.FixedWidthTypes.Boolean, Since: "false", Load: true,
		Doc: "true when other sources of this vintage state a different value (beyond the precision they were written in); data_quality's conflicting_values lists them all"},
}

func (c Column) key(rank int) Column     { c.Key, c.Vintage, c.Sort = true, true, rank; return c }
func (c Column) vintage() Column         { c.Vintage = true; return c }
func (c Column) sort(rank int) Column    { c.Sort = rank; return c }
func (c Column) since(sql string) Column { c.Since = sql; return c }
func text(name, doc string, get func(*Fact) string) Column {
	return Column{Name: name, Type: arrow.BinaryTypes.String, Doc: doc, fill: func(b array.Builder, facts []Fact) {
		sb := b.(*array.StringBuilder)
		reserveText(sb, facts, get)
		for i := range facts {
			sb.Append(get(&facts[i]))
		}
	}}
}

// reserveText sizes a column's character data once: growing it by doubling
// was most of the cost of making a record.
func reserveText(sb *array.StringBuilder, facts []Fact, get func(*Fact) string) {
	n := 0
	for i := range facts {
		n += len(get(&facts[i]))
	}
	sb.ReserveData(n)
}

// optionalText columns hold NULL for "".
func optionalText(name, doc string, get func(*Fact) string) Column {
	return Column{Name: name, Type: arrow.BinaryTypes.String, Doc: doc, fill: func(b array.Builder, facts []Fact) {
		sb := b.(*array.StringBuilder)
		reserveText(sb, facts, get)
		for i := range facts {
			if v := get(&facts[i]); v == "" {
				sb.AppendNull()
			} else {
				sb.Append(v)
			}
		}
	}}
}

func integer(name, doc string, get func(*Fact) int) Column {
	return Column{Name: name, Type: arrow.PrimitiveTypes.Int32, Doc: doc, fill: func(b array.Builder, facts []Fact) {
		ib := b.(*array.Int32Builder)
		for i := range facts {
			ib.Append(int32(get(&facts[i])))
		}
	}}
}

// number columns hold no negative zero: a cell written "-0" is zero, and
// DuckDB's Parquet writer keeps one of 0 and -0 for both in a column's
// dictionary, so which sign a file showed would depend on its other rows.
func number(name, doc string, get func(*Fact) float64) Column {
	return Column{Name: name, Type: arrow.PrimitiveTypes.Float64, Doc: doc, fill: func(b array.Builder, facts []Fact) {
		fb := b.(*array.Float64Builder)
		for i := range facts {
			v := get(&facts[i])
			if v == 0 {
				v = 0 // -0 too
			}
			fb.Append(v)
		}
	}}
}

// date columns hold NULL for a zero time.
func date(name, doc string, get func(*Fact) time.Time) Column {
	return Column{Name: name, Type: arrow.FixedWidthTypes.Date32, Doc: doc, fill: func(b array.Builder, facts []Fact) {
		db := b.(*array.Date32Builder)
		for i := range facts {
			if t := get(&facts[i]); t.IsZero() {
				db.AppendNull()
			} else {
				db.Append(arrow.Date32FromTime(t))
			}
		}
	}}
}

// Schema is the Arrow schema of the records transform makes: every column
// but those the load stage adds.
var Schema = func() *arrow.Schema {
	var fields []arrow.Field
	for _, c := range Columns {
		if !c.Load {
			fields = append(fields, arrow.Field{Name: c.Name, Type: c.Type})
		}
	}
	return arrow.NewSchema(fields, nil)
}()

// Record builds an Arrow record of facts with Schema, column by column. The
// caller releases it.
func Record(mem memory.Allocator, facts []Fact) arrow.RecordBatch {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, Schema)
	defer b.Release()
	for _, c := range Columns {
		if c.Load {
			continue
		}
		fb := b.Field(Schema.FieldIndices(c.Name)[0])
		fb.Reserve(len(facts))
		c.fill(fb, facts)
	}
	return b.NewRecordBatch()
}

// Names are the names of the published columns, in order.
func Names() []string { return names(func(Column) bool { return true }) }

// Key is the list of key columns, in order: one fact per key and vintage.
func Key() []string { return names(func(c Column) bool { return c.Key }) }

// Vintage is the list of columns that identify one vintage of a fact (the
// key columns among them), in table order.
func Vintage() []string { return names(func(c Column) bool { return c.Vintage }) }

// names lists the columns that keep says, in table order.
func names(keep func(Column) bool) []string {
	var out []string
	for _, c := range Columns {
		if keep(c) {
			out = append(out, c.Name)
		}
	}
	return out
}

// Order is the sort order of the fact datasets' rows.
func Order() []string {
	var sorted []Column
	for _, c := range Columns {
		if c.Sort > 0 {
			sorted = append(sorted, c)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Sort < sorted[j].Sort })
	out := make([]string, len(sorted))
	for i, c := range sorted {
		out[i] = c.Name
	}
	return out
}

// List joins column names for SQL: "company, segment, metric". The names
// are plain lower-case words that need no quoting.
func List(names []string) string { return strings.Join(names, ", ") }
