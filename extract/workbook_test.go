package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeBook saves a small workbook: a merged two-row header with date cells,
// a hidden row, and a second, hidden sheet.
func writeBook(t *testing.T, dir string, date1904 bool) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if date1904 {
		must(f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: boolPtr(true)}))
	}
	must(f.SetSheetName("Sheet1", "Segments"))
	must(f.SetCellValue("Segments", "A1", "(in millions)"))
	must(f.SetCellValue("Segments", "B2", "Three Months Ended"))
	must(f.MergeCell("Segments", "B2", "C2"))
	must(f.SetCellValue("Segments", "B3", time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)))
	must(f.SetCellValue("Segments", "C3", time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)))
	fmtCode := "mmmm d, yyyy"
	st, err := f.NewStyle(&excelize.Style{CustomNumFmt: &fmtCode})
	must(err)
	must(f.SetCellStyle("Segments", "B3", "C3", st))
	must(f.SetSheetRow("Segments", "A4", &[]any{"AWS", 37800, 35579.5}))
	must(f.SetSheetRow("Segments", "A5", &[]any{"Memo", 1, 2}))
	must(f.SetRowVisible("Segments", 5, false))
	_, err = f.NewSheet("Notes")
	must(err)
	must(f.SetCellValue("Notes", "A1", "hidden"))
	must(f.SetSheetVisible("Notes", false))
	p := filepath.Join(dir, "book.xlsx")
	must(f.SaveAs(p))
	return p
}

func boolPtr(b bool) *bool { return &b }

