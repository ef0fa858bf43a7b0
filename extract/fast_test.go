package extract

import (
	"archive/zip"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/marginmix/marginmix/fixtures"
	"github.com/marginmix/marginmix/internal/corpus"
)

// readAllSheets reads every sheet of a workbook with the fast reader or
// with excelize alone, as one comparable value: the Open error, or each
// sheet's rows and read error.
func readAllSheets(path string, excelizeOnly bool) (out []string, fast int) {
	wb, err := Open(path, Options{Name: filepath.Base(path), Excelize: excelizeOnly})
	if err != nil {
		return []string{"open: " + err.Error()}, 0
	}
	defer wb.Close()
	out = append(out, fmt.Sprintf("modified %v date1904 %v", wb.Modified, wb.Date1904))
	for _, sh := range wb.Sheets {
		var rows []Row
		err := wb.ReadSheet(context.Background(), sh.Name, func(r Row) error {
			rows = append(rows, r)
			return nil
		})
		out = append(out, fmt.Sprintf("%s: %d rows, err %v", sh.Name, len(rows), err))
		for _, r := range rows {
			out = append(out, fmt.Sprintf("  %+v", r))
		}
	}
	return append(out, fmt.Sprintf("cells %d", wb.Cells)), wb.fastSheets
}

// sameAsExcelize fails unless the fast reader gives what excelize gives,
// and returns how many sheets it read.
func sameAsExcelize(t *testing.T, path string) int {
	t.Helper()
	want, _ := readAllSheets(path, true)
	got, fast := readAllSheets(path, false)
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("%s: line %d differs:\nfast:     %.300s\nexcelize: %.300s", filepath.Base(path), i, got[i], want[i])
				return fast
			}
		}
		t.Errorf("%s: %d lines, excelize %d", filepath.Base(path), len(got), len(want))
	}
	return fast
}

// Every workbook of ../shared/corpus (wild, earnings, real) reads the same
// with the fast reader as with excelize: the same cells, dates, merged
// fills, hidden rows and errors. Most sheets are the fast reader's.
func TestFastReaderMatchesExcelizeOnCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	sheets, fast := 0, 0
	for _, e := range corpus.Manifest(t, dir) {
		path := filepath.Join(dir, e.Folder, e.File)
		if e.Folder == "wild" && e.Kind != "readable" {
			sameAsExcelize(t, path) // the same error
			continue
		}
		n := sameAsExcelize(t, path)
		fast += n
		if wb, err := Open(path, Options{}); err == nil {
			sheets += len(wb.Sheets)
			wb.Close()
		}
	}
	t.Logf("%d of %d sheets read by the fast reader", fast, sheets)
	if fast*10 < sheets*8 {
		t.Errorf("the fast reader read %d of %d sheets; expected most", fast, sheets)
	}
}

// Generated workbooks too: the bundled samples, an earnings supplement, a
// small company's workbook and a long-table model.
func TestFastReaderMatchesExcelizeOnGenerated(t *testing.T) {
	dir := t.TempDir()
	sets := []interface {
		Write(inbox, specs string) error
	}{
		fixtures.NewEarningsSet(2), fixtures.NewCompaniesSet(2),
		fixtures.ModelSet{Workbooks: 1, Rows: 5000, Cols: 8, Seed: 3}, // a sheet of 1.4 MB: the scanner's buffer moves
	}
	var paths []string
	for i, s := range sets {
		inbox := filepath.Join(dir, fmt.Sprint(i))
		if err := s.Write(inbox, filepath.Join(dir, fmt.Sprint(i, "specs"))); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(inbox, "*.xlsx"))
		paths = append(paths, files...)
	}
	samples, err := fs.Glob(fixtures.Samples(), "*.xlsx")
	if err != nil || len(samples) == 0 {
		t.Fatalf("bundled samples: %v", err)
	}
	for _, name := range samples {
		b, err := fs.ReadFile(fixtures.Samples(), name)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	fast, sheets := 0, 0
	for _, p := range paths {
		fast += sameAsExcelize(t, p)
		if wb, err := Open(p, Options{}); err == nil {
			sheets += len(wb.Sheets)
			wb.Close()
		}
	}
	// Every sheet here is ordinary: the fast reader must read them all.
	if fast != sheets || len(paths) < 8 {
		t.Fatalf("%d workbooks: %d of %d sheets read fast", len(paths), fast, sheets)
	}
}

