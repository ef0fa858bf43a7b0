//go:build duckdb_arrow

package pipeline

import (
	"path/filepath"
	"testing"
)

// disputeSheet is one sheet stating ZZD's total net sales for Q1 2026 under
// a scale caption.
type disputeSheet struct {
	name, caption string
	value         float64
}

// writeDisputes writes one workbook of those sheets (in order) and its spec,
// and runs marginmix on it; it returns ZZD's facts and data_quality rows.
func writeDisputes(t *testing.T, sheets []disputeSheet) (facts, dq []map[string]any) {
	t.Helper()
	return writeDisputesWith(t, "", sheets)
}

// writeDisputesWith is writeDisputes with more lines of spec.
func writeDisputesWith(t *testing.T, spec string, sheets []disputeSheet) (facts, dq []map[string]any) {
	t.Helper()
	var names []string
	for _, sh := range sheets {
		names = append(names, sh.name)
	}
	cfg, f := specAndBook(t, "company: ZZD\nfiles: [\"zzd.xlsx\"]\nas_of: 2026-04-30\n"+spec, names...)
	defer f.Close()
	for _, sh := range sheets {
		for ref, v := range map[string]any{"A1": sh.caption, "B2": "Q4 2025", "C2": "Q1 2026", "A3": "Total net sales", "B3": sh.value, "C3": sh.value} {
			if err := f.SetCellValue(sh.name, ref, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(filepath.Join(cfg.Inbox, "zzd.xlsx")); err != nil {
		t.Fatal(err)
	}
	out := runWith(t, cfg)
	facts = companyRows(t, out.dir, "facts", "ZZD")
	return where(facts, "calendar_quarter", "2026Q1"), where(out.get(t, "data_quality"), "calendar_quarter", "2026Q1")
}

// Three sheets state one total: a note (3,119), the income statement
// (5,548) and a summary in thousands (5,548,000). The statement wins over
// the note although "Note" sorts first, and the published value says it
// is disputed; data_quality lists all three cells.
func TestDisputedValueStatementWins(t *testing.T) {
	facts, dq := writeDisputes(t, []disputeSheet{
		{"A Segment Note", "(in millions)", 3119},
		{"Income Statement", "(in millions)", 5548},
		{"Summary", "(in thousands)", 5548000},
	})
	if len(facts) != 1 {
		t.Fatalf("facts %v", facts)
	}
	f := facts[0]
	if f["value"] != 5548e6 || f["source_cell"] != "Income Statement!C3" || f["disputed"] != "true" {
		t.Errorf("published %v at %v, disputed %v; want 5.548e9 at Income Statement!C3, disputed", f["value"], f["source_cell"], f["disputed"])
	}
	c := where(dq, "check_name", "conflicting_values")
	if len(c) != 1 || c[0]["cells"] != "zzd.xlsx:A Segment Note!C3; zzd.xlsx:Income Statement!C3; zzd.xlsx:Summary!C3" {
		t.Errorf("conflicting_values %v", c)
	}
}

// Without a statement among them, the value most sources agree on wins
// (two of three, within the precision they were written in), and of those
// the one written most precisely.
func TestDisputedValueMajorityWins(t *testing.T) {
	facts, _ := writeDisputes(t, []disputeSheet{
		{"A Segment Note", "(in millions)", 3119},
		{"Segment Detail", "(in thousands)", 5548123},
		{"Summary", "(in millions)", 5548},
	})
	if len(facts) != 1 || facts[0]["value"] != 5548123e3 || facts[0]["disputed"] != "true" || facts[0]["source_cell"] != "Segment Detail!C3" {
		t.Errorf("facts %v; want 5,548,123,000 from Segment Detail!C3, disputed", facts)
	}
}

// The same value in millions and in thousands is no dispute.
func TestAgreeingScalesNotDisputed(t *testing.T) {
	facts, dq := writeDisputes(t, []disputeSheet{
		{"Segment Detail", "(in thousands)", 5548000},
		{"Summary", "(in millions)", 5548},
	})
	if len(facts) != 1 || facts[0]["value"] != 5548e6 || facts[0]["disputed"] != "false" || facts[0]["source_cell"] != "Segment Detail!C3" {
		t.Errorf("facts %v; want 5.548e9 from Segment Detail!C3, not disputed", facts)
	}
	if c := where(dq, "check_name", "conflicting_values"); len(c) != 0 {
		t.Errorf("conflicting_values %v", c)
	}
}

// The income statement's sheet lost its caption: its 5,548 reads as whole
// dollars, a million times below the note's 5,548 in millions. The value
// in the stated scale wins over the statement, and data_quality names the
// factor (scale_mismatch, not a plain conflict).
func TestLostScaleLosesToStatedScale(t *testing.T) {
	facts, dq := writeDisputes(t, []disputeSheet{
		{"Income Statement", "Revenue summary", 5548},
		{"Segment Note", "(in millions)", 5548},
	})
	if len(facts) != 1 || facts[0]["value"] != 5548e6 || facts[0]["source_cell"] != "Segment Note!C3" || facts[0]["disputed"] != "true" {
		t.Errorf("facts %v; want 5,548,000,000 from Segment Note!C3, disputed", facts)
	}
	m := where(dq, "check_name", "scale_mismatch")
	want := "2 values in one vintage (as of 2026-04-30) about 1,000,000 times apart, a scale lost on one sheet: " +
		"5,548 at zzd.xlsx:Income Statement!C3; 5,548,000,000 at zzd.xlsx:Segment Note!C3; facts publishes the value read in the larger stated scale"
	if len(m) != 1 || m[0]["detail"] != want {
		t.Errorf("scale_mismatch %v,\nwant detail %q", m, want)
	}
	if c := where(dq, "check_name", "conflicting_values"); len(c) != 0 {
		t.Errorf("conflicting_values %v", c)
	}
}

// A spec's prefer_sheets wins over every other rule: the note's 3,119 is
// published although the statement says 5,548, and the statement's and the
// summary's cells are a reader finding that gives the differing value.
func TestPreferredSheetWins(t *testing.T) {
	facts, dq := writeDisputesWith(t, "prefer_sheets: [\"*Note\"]\n", []disputeSheet{
		{"Income Statement", "(in millions)", 5548},
		{"Summary", "(in millions)", 3119},
		{"Segment Note", "(in millions)", 3119},
	})
	if len(facts) != 1 || facts[0]["value"] != 3119e6 || facts[0]["source_cell"] != "Segment Note!C3" || facts[0]["disputed"] != "false" {
		t.Errorf("facts %v; want 3,119,000,000 from Segment Note!C3, not disputed", facts)
	}
	if len(dq) != 0 {
		t.Errorf("data_quality for 2026Q1: %v", dq)
	}
}