func readAll(t *testing.T, wb *Workbook, sheet string) []Row {
	t.Helper()
	var rows []Row
	if err := wb.ReadSheet(context.Background(), sheet, func(r Row) error {
		rows = append(rows, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestReadSheet(t *testing.T) {
	for _, date1904 := range []bool{false, true} {
		p := writeBook(t, t.TempDir(), date1904)
		wb, err := Open(p, Options{Name: "book.xlsx"})
		if err != nil {
			t.Fatal(err)
		}
		if wb.Date1904 != date1904 {
			t.Errorf("Date1904 = %v, want %v", wb.Date1904, date1904)
		}
		wantSheets := []SheetInfo{
			{Name: "Segments", part: "xl/worksheets/sheet1.xml", exact: "xl/worksheets/sheet1.xml", Merges: []Merge{{Top: 2, Left: 2, Bottom: 2, Right: 3}}, MaxCol: 3},
			{Name: "Notes", Hidden: true, part: "xl/worksheets/sheet2.xml", exact: "xl/worksheets/sheet2.xml", MaxCol: 1},
		}
		if !reflect.DeepEqual(wb.Sheets, wantSheets) {
			t.Errorf("Sheets = %+v, want %+v", wb.Sheets, wantSheets)
		}
		// Serial day numbers of 2026-03-31 and 2025-12-31 in each date system.
		mar, dec := "46112", "46022"
		if date1904 {
			mar, dec = "44650", "44560"
		}
		want := []Row{
			{Num: 1, Cells: []Cell{{Col: 1, Raw: "(in millions)"}}},
			{Num: 2, Cells: []Cell{{Col: 2, Raw: "Three Months Ended"}, {Col: 3, Raw: "Three Months Ended", Merged: true}}},
			{Num: 3, Cells: []Cell{{Col: 2, Raw: mar, Date: true}, {Col: 3, Raw: dec, Date: true}}},
			{Num: 4, Cells: []Cell{{Col: 1, Raw: "AWS"}, {Col: 2, Raw: "37800"}, {Col: 3, Raw: "35579.5"}}},
			{Num: 5, Hidden: true, Cells: []Cell{{Col: 1, Raw: "Memo"}, {Col: 2, Raw: "1"}, {Col: 3, Raw: "2"}}},
		}
		if got := readAll(t, wb, "Segments"); !reflect.DeepEqual(got, want) {
			t.Errorf("date1904=%v rows:\n got %+v\nwant %+v", date1904, got, want)
		}
		err = wb.ReadSheet(context.Background(), "Missing", func(Row) error { return nil })
		wantErr := &CellError{File: "book.xlsx", Sheet: "Missing", Err: ErrNoSheet}
		if !reflect.DeepEqual(err, wantErr) {
			t.Errorf("missing sheet: %v, want %v", err, wantErr)
		}
		wb.Close()
	}
}

func emptyZip() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.Close()
	return buf.Bytes()
}

// rezip rewrites a zip file, letting edit change each entry's content.
func rezip(t *testing.T, src, dst string, edit func(name string, b []byte) []byte) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(edit(f.Name, b.Bytes()))
	}
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	good := writeBook(t, dir, false)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// A bit flipped inside the compressed sheet: excelize alone would return
	// partial rows and no error.
	flipped := append([]byte(nil), data...)
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			off, _ := f.DataOffset()
			flipped[off+int64(f.CompressedSize64/2)] ^= 0x10
		}
	}

	bomb := filepath.Join(dir, "bomb.xlsx")
	rezip(t, good, bomb, func(name string, b []byte) []byte {
		if name == "xl/worksheets/sheet2.xml" {
			return bytes.Repeat([]byte(" "), 3<<20)
		}
		return b
	})
	xlsb := filepath.Join(dir, "book.xlsb")
	rezip(t, good, xlsb, func(name string, b []byte) []byte { return b })
	{
		// add xl/workbook.bin
		zr, _ := zip.OpenReader(xlsb)
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, f := range zr.File {
			w, _ := zw.Create(f.Name)
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			w.Write(b.Bytes())
		}
		w, _ := zw.Create("xl/workbook.bin")
		w.Write([]byte{0})
		zw.Close()
		zr.Close()
		os.WriteFile(xlsb, buf.Bytes(), 0o644)
	}
	dtd := filepath.Join(dir, "dtd.xlsx")
	rezip(t, good, dtd, func(name string, b []byte) []byte {
		if name == "xl/worksheets/sheet1.xml" {
			return bytes.Replace(b, []byte("?>"), []byte(`?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>`), 1)
		}
		return b
	})
	longSST := filepath.Join(dir, "sst.xlsx")
	rezip(t, good, longSST, func(name string, b []byte) []byte {
		if name == "xl/sharedStrings.xml" {
			return bytes.Replace(b, []byte("<si><t>"), []byte("<si><t>"+strings.Repeat("x", 300000-len("<t></t>"))+"</t></si><si><t>"), 1)
		}
		return b
	})
	noSheets := filepath.Join(dir, "nosheets.xlsx")
	rezip(t, good, noSheets, func(name string, b []byte) []byte {
		if name == "xl/workbook.xml" {
			i, j := bytes.Index(b, []byte("<sheets>")), bytes.Index(b, []byte("</sheets>"))
			return append(append(append([]byte(nil), b[:i]...), "<sheets>"...), b[j:]...)
		}
		return b
	})
	cfb := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...)

	for _, tc := range []struct {
		name    string
		path    string
		limits  Limits
		cause   error
		wantMsg string
	}{
		{name: "truncated", path: write("trunc.xlsx", data[:len(data)/2]), cause: ErrCorrupt,
			wantMsg: "trunc.xlsx: corrupt workbook: zip: not a valid zip file"},
		{name: "bit flip", path: write("flip.xlsx", flipped), cause: ErrCorrupt},
		{name: "csv", path: write("data.xlsx", []byte("a,b\n1,2\n")), cause: ErrFormat,
			wantMsg: `data.xlsx: not an .xlsx workbook: not a zip package (it looks like text, such as a CSV file)`},
		{name: "empty", path: write("empty.xlsx", nil), cause: ErrCorrupt,
			wantMsg: "empty.xlsx: corrupt workbook: empty file"},
		{name: "empty zip", path: write("emptyzip.xlsx", emptyZip()), cause: ErrCorrupt,
			wantMsg: "emptyzip.xlsx: corrupt workbook: no workbook part xl/workbook.xml"},
		{name: "dtd", path: dtd, cause: ErrTooLarge,
			wantMsg: "dtd.xlsx: size limit exceeded: part xl/worksheets/sheet1.xml declares a DTD (entity expansion is refused)"},
		{name: "long shared string", path: longSST, cause: ErrTooLarge,
			wantMsg: "sst.xlsx: size limit exceeded: part xl/sharedStrings.xml: a shared string of 300000 bytes, over the 262144-byte limit (string amplification)"},
		{name: "many shared strings", path: good, limits: Limits{MaxSharedStrings: 2}, cause: ErrTooLarge,
			wantMsg: "book.xlsx: size limit exceeded: part xl/sharedStrings.xml: 5 shared strings, over the limit of 2"},
		{name: "no sheets", path: noSheets, cause: ErrCorrupt,
			wantMsg: "nosheets.xlsx: corrupt workbook: xl/workbook.xml lists no sheets"},
		{name: "damaged compound file", path: write("old.xls", cfb), cause: ErrCorrupt},
		{name: "xlsb", path: xlsb, cause: ErrFormat, wantMsg: "book.xlsb: not an .xlsx workbook: binary workbook (.xlsb)"},
		{name: "part too large", path: bomb, limits: Limits{MaxPartBytes: 1 << 20}, cause: ErrTooLarge,
			wantMsg: "bomb.xlsx: size limit exceeded: part xl/worksheets/sheet2.xml: declares 3145728 bytes uncompressed, limit 1048576"},
		{name: "ratio", path: bomb, limits: Limits{MaxRatio: 100}, cause: ErrTooLarge},
		{name: "file too large", path: good, limits: Limits{MaxFileBytes: 100}, cause: ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.path, Options{Name: filepath.Base(tc.path), Limits: tc.limits})
			if !errors.Is(err, tc.cause) {
				t.Fatalf("err = %v, want cause %v", err, tc.cause)
			}
			var ce *CellError
			if !errors.As(err, &ce) || ce.File != filepath.Base(tc.path) {
				t.Fatalf("err = %#v, want *CellError naming the file", err)
			}
			if tc.wantMsg != "" && err.Error() != tc.wantMsg {
				t.Fatalf("err = %q\nwant  %q", err, tc.wantMsg)
			}
		})
	}
}

