//go:build duckdb_arrow

package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/marginmix/marginmix/load"
)

// readerFindings reads data_quality's reader_finding and
// workbook_quarantined rows as "check company | cells | detail".
func readerFindings(t *testing.T, out string) []string {
	t.Helper()
	tbl, err := load.QueryOutput(context.Background(), out, `
		SELECT check_name || ' ' || coalesce(company, '-') || ' | ' || cells || ' | ' || detail
		FROM data_quality WHERE check_name IN ('reader_finding', 'workbook_quarantined')
		ORDER BY ALL`, load.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range tbl.Rows {
		rows = append(rows, r[0].(string))
	}
	return rows
}

// The reader's findings reach the manifest and data_quality, with every
// cell; a workbook kept unchanged by the next run keeps them, and a
// quarantined one is listed with its reason.
func TestReaderFindingsPublished(t *testing.T) {
	inbox, out := inboxCopy(t)
	if _, err := Run(context.Background(), cfgFor(inbox, out), nil); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`reader_finding AMZN | amzn_1q26_segments.xlsx:Segment Information!A20; amzn_1q26_segments.xlsx:Segment Information!A21; amzn_1q26_segments.xlsx:Segment Information!A22 | 3 rows not mapped to a metric and segment; skipped: "North America" (A20), "International" (A21), "AWS" (A22)`,
		`reader_finding CRWV | crwv_1q26_financials.xlsx:Financial Summary!A8; crwv_1q26_financials.xlsx:Financial Summary!A9 | 2 rows not mapped to a metric and segment; skipped: "Operating margin" (A8), "Adjusted operating income" (A9)`,
	}
	if got := readerFindings(t, out); !reflect.DeepEqual(got, want) {
		t.Fatalf("first run:\n%q\nwant\n%q", got, want)
	}
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	wantAMZN := []load.Finding{{Sheet: "Segment Information", Cell: "A20",
		Message: `3 rows not mapped to a metric and segment; skipped: "North America" (A20), "International" (A21), "AWS" (A22)`,
		Cells:   []string{"A20", "A21", "A22"}}}
	if got := inputNamed(t, m.Inputs, "amzn_1q26_segments.xlsx").Findings; !reflect.DeepEqual(got, wantAMZN) {
		t.Fatalf("manifest findings of AMZN: %+v", got)
	}

	// Another workbook changes and a broken one arrives: AMZN and CRWV are
	// not read again, and keep their findings.
	setCell(t, filepath.Join(inbox, "orcl_fy26q3_segments.xlsx"), "Segments", "B13", 6379)
	if err := os.WriteFile(filepath.Join(inbox, "broken.xlsx"), []byte("not a workbook"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), cfgFor(inbox, out), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 2 || sum.Quarantined != 1 {
		t.Fatalf("second run read %d, quarantined %d", sum.Read, sum.Quarantined)
	}
	reason := inputNamed(t, sum.Inputs, "broken.xlsx").Reason
	want = append(want, "workbook_quarantined - | broken.xlsx | "+reason)
	if got := readerFindings(t, out); !reflect.DeepEqual(got, want) {
		t.Fatalf("second run:\n%q\nwant\n%q", got, want)
	}
}

func inputNamed(t *testing.T, inputs []load.Input, path string) load.Input {
	t.Helper()
	for _, in := range inputs {
		if in.Path == path {
			return in
		}
	}
	t.Fatalf("no input %s", path)
	return load.Input{}
}
