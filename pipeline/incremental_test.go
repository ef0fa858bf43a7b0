//go:build duckdb_arrow

package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/marginmix/marginmix/load"
)

func inboxCopy(t *testing.T) (inbox, out string) {
	t.Helper()
	root := t.TempDir()
	inbox, out = filepath.Join(root, "inbox"), filepath.Join(root, "out")
	os.MkdirAll(inbox, 0o755)
	copySamples(t, inbox)
	return inbox, out
}

func cfgFor(inbox, out string) Config {
	cfg := Default()
	cfg.Inbox, cfg.Out = inbox, out
	return cfg
}

// fileBytes maps every file under out (but _state) to its content.
func fileBytes(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		if !strings.HasPrefix(rel, "_") {
			b, _ := os.ReadFile(p)
			m[rel] = string(b)
		}
		return nil
	})
	return m
}

func TestNoChangeRunPublishesNothing(t *testing.T) {
	inbox, out := inboxCopy(t)
	first, err := Run(context.Background(), cfgFor(inbox, out), nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, load.ManifestName))
	// An Excel lock file and a temporary file appear: still nothing new.
	os.WriteFile(filepath.Join(inbox, "~$amzn_1q26_segments.xlsx"), []byte("lock"), 0o644)
	os.WriteFile(filepath.Join(inbox, "download.xlsx.tmp"), []byte("partial"), 0o644)
	sum, err := Run(context.Background(), cfgFor(inbox, out), nil)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(out, load.ManifestName))
	if !sum.NothingNew || sum.Published || sum.Read != 0 || sum.Unchanged != len(first.Inputs) || string(before) != string(after) {
		t.Fatalf("second run: %+v", sum)
	}
	// --full re-reads everything and publishes the same bytes.
	files := fileBytes(t, out)
	cfg := cfgFor(inbox, out)
	cfg.Full = true
	sum, err = Run(context.Background(), cfg, nil)
	if err != nil || !sum.Published || sum.Read != len(first.Inputs) || sum.Seq != 2 {
		t.Fatalf("full run: %+v, %v", sum, err)
	}
	again := fileBytes(t, out)
	delete(files, load.ManifestName)
	delete(again, load.ManifestName)
	if !reflect.DeepEqual(files, again) {
		t.Fatal("a full rerun of unchanged inputs changed the published files")
	}
}