// Part names are case-insensitive and some writers use backslashes.
func TestOpenBackslashAndCaseNames(t *testing.T) {
	dir := t.TempDir()
	good := writeBook(t, dir, false)
	odd := filepath.Join(dir, "odd.xlsx")
	rezip(t, good, odd, func(name string, b []byte) []byte { return b })
	// rename entries: xl/worksheets/sheet1.xml -> xl\worksheets\Sheet1.xml etc.
	zr, err := zip.OpenReader(odd)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		var b bytes.Buffer
		b.ReadFrom(rc)
		name := f.Name
		if strings.HasPrefix(name, "xl/worksheets/") {
			name = strings.ReplaceAll(strings.Replace(name, "sheet1", "SHEET1", 1), "/", "\\")
		}
		w, _ := zw.Create(name)
		w.Write(b.Bytes())
	}
	zw.Close()
	zr.Close()
	os.WriteFile(odd, buf.Bytes(), 0o644)
	wb, err := Open(odd, Options{Name: "odd.xlsx"})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if s, _ := wb.Sheet("Segments"); !reflect.DeepEqual(s.Merges, []Merge{{Top: 2, Left: 2, Bottom: 2, Right: 3}}) {
		t.Fatalf("merges of a renamed part: %+v", s)
	}
}

func TestStringScannerSplits(t *testing.T) {
	doc := "<sst><si><t>ab</t></si><si><t>" + strings.Repeat("z", 1000) + "</t></si><si><t>c</t></si></sst>"
	want := int64(len("<t></t>") + 1000)
	for split := 0; split <= len(doc); split += 7 {
		s := &stringScanner{}
		s.Write([]byte(doc[:split]))
		s.Write([]byte(doc[split:]))
		s.flush()
		if s.longest != want {
			t.Fatalf("split %d: longest %d, want %d", split, s.longest, want)
		}
	}
}

