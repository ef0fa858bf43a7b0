package transform

import (
	"reflect"
	"testing"
	"time"

	"github.com/marginmix/marginmix/extract"
)

func TestPreferredFirst(t *testing.T) {
	spec := &Spec{PreferSheets: []string{"Seg*"}}
	in := []extract.SheetInfo{{Name: "Income"}, {Name: "Segments"}, {Name: "Notes"}, {Name: "Segment Note"}}
	var got []string
	for _, sh := range preferredFirst(in, spec) {
		got = append(got, sh.Name)
	}
	if want := []string{"Segments", "Segment Note", "Income", "Notes"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// A value a preferred sheet states is passed over on the sheets read after
// it: one finding a sheet, every cell, and the values that differ.
func TestPassedOverForPreferredSheet(t *testing.T) {
	spec, err := ParseSpecBytes("test.yaml", []byte(baseSpec+"prefer_sheets: [Segments]\n"))
	if err != nil {
		t.Fatal(err)
	}
	rd := newReader(book{name: "test.xlsx", formulas: fakeFormulas{}}, spec, Options{}, time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), "")
	for _, sh := range []struct {
		name string
		in   []extract.Row
	}{
		{"Segments", rows("(in millions)", "|Q1 2026|Q2 2026", "Revenue|100|110")},
		{"Income", rows("(in thousands)", "|Q1 2026|Q2 2026|Q3 2026", "Revenue|100,000|111,000|120,000")},
	} {
		if err := feedSheet(rd, sh.name, sh.in); err != nil {
			t.Fatal(err)
		}
	}
	var cells []string
	for _, f := range rd.res.Facts {
		cells = append(cells, f.SourceCell)
	}
	if want := []string{"Segments!B3", "Segments!C3", "Income!D3"}; !reflect.DeepEqual(cells, want) {
		t.Errorf("facts from %v, want %v", cells, want)
	}
	want := []Finding{{Sheet: "Income", Cell: "B3", Cells: []string{"B3", "C3"},
		Message: "2 values also stated on a sheet prefer_sheets names; passed over, 1 of them different: C3 states 111,000,000 where Segments!C3 states 110,000,000"}}
	if !reflect.DeepEqual(rd.res.Findings, want) {
		t.Errorf("findings %+v", rd.res.Findings)
	}
}

func TestPlain(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 0.25: "0.25", 1234.5: "1,234.5"} {
		if got := plain(v); got != want {
			t.Errorf("plain(%v) = %q, want %q", v, got, want)
		}
	}
}
