//go:build duckdb_arrow

package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/marginmix/marginmix/fixtures"
	"github.com/marginmix/marginmix/load"
)

// toOldLayout rewrites a publication's fact datasets as marginmix wrote
// them before issue 15, a folder per company (company=X/data_0.parquet,
// without the company column), and its manifest to match.
func toOldLayout(t *testing.T, out string) {
	t.Helper()
	ctx := context.Background()
	db, err := load.Open(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var outputs []load.Output
	for _, o := range m.Outputs {
		if !strings.HasPrefix(o.Path, "facts") {
			outputs = append(outputs, o)
		}
	}
	for _, ds := range load.FactDatasets {
		dir := filepath.Join(out, ds)
		old := dir + ".old"
		q := "COPY (SELECT * FROM read_parquet(" + load.Literal(filepath.Join(dir, "*.parquet")) + ")) TO " +
			load.Literal(old) + " (FORMAT parquet, PARTITION_BY (company))"
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(old, dir); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "company=*", "*.parquet"))
		for _, f := range files {
			rel, _ := filepath.Rel(out, f)
			outputs = append(outputs, load.Output{Path: filepath.ToSlash(rel)})
		}
	}
	m.Outputs = outputs
	if err := load.WriteManifest(filepath.Join(out, load.ManifestName), m); err != nil {
		t.Fatal(err)
	}
}

// An output folder of the old layout, a folder per company, is read by
// query and migrated by the next run even when no workbook changed: the
// same facts, in files of company ranges, and the same analyses.
func TestOldLayoutMigrates(t *testing.T) {
	inbox, out := inboxCopy(t)
	ctx := context.Background()
	if _, err := Run(ctx, cfgFor(inbox, out), nil); err != nil {
		t.Fatal(err)
	}
	want := factRowsBut(t, out, "")
	before := fileBytes(t, out)
	toOldLayout(t, out)
	if dirs, _ := filepath.Glob(filepath.Join(out, "facts", "company=AMZN")); len(dirs) != 1 {
		t.Fatal("the old layout was not made")
	}

	r, err := load.OpenReader(ctx, out, load.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := r.Query(ctx, "SELECT count(*) AS n FROM facts WHERE company = 'AMZN' AND segment = 'AWS'")
	r.Close()
	aws := len(where(want["facts/AMZN"], "segment", "AWS"))
	if err != nil || len(tbl.Rows) != 1 || fmt.Sprint(tbl.Rows[0][0]) != fmt.Sprint(aws) || aws == 0 {
		t.Fatalf("query over the old layout: %v, %v; want %d AWS facts", tbl, err, aws)
	}

	sum, err := Run(ctx, cfgFor(inbox, out), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Published || sum.Read != 0 {
		t.Fatalf("a run on the old layout: %+v", sum)
	}
	if got := factRowsBut(t, out, ""); !reflect.DeepEqual(got, want) {
		t.Fatal("the migrated facts differ from the facts published in the new layout")
	}
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if load.OldFactLayout(m.Outputs) {
		t.Fatalf("the manifest still lists the old layout: %v", m.Outputs)
	}
	after := fileBytes(t, out)
	for p, b := range before {
		if !strings.HasPrefix(p, "_") && after[p] != b {
			t.Errorf("%s differs from the first publication", p)
		}
	}
	// Migrated, the next run has nothing new.
	if sum, err := Run(ctx, cfgFor(inbox, out), nil); err != nil || !sum.NothingNew {
		t.Fatalf("the run after the migration: %+v, %v", sum, err)
	}
}

// Hundreds of small companies publish with the default settings, in a few
// files: once every company had a folder, a file and, while the step was
// written, a Parquet writer of its own, and 300 such companies ran DuckDB
// out of memory (issue 15).
func TestManyCompaniesPublishWithDefaults(t *testing.T) {
	root := t.TempDir()
	set := fixtures.NewCompaniesSet(300)
	inbox, specs, out := filepath.Join(root, "inbox"), filepath.Join(root, "specs"), filepath.Join(root, "out")
	if err := set.Write(inbox, specs); err != nil {
		t.Fatal(err)
	}
	cfg := cfgFor(inbox, out)
	cfg.Specs = specs
	sum, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(300 * set.PublishedFactsPerWorkbook()); sum.Facts != want || sum.Quarantined != 0 {
		t.Fatalf("published %d facts, %d quarantined; want %d facts", sum.Facts, sum.Quarantined, want)
	}
	for _, ds := range load.FactDatasets {
		files, _ := filepath.Glob(filepath.Join(out, ds, "*.parquet"))
		if len(files) == 0 || len(files) > 2 {
			t.Errorf("%s: %d files for 12,000 facts of 300 companies", ds, len(files))
		}
	}
	if got := len(factRowsBut(t, out, "")); got != 2*300 {
		t.Errorf("%d dataset companies, want 600", got)
	}
}
