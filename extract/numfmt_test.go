package extract

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestIsDateFormat(t *testing.T) {
	for _, tc := range []struct {
		code string
		want bool
	}{
		{"yyyy-mm-dd", true},
		{"mmmm d, yyyy", true},
		{"m/d/yyyy;@", true},
		{"[$-409]mmm-yy", true},
		{"[$-F800]dddd, mmmm dd, yyyy", true},
		{"[Red][<=100]yyyy", true},
		{`yyyy"年"m"月"d"日"`, true},
		{"YYYY", true}, // shown as "2026": nothing in it looks like a date, the format is one
		{"dd", true},
		{"h:mm AM/PM", true},
		{"hh:mm:ss.000", true}, // 0s after the seconds are fractions of a second
		// Elapsed times are times: "[h]:mm" shows a day count in hours.
		{"[h]:mm", true},
		{"[mm]:ss", true},
		{"[ss]", true},
		{"0.0%", false},
		{`"m"0`, false}, // the m is quoted text
		{`\m0`, false},  // the m is escaped
		{"#,##0", false},
		{"#,##0.00_);[Red](#,##0.00)", false},
		{`_(* #,##0_);_(* \(#,##0\);_(* "-"??_);_(@_)`, false},
		{"# ?/?", false}, // a fraction: its "/" made the old display test say date
		{`0.0"% margin"`, false},
		{"0.00E+00", false},
		{"General", false},
		{"[Blue]GENERAL", false},
		{"@", false},
		{"", false},
		{"0 yyyy", false},     // a number before the date part: excelize shows the number
		{"#,##0;yyyy", false}, // only the first section, for positive numbers, counts
		{`[$€-2] #,##0.00`, false},
		{`"yyyy`, false}, // an unterminated quote hides the rest
		{"[Red", false},
	} {
		if got := isDateFormat(tc.code); got != tc.want {
			t.Errorf("isDateFormat(%q) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestIsDateFmtID(t *testing.T) {
	dates := map[int]bool{}
	for _, r := range [][2]int{{14, 22}, {27, 36}, {45, 47}, {50, 58}, {71, 81}} {
		for id := r[0]; id <= r[1]; id++ {
			dates[id] = true
		}
	}
	for id := -1; id < 200; id++ {
		if got := isDateFmtID(id); got != dates[id] {
			t.Errorf("isDateFmtID(%d) = %v, want %v", id, got, dates[id])
		}
	}
}

func TestDateStyles(t *testing.T) {
	const styles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x16r2="http://schemas.microsoft.com/office/spreadsheetml/2015/02/main">
<numFmts count="5">
<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>
<numFmt numFmtId="165" formatCode="0.0%"/>
<numFmt numFmtId="14" formatCode="0.00"/>
<numFmt numFmtId="166" formatCode="0.00" x16r2:formatCode16="[$-409]mmm-yy"/>
<numFmt numFmtId="167" formatCode="&quot;m&quot;0"/>
</numFmts>
<cellStyleXfs count="1"><xf numFmtId="15"/></cellStyleXfs>
<cellXfs count="9">
<xf numFmtId="0"/>
<xf numFmtId="14"/>
<xf numFmtId="4"/>
<xf numFmtId="164"/>
<xf numFmtId="165"/>
<xf numFmtId="166"/>
<xf numFmtId="167"/>
<xf/>
<xf numFmtId="31"><alignment horizontal="left"/></xf>
</cellXfs>
<dxfs count="1"><dxf><numFmt numFmtId="168" formatCode="yyyy"/></dxf></dxfs>
</styleSheet>`
	got, err := dateStyles([]byte(styles))
	if err != nil {
		t.Fatal(err)
	}
	// 1: id 14 is redefined as "0.00" by the workbook, which wins.
	want := []bool{false, false, false, true, false, true, false, false, true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dateStyles = %v, want %v", got, want)
	}

	got, err = dateStyles([]byte(`<styleSheet><cellXfs><xf numFmtId="14"/><xf numFmtId="4"/></cellXfs></styleSheet>`))
	if want := []bool{true, false}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("built-in ids: %v, %v, want %v", got, err, want)
	}
	got, err = dateStyles([]byte(`<styleSheet><cellXfs><xf numFmtId="4"/></cellXfs></styleSheet>`))
	if err != nil || got != nil {
		t.Errorf("no date style: %v, %v, want nil", got, err)
	}
	if _, err := dateStyles([]byte(`<styleSheet><cellXfs><xf numFmtId="14"`)); err == nil {
		t.Error("truncated styles: no error")
	}
	// Like excelize, which decodes the root element and stops.
	got, err = dateStyles([]byte(`<styleSheet><cellXfs><xf numFmtId="14"/></cellXfs></styleSheet><junk`))
	if want := []bool{true}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("trailing junk: %v, %v, want %v", got, err, want)
	}
}

// sheetXML is a worksheet part: rows and cells with and without r
// attributes, a namespace prefix, and cells that have a date style (1) but
// hold text, a boolean or an ISO date.
const sheetXML = `<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<x:sheetViews><x:sheetView><x:selection activeCell="C1"/></x:sheetView></x:sheetViews>` +
	`<x:cols><x:col min="1" max="3" s="1"/></x:cols><x:sheetData>` +
	`<x:row r="2" spans="1:4"><x:c r="A2" t="s"><x:v>0</x:v></x:c><x:c r="B2" s="1"><x:v>46112</x:v></x:c><x:c r="C2" s="1" t="n"><x:v>46022</x:v></x:c><x:c s="1"><x:v>45930</x:v></x:c></x:row>` +
	`<x:row><x:c s="1" t="s"><x:v>1</x:v></x:c><x:c s="1" t="b"><x:v>1</x:v></x:c><x:c s="1" t="d"><x:v>2026-03-31</x:v></x:c><x:c s="2"><x:v>5</x:v></x:c><x:c s="1" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c><x:c s="1" t="str"><x:f>A1</x:f><x:v>y</x:v></x:c><x:c s="1"/></x:row>` +
	`<x:row r="70"><x:c r="AB70" s="1"><x:v>46112</x:v></x:c></x:row>` +
	`</x:sheetData><x:mergeCells count="1"><x:mergeCell ref="A1:B1"/></x:mergeCells>` +
	`<x:extLst><x:ext><x:c s="1"/></x:ext></x:extLst></x:worksheet>`

func TestDateScanner(t *testing.T) {
	want := []dateRun{{Row: 2, Col: 2, N: 3}, {Row: 3, Col: 7, N: 1}, {Row: 70, Col: 28, N: 1}}
	for _, size := range []int{1, 2, 3, 7, 64, len(sheetXML)} {
		d := &dateScanner{date: []bool{false, true, false}}
		for b := []byte(sheetXML); len(b) > 0; {
			n := min(size, len(b))
			d.Write(b[:n])
			b = b[n:]
		}
		d.flush()
		if d.err != nil || !reflect.DeepEqual(d.runs, want) {
			t.Errorf("chunks of %d: %+v, %v, want %+v", size, d.runs, d.err, want)
		}
	}
}

func TestDateCursor(t *testing.T) {
	d := dateCursor{runs: []dateRun{{Row: 2, Col: 2, N: 3}, {Row: 3, Col: 7, N: 1}, {Row: 70, Col: 28, N: 1}}}
	for _, tc := range []struct {
		row, col int
		want     bool
	}{
		{1, 2, false}, {2, 1, false}, {2, 2, true}, {2, 4, true}, {2, 5, false},
		{3, 1, false}, {3, 7, true}, {3, 8, false}, {69, 28, false}, {70, 27, false}, {70, 28, true}, {71, 1, false},
	} {
		if got := d.at(tc.row, tc.col); got != tc.want {
			t.Errorf("at(%d, %d) = %v, want %v", tc.row, tc.col, got, tc.want)
		}
	}
}

// TestReadSheetDates reads cells of every kind of number format through
// Open and ReadSheet: dates are recognised on every row, not only near the
// top, from the cell format alone.
func TestReadSheetDates(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	style := func(s *excelize.Style) int {
		t.Helper()
		id, err := f.NewStyle(s)
		must(err)
		return id
	}
	code := func(s string) *excelize.Style { return &excelize.Style{CustomNumFmt: &s} }
	const sh = "Sheet1"
	mar := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		cell  string
		value any
		style *excelize.Style
	}{
		{"A1", mar, &excelize.Style{NumFmt: 14}},
		{"B1", 1234.5, &excelize.Style{NumFmt: 4}},
		{"C1", mar, code("yyyy-mm-dd")},
		{"D1", 0.125, code("0.0%")},
		{"E1", 5, code(`"m"0`)},
		{"F1", mar, code("[$-409]mmm-yy")},
		{"G1", 1.5, code("[h]:mm")},
		{"H1", mar, code("yyyy")},
		{"I1", 1.5, code("# ?/?")},
		{"A2", -3, &excelize.Style{NumFmt: 14}},
		{"B2", "FY2026", &excelize.Style{NumFmt: 14}},
		{"C2", true, &excelize.Style{NumFmt: 14}},
		{"D2", 46112, nil},
		{"B100", mar, &excelize.Style{NumFmt: 15}},
		{"C100", 37800, &excelize.Style{NumFmt: 3}},
	} {
		must(f.SetCellValue(sh, c.cell, c.value))
		if c.style != nil {
			must(f.SetCellStyle(sh, c.cell, c.cell, style(c.style)))
		}
	}
	p := filepath.Join(t.TempDir(), "dates.xlsx")
	must(f.SaveAs(p))

	wb, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	want := []Row{
		{Num: 1, Cells: []Cell{
			{Col: 1, Raw: "46112", Date: true},
			{Col: 2, Raw: "1234.5"},
			{Col: 3, Raw: "46112", Date: true},
			{Col: 4, Raw: "0.125"},
			{Col: 5, Raw: "5"},
			{Col: 6, Raw: "46112", Date: true},
			{Col: 7, Raw: "1.5", Date: true},
			{Col: 8, Raw: "46112", Date: true},
			{Col: 9, Raw: "1.5"},
		}},
		{Num: 2, Cells: []Cell{
			{Col: 1, Raw: "-3"}, // Excel shows ####, excelize the number
			{Col: 2, Raw: "FY2026"},
			{Col: 3, Raw: "1"},
			{Col: 4, Raw: "46112"},
		}},
		{Num: 100, Cells: []Cell{{Col: 2, Raw: "46112", Date: true}, {Col: 3, Raw: "37800"}}},
	}
	if got := readAll(t, wb, sh); !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", got, want)
	}
}

// FuzzDateScanner: however the part is split into writes, the scanner finds
// the same date cells, in order.
func FuzzDateScanner(f *testing.F) {
	f.Add([]byte(sheetXML), 7)
	f.Add([]byte(`<sheetData><row r="3"><c r="B3" s="1"><v>1</v></c></row></sheetData>`), 1)
	f.Fuzz(func(t *testing.T, part []byte, size int) {
		scan := func(size int) []dateRun {
			d := &dateScanner{date: []bool{false, true, true}}
			for b := part; len(b) > 0; {
				n := min(size, len(b))
				d.Write(b[:n])
				b = b[n:]
			}
			d.flush()
			return d.runs
		}
		size = 1 + abs(size)%64
		whole, split := scan(len(part)+1), scan(size)
		if !reflect.DeepEqual(whole, split) {
			t.Fatalf("whole %+v, in writes of %d %+v", whole, size, split)
		}
		for i := 1; i < len(whole); i++ {
			a, b := whole[i-1], whole[i]
			if a.Row > b.Row || a.Row == b.Row && int(a.Col)+int(a.N) > int(b.Col) {
				t.Fatalf("runs out of order: %+v", whole)
			}
		}
	})
}

// FuzzIsDateFormat: no format code makes the classification panic, and
// quoting a code's text never turns a number format into a date one.
func FuzzIsDateFormat(f *testing.F) {
	for _, s := range []string{"yyyy-mm-dd", "[$-409]mmm-yy", `"m"0`, "[h]:mm", "0.0%", "#,##0;[Red](#,##0)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		isDateFormat(code)
		if !strings.ContainsAny(code, `"\`) && isDateFormat(`"`+code+`"`) {
			t.Fatalf("quoted %q is a date format", code)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