// fuzzBook writes a one-sheet workbook around a sheet part and a shared
// strings part, with a date style (s="1").
func fuzzBook(t *testing.T, sheet, sst []byte) string {
	t.Helper()
	parts := []struct {
		name string
		body []byte
	}{
		{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`)},
		{"_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`)},
		{"xl/styles.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`)},
		{"xl/worksheets/sheet1.xml", sheet},
		{"xl/sharedStrings.xml", sst},
	}
	p := filepath.Join(t.TempDir(), "fuzz.xlsx")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, part := range parts {
		w, err := zw.Create(part.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(part.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// FuzzFastReader feeds the same sheet and shared strings to the fast reader
// and to excelize: whatever the fast reader takes, it reads as excelize
// does; the rest it leaves to excelize.
func FuzzFastReader(f *testing.F) {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	sst := `<?xml version="1.0" encoding="UTF-8"?><sst ` + ns + ` count="3"><si><t>Net sales</t></si><si><r><t xml:space="preserve">AWS </t></r><r><rPr><b/></rPr><t>_x0041_ &amp; co</t></r><rPh><t>x</t></rPh></si><si><t/></si></sst>`
	for _, sheet := range []string{
		`<worksheet ` + ns + `><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46112</v></c></row><row r="3" hidden="1"><c r="A3" t="s"><v>1</v></c><c r="C3"><v>-1.5E3</v></c><c t="inlineStr"><is><t>inline&#x41;</t></is></c></row></sheetData><mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells></worksheet>`,
		`<?xml version="1.0"?>` + "\r\n" + `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row><x:c><x:v> 12 </x:v></x:c><x:c t="str"><x:f>A1*2</x:f><x:v>24` + "\r\n" + `</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>`,
		`<worksheet ` + ns + `><sheetData><row r="2"><c r="B2" t="e"><v>#DIV/0!</v></c><c r="D2" t="s"><v>2</v></c></row><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>`,
		`<worksheet ` + ns + `><!-- c --><sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>`,
	} {
		f.Add([]byte(sheet), []byte(sst))
	}
	f.Fuzz(func(t *testing.T, sheet, sst []byte) {
		sameAsExcelize(t, fuzzBook(t, sheet, sst))
	})
}

// The fast reader reads a small sheet and the shared strings from the bytes
// inspect verified, once, instead of decompressing them again; a part over
// maxKeptPart is read from the package. Both read the same cells.
func TestFastReaderReadsKeptPartsOnce(t *testing.T) {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	sst := `<sst ` + ns + ` count="1"><si><t>Net sales</t></si></sst>`
	small := `<worksheet ` + ns + `><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>12.5</v></c></row></sheetData></worksheet>`
	pad := `<!--` + strings.Repeat("x", maxKeptPart) + `-->`
	for _, tc := range []struct {
		name  string
		sheet string
		kept  int // parts kept after Open: the sheet and the shared strings
	}{
		{"small", small, 2},
		{"over maxKeptPart", strings.Replace(small, "<sheetData>", pad+"<sheetData>", 1), 1},
	} {
		wb, err := Open(fuzzBook(t, []byte(tc.sheet), []byte(sst)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(wb.fast.kept); got != tc.kept {
			t.Errorf("%s: %d parts kept, want %d", tc.name, got, tc.kept)
		}
		for range 2 { // the second read decompresses: nothing kept is left
			var rows []Row
			if err := wb.ReadSheet(context.Background(), "S", func(r Row) error { rows = append(rows, r); return nil }); err != nil {
				t.Fatal(err)
			}
			want := []Row{{Num: 1, Cells: []Cell{{Col: 1, Raw: "Net sales"}, {Col: 2, Raw: "12.5"}}}}
			if !reflect.DeepEqual(rows, want) {
				t.Errorf("%s: rows %+v, want %+v", tc.name, rows, want)
			}
			if len(wb.fast.kept) != 0 {
				t.Errorf("%s: %d parts still kept after reading", tc.name, len(wb.fast.kept))
			}
		}
		if wb.fastSheets != 2 {
			t.Errorf("%s: %d sheets read fast, want 2", tc.name, wb.fastSheets)
		}
		wb.Close()
	}
}
