package transform

import (
	"reflect"
	"testing"
	"time"

	"github.com/marginmix/marginmix/extract"
)

// A table of numbers under a header that reads as no periods (one date
// column, a header marginmix does not know) is one finding a sheet, never
// a silent skip; a note with a figure or two in its text is none.
func TestHeaderNotReadNoted(t *testing.T) {
	spec, err := ParseSpecBytes("test.yaml", []byte(baseSpec))
	if err != nil {
		t.Fatal(err)
	}
	rd := newReader(book{name: "test.xlsx", formulas: fakeFormulas{}}, spec, Options{}, time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), "")
	for _, sh := range []struct {
		name string
		in   []extract.Row
	}{
		{"Segments", rows("|Q1 2026|Q2 2026", "Revenue|100|110")},
		{"Leases", rows("Leases (Details)|Dec. 31, 2025", "Operating lease cost|12", "Finance lease cost|3", "Variable lease cost|1")},
		{"Narrative", rows("Debt (Narrative)|", "Interest rate|4.5%", "Term in years|5")},
	} {
		if err := feedSheet(rd, sh.name, sh.in); err != nil {
			t.Fatal(err)
		}
	}
	want := []Finding{{Sheet: "Leases", Cell: "B2",
		Message: `3 rows of numbers, but no row above them reads as a period header (such as "Q1 2026" or "3 Months Ended" over "Mar. 31, 2026"); table not read`}}
	if !reflect.DeepEqual(rd.res.Findings, want) {
		t.Errorf("findings %+v", rd.res.Findings)
	}
}