// setCell rewrites one cell of a workbook, as an analyst editing it would.
func setCell(t *testing.T, path, sheet, cell string, v any) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue(sheet, cell, v); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// The acceptance: change AWS revenue of one quarter, see the
// dry-run diff, run, and find only files holding AMZN changed, both values in
// facts_vintages and the restatement in data_quality with its cell.
func TestChangedCellIsARestatement(t *testing.T) {
	inbox, out := inboxCopy(t)
	if _, err := Run(context.Background(), cfgFor(inbox, out), nil); err != nil {
		t.Fatal(err)
	}
	before := fileBytes(t, out)
	othersBefore := factRowsBut(t, out, "AMZN")
	setCell(t, filepath.Join(inbox, "amzn_1q26_segments.xlsx"), "Segment Information", "J10", 38000)

	dry, err := Backfill(context.Background(), cfgFor(inbox, out), load.Scope{Companies: []string{"AMZN"}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range dry.Changes {
		lines = append(lines, c.String())
	}
	want := []string{"changed AMZN AWS revenue 2026Q1: 37800000000 -> 38000000000 (amzn_1q26_segments.xlsx:Segment Information!J10, was amzn_1q26_segments.xlsx:Segment Information!J10)"}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("dry run:\n%s", strings.Join(lines, "\n"))
	}
	if after := fileBytes(t, out); !reflect.DeepEqual(before, after) {
		t.Fatal("the dry run changed the output folder")
	}

	sum, err := Run(context.Background(), cfgFor(inbox, out), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 1 || sum.Unchanged != len(sum.Inputs)-1 {
		t.Fatalf("run read %d, kept %d", sum.Read, sum.Unchanged)
	}
	after := fileBytes(t, out)
	var changed []string
	for p := range before {
		if strings.HasPrefix(p, "facts") && before[p] != after[p] {
			changed = append(changed, p)
		}
	}
	// Only files holding AMZN change (all five companies share one file
	// here; load's TestRangesStayPut covers files of several), and no
	// other company's rows.
	if want := factFilesHolding(t, out, "AMZN"); len(changed) == 0 || !subset(changed, want) {
		t.Fatalf("changed fact files %v, want some of %v", changed, want)
	}
	if !reflect.DeepEqual(othersBefore, factRowsBut(t, out, "AMZN")) {
		t.Fatal("facts of other companies changed")
	}

	var vals []float64
	for _, r := range companyRows(t, out, "facts_vintages", "AMZN") {
		if r["segment"] == "AWS" && r["metric"] == "revenue" && r["calendar_quarter"] == "2026Q1" {
			vals = append(vals, r["value"].(float64))
		}
	}
	if !reflect.DeepEqual(vals, []float64{37800e6, 38000e6}) {
		t.Fatalf("vintages of AWS revenue 2026Q1: %v", vals)
	}
	latest := pick(t, companyRows(t, out, "facts", "AMZN"),
		"segment", "AWS", "metric", "revenue", "calendar_quarter", "2026Q1")
	if latest["value"] != 38000e6 {
		t.Fatalf("latest = %v", latest["value"])
	}
	dq := rows(t, readParquet(t, filepath.Join(out, "data_quality.parquet")))
	r := pick(t, dq, "check_name", "restatement", "company", "AMZN", "segment", "AWS", "calendar_quarter", "2026Q1")
	if r["value"] != 38000e6 || r["expected"] != 37800e6 || !strings.Contains(r["cells"].(string), "amzn_1q26_segments.xlsx:Segment Information!J10") {
		t.Fatalf("restatement = %v", r)
	}
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	m := map[string]bool{}
	for _, x := range b {
		m[x] = true
	}
	for _, x := range a {
		if !m[x] {
			return false
		}
	}
	return true
}

func TestBackfillTouchesOnlyItsCompany(t *testing.T) {
	inbox, out := inboxCopy(t)
	if _, err := Run(context.Background(), cfgFor(inbox, out), nil); err != nil {
		t.Fatal(err)
	}
	before := fileBytes(t, out)
	// CRWV's workbook changes too, but a backfill of AMZN must not pick it up.
	setCell(t, filepath.Join(inbox, "crwv_1q26_financials.xlsx"), "Financial Summary", "J6", 1800)
	scope := load.Scope{Companies: []string{"AMZN"}, From: "2024Q1", To: "2026Q1"}
	// Nothing of AMZN changed: the backfill reads, finds what is published,
	// and publishes nothing (issue 16: "0 changes", then a new run anyway).
	sum, err := Backfill(context.Background(), cfgFor(inbox, out), scope, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Published || !sum.NothingNew || sum.Read != 2 { // the AMZN segment workbook and the model, whose spec names AMZN
		t.Fatalf("backfill with nothing to change: %+v", sum)
	}
	if after := fileBytes(t, out); !reflect.DeepEqual(after, before) {
		t.Fatal("a backfill that changed nothing changed the output folder")
	}
	othersBefore := factRowsBut(t, out, "AMZN")
	// An AMZN value changes: the backfill publishes it, and CRWV's change
	// waits for the next run.
	setCell(t, filepath.Join(inbox, "amzn_1q26_segments.xlsx"), "Segment Information", "J10", 38000)
	sum, err = Backfill(context.Background(), cfgFor(inbox, out), scope, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Published || sum.Read != 2 {
		t.Fatalf("backfill: %+v", sum)
	}
	after := fileBytes(t, out)
	holding := factFilesHolding(t, out, "AMZN")
	for p, b := range before {
		if strings.HasPrefix(p, "facts") && !subset([]string{p}, holding) && after[p] != b {
			t.Errorf("%s changed", p)
		}
	}
	if !reflect.DeepEqual(othersBefore, factRowsBut(t, out, "AMZN")) {
		t.Error("facts of other companies changed")
	}
	m, _ := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if m.Command != "backfill" || m.Seq != 2 {
		t.Fatalf("manifest: %s seq %d", m.Command, m.Seq)
	}
	// The next run picks up CRWV's change.
	sum, err = Run(context.Background(), cfgFor(inbox, out), nil)
	if err != nil || sum.Read != 1 {
		t.Fatalf("run after backfill: %+v %v", sum, err)
	}

	for _, tc := range []struct {
		scope load.Scope
		want  string
	}{
		{load.Scope{}, "company: required: one or more tickers, e.g. --company AMZN"},
		{load.Scope{Companies: []string{"AMZN"}, From: "2024-Q1"}, `from: "2024-Q1" is not a calendar quarter such as 2024Q1`},
		{load.Scope{Companies: []string{"AMZN"}, From: "2026Q1", To: "2024Q1"}, "from: 2026Q1 is after --to 2024Q1"},
	} {
		_, err := Backfill(context.Background(), cfgFor(inbox, out), tc.scope, true, nil)
		var ce *ConfigError
		if !errors.As(err, &ce) || err.Error() != tc.want {
			t.Errorf("%+v: %v", tc.scope, err)
		}
	}
}

func TestCatalogRecordsAndRefusesNewer(t *testing.T) {
	inbox, out := inboxCopy(t)
	if _, err := Run(context.Background(), cfgFor(inbox, out), nil); err != nil {
		t.Fatal(err)
	}
	setCell(t, filepath.Join(inbox, "crwv_1q26_financials.xlsx"), "Financial Summary", "J6", 1800)
	if _, err := Run(context.Background(), cfgFor(inbox, out), nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := load.Open(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	catPath := filepath.Join(out, filepath.FromSlash(load.CatalogPath))
	cat, err := load.OpenCatalog(ctx, db, catPath)
	if err != nil {
		t.Fatal(err)
	}
	var runs, read, unchanged, crwvInputs, vintages int
	var version string
	q := db.Conn().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM catalog.runs),
		(SELECT read FROM catalog.runs WHERE seq = 2), (SELECT unchanged FROM catalog.runs WHERE seq = 2),
		(SELECT count(*) FROM catalog.inputs WHERE path = 'crwv_1q26_financials.xlsx'),
		(SELECT count(*) FROM catalog.vintages WHERE company = 'CRWV'),
		(SELECT value FROM catalog.meta WHERE key = 'schema_version')`)
	if err := q.Scan(&runs, &read, &unchanged, &crwvInputs, &vintages, &version); err != nil {
		t.Fatal(err)
	}
	// CRWV's facts: 18 from the workbook (seq 1), 18 from the model, and the
	// changed workbook's 18 (seq 2).
	if runs != 2 || read != 1 || unchanged != 6 || crwvInputs != 2 || vintages != 3 || version != "1" {
		t.Fatalf("runs %d read %d unchanged %d crwv inputs %d vintages %d version %s", runs, read, unchanged, crwvInputs, vintages, version)
	}
	// A catalog from a newer marginmix is refused, and nothing is published.
	if err := db.Exec(ctx, "UPDATE catalog.meta SET value = '99' WHERE key = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	cat.Close(ctx)
	before := fileBytes(t, out)
	cfg := cfgFor(inbox, out)
	cfg.Full = true
	_, err = Run(ctx, cfg, nil)
	// The error names the published catalog (the run works on a copy).
	if !errors.Is(err, load.ErrCatalogNewer) || !strings.HasSuffix(err.Error(),
		"/_state/catalog.duckdb: state catalog was written by a newer marginmix (schema 99; this one understands up to 1): use a newer marginmix") {
		t.Fatalf("err = %v", err)
	}
	if !reflect.DeepEqual(before, fileBytes(t, out)) {
		t.Fatal("output changed")
	}
}