func TestFormulaScanner(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool
	}{
		{`<c r="A1"><f>SUM(B1:B2)</f><v>3</v></c>`, true},
		{`<x:c r="A1"><x:f t="shared" ref="A1:A9" si="0"/></x:c>`, true},
		{`<c r="A1" t="s"><v>0</v></c><font/><fill/>`, false},
	} {
		for split := 0; split <= len(tc.doc); split++ {
			f := &formulaScanner{}
			f.Write([]byte(tc.doc[:split]))
			f.Write([]byte(tc.doc[split:]))
			if f.found != tc.want {
				t.Fatalf("%q split %d: %v", tc.doc, split, f.found)
			}
		}
		f := &formulaScanner{} // a byte at a time: tags over three writes
		for i := range len(tc.doc) {
			if n, err := f.Write([]byte(tc.doc[i : i+1])); n != 1 || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if f.found != tc.want {
			t.Fatalf("%q byte by byte: %v", tc.doc, f.found)
		}
	}
}

// hasFormulaTag finds what a search for each of the six tags finds, over
// every string of up to six bytes of the characters that matter.
func TestHasFormulaTagAsSixSearches(t *testing.T) {
	tags := [][]byte{[]byte("<f>"), []byte("<f "), []byte("<f/"), []byte(":f>"), []byte(":f "), []byte(":f/")}
	const alphabet = "<:f> /x"
	var gen func(b []byte, n int)
	gen = func(b []byte, n int) {
		want := false
		for _, tag := range tags {
			want = want || bytes.Contains(b, tag)
		}
		if got := hasFormulaTag(b); got != want {
			t.Fatalf("hasFormulaTag(%q) = %v, want %v", b, got, want)
		}
		if n == 0 {
			return
		}
		for i := range len(alphabet) {
			gen(append(b, alphabet[i]), n-1)
		}
	}
	gen(nil, 6)
}

// A workbook of 10,000 sheets is refused before any sheet is read.
func TestTenThousandSheets(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	var sheets, rels strings.Builder
	for i := 1; i <= 10000; i++ {
		fmt.Fprintf(&sheets, `<sheet name="S%d" sheetId="%d" r:id="rId%d"/>`, i, i, i)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i, i)
		add(fmt.Sprintf("xl/worksheets/sheet%d.xml", i), `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>`)
	}
	add("xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`+sheets.String()+`</sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels.String()+`</Relationships>`)
	zw.Close()
	p := filepath.Join(t.TempDir(), "many.xlsx")
	os.WriteFile(p, buf.Bytes(), 0o644)
	_, err := Open(p, Options{Name: "many.xlsx"})
	if !errors.Is(err, ErrTooLarge) || err.Error() != "many.xlsx: size limit exceeded: 10000 sheets, limit 5000" {
		t.Fatalf("err = %v", err)
	}
}

// Formula reads a formula from a real file: transform asks for it only for
// a cell a row needs that holds no value.
func TestFormula(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calc.xlsx")
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "B2", 10)
	f.SetCellFormula("Sheet1", "C2", "B2*1.1")
	f.NewSheet("Plain")
	f.SetCellValue("Plain", "A1", 1)
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
	wb, err := Open(path, Options{Name: "calc.xlsx"})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	for _, c := range []struct {
		sheet    string
		col, row int
		want     string
	}{
		{"Sheet1", 3, 2, "B2*1.1"}, // a formula saved without a cached value
		{"Sheet1", 2, 2, ""},       // a plain value
		{"Sheet1", 9, 9, ""},       // an empty cell
		{"Plain", 1, 1, ""},        // a sheet without formulas is not loaded
		{"Nowhere", 1, 1, ""},      // nor is a sheet that does not exist
	} {
		got, err := wb.Formula(c.sheet, c.col, c.row)
		if err != nil || got != c.want {
			t.Errorf("Formula(%s, %d, %d) = %q, %v; want %q", c.sheet, c.col, c.row, got, err, c.want)
		}
	}
}

// A read whose time is up stops at the next row, however few rows the
// sheet has: --workbook-timeout must stop hostile work within seconds.
func TestReadSheetStopsWhenTimeIsUp(t *testing.T) {
	wb, err := Open(writeBook(t, t.TempDir(), false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	rows := 0
	err = wb.ReadSheet(ctx, "Segments", func(Row) error { rows++; return nil })
	if !errors.Is(err, context.DeadlineExceeded) || rows != 0 {
		t.Fatalf("read %d rows, error %v; want none and context.DeadlineExceeded", rows, err)
	}
}
