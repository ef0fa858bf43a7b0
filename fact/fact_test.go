package fact

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestDerivedLists(t *testing.T) {
	if got, want := Key(), []string{"company", "segment", "metric", "calendar_quarter", "source_kind"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Key() = %v, want %v", got, want)
	}
	want := []string{"company", "segment", "metric", "calendar_quarter", "source_kind", "as_of",
		"source_file", "source_sheet", "source_cell", "ingest_seq", "source_sha256"}
	if got := Order(); !reflect.DeepEqual(got, want) {
		t.Errorf("Order() = %v, want %v", got, want)
	}
	var names []string
	for _, f := range Schema.Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "company,segment,metric,calendar_quarter,fiscal_year,fiscal_quarter,period_end,value,unit,source_kind,source_file,source_sheet,source_cell,source_sha256,as_of,source_scale,source_label,breakdown" {
		t.Errorf("Schema columns = %s", got)
	}
	want = []string{"company", "segment", "metric", "calendar_quarter", "value", "unit", "source_kind",
		"source_file", "source_sheet", "source_cell", "source_sha256", "as_of"}
	if got := Vintage(); !reflect.DeepEqual(got, want) {
		t.Errorf("Vintage() = %v, want %v", got, want)
	}
	if got := List(Names()); !strings.HasSuffix(got, "source_scale, source_label, breakdown, ingest_seq, disputed") {
		t.Errorf("Names() = %s", got)
	}
}

// TestColumnTable checks the table's own rules: names unique and plain
// (they go into SQL unquoted), sort ranks unique, every key column sorted
// before every other, a fill for every column transform makes.
func TestColumnTable(t *testing.T) {
	seen, ranks := map[string]bool{}, map[int]string{}
	maxKey, minOther := 0, 1<<30
	for _, c := range Columns {
		if seen[c.Name] || !plainName(c.Name) {
			t.Errorf("column %q: repeated or not a plain lower-case name", c.Name)
		}
		seen[c.Name] = true
		if c.Sort > 0 {
			if other, dup := ranks[c.Sort]; dup {
				t.Errorf("columns %s and %s share sort rank %d", other, c.Name, c.Sort)
			}
			ranks[c.Sort] = c.Name
		}
		switch {
		case c.Key:
			maxKey = max(maxKey, c.Sort)
		case c.Sort > 0:
			minOther = min(minOther, c.Sort)
		}
		if c.Load != (c.fill == nil) {
			t.Errorf("column %s: Load is %v but fill is set: %v", c.Name, c.Load, c.fill != nil)
		}
		if c.Doc == "" {
			t.Errorf("column %s has no Doc", c.Name)
		}
	}
	loadSeen := false
	for _, c := range Columns {
		if c.Load {
			loadSeen = true
		} else if loadSeen {
			t.Errorf("column %s comes after a column the load stage adds: the records' columns come first", c.Name)
		}
	}
	if maxKey >= minOther {
		t.Errorf("a key column sorts after a non-key one (%d >= %d)", maxKey, minOther)
	}
}

func plainName(s string) bool {
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

func TestRecordByColumnName(t *testing.T) {
	day := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	facts := []Fact{
		{Company: "AMZN", Segment: "AWS", Metric: Revenue, CalendarQuarter: "2026Q1", FiscalYear: 2026, FiscalQuarter: 1,
			PeriodEnd: day, Value: 38e9, Unit: "USD", SourceKind: Reported, SourceFile: "a.xlsx", SourceSheet: "S",
			SourceCell: "S!B2", SourceSHA256: "ab", AsOf: day.AddDate(0, 1, 0), SourceScale: 1e6, SourceLabel: "  AWS¹", Breakdown: BreakdownSegment},
		{Company: "MSFT", Metric: TaxRate, Value: 0.18, Unit: "ratio", SourceScale: 1},
	}
	rec := Record(memory.NewGoAllocator(), facts)
	defer rec.Release()
	if rec.NumRows() != 2 || rec.NumCols() != int64(len(Schema.Fields())) {
		t.Fatalf("record is %d x %d", rec.NumRows(), rec.NumCols())
	}
	col := func(name string) any { return rec.Column(Schema.FieldIndices(name)[0]) }
	if v := col("segment").(*array.String).Value(0); v != "AWS" {
		t.Errorf("segment = %q", v)
	}
	if v := col("value").(*array.Float64).Value(1); v != 0.18 {
		t.Errorf("value = %v", v)
	}
	if v := col("fiscal_quarter").(*array.Int32).Value(0); v != 1 {
		t.Errorf("fiscal_quarter = %v", v)
	}
	if v := col("source_scale").(*array.Float64).Value(0); v != 1e6 {
		t.Errorf("source_scale = %v", v)
	}
	if v := col("source_label").(*array.String); v.Value(0) != "  AWS¹" || v.Value(1) != "" {
		t.Errorf("source_label = %q, %q", v.Value(0), v.Value(1))
	}
	if v := col("breakdown").(*array.String); v.Value(0) != "operating_segment" || !v.IsNull(1) {
		t.Errorf("breakdown = %q, null %v", v.Value(0), v.IsNull(1))
	}
	asOf := col("as_of").(*array.Date32)
	if asOf.Value(0).ToTime() != day.AddDate(0, 1, 0) || !asOf.IsNull(1) {
		t.Errorf("as_of = %v, null %v", asOf.Value(0).ToTime(), asOf.IsNull(1))
	}
	if !col("period_end").(*array.Date32).IsNull(1) {
		t.Error("a zero period_end is not NULL")
	}
}

func TestVocabulary(t *testing.T) {
	for _, c := range []struct {
		metric string
		unit   string
	}{{Revenue, "USD"}, {CapacityMW, "MW"}, {ServerUsefulLife, "years"}, {TaxRate, "ratio"}, {"no_such_metric", "USD"}} {
		if got := MetricUnit(c.metric).Unit("USD"); got != c.unit {
			t.Errorf("unit of %s = %q, want %q", c.metric, got, c.unit)
		}
	}
	if IsMetric("no_such_metric") || !IsMetric(TokenShareCustomSilicon) {
		t.Error("IsMetric")
	}
	for s, want := range map[string]bool{"USD": true, "CHF": true, "MW": true, "tokens": true, "usd": false, "US$": false, "": false} {
		if IsUnit(s) != want {
			t.Errorf("IsUnit(%q) = %v", s, !want)
		}
	}
}

// A cell written "-0" is zero: the records hold +0, so that no Parquet file
// shows a sign that depends on which zero its dictionary met first.
func TestNoNegativeZero(t *testing.T) {
	rec := Record(memory.NewGoAllocator(), []Fact{{Value: math.Copysign(0, -1)}, {Value: -1.5}})
	defer rec.Release()
	v := rec.Column(Schema.FieldIndices("value")[0]).(*array.Float64)
	if math.Signbit(v.Value(0)) || v.Value(1) != -1.5 {
		t.Errorf("values = %v, %v (sign bit of the zero %v)", v.Value(0), v.Value(1), math.Signbit(v.Value(0)))
	}
}
