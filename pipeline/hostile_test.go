//go:build duckdb_arrow

package pipeline

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/transform"
)

// A workbook that changes while it is read is read again; one that keeps
// changing is quarantined.
func TestFileChangingWhileRead(t *testing.T) {
	inbox, _ := inboxCopy(t)
	specs, err := loadSpecs(specsFS(""))
	if err != nil {
		t.Fatal(err)
	}
	file := "crwv_1q26_financials.xlsx"
	path := filepath.Join(inbox, file)
	orig, _ := os.ReadFile(path)
	defer func() { afterRead = nil }()

	changes := 0
	afterRead = func(p string) {
		if changes == 0 { // the writer finishes during the first read
			changes++
			setCell(t, p, "Financial Summary", "J6", 1800)
		}
	}
	r := readOne(context.Background(), inbox, file, newReadSetup(specs, 0, ""), nil)
	if r.err != nil || changes != 1 {
		t.Fatalf("changed once: %v", r.err)
	}
	for _, f := range r.facts {
		if f.SourceCell == "Financial Summary!J6" && f.Value != 1800e6 {
			t.Fatalf("the second read should see the new value: %v", f.Value)
		}
	}

	os.WriteFile(path, orig, 0o644)
	afterRead = func(p string) { // a writer that never stops
		changes++
		setCell(t, p, "Financial Summary", "J6", 1000+changes)
	}
	r = readOne(context.Background(), inbox, file, newReadSetup(specs, 0, ""), nil)
	if !errors.Is(r.err, extract.ErrChanged) || r.input.Status != load.StatusQuarantined ||
		r.err.Error() != file+": the file changed while it was read (is it still being written?)" {
		t.Fatalf("err = %v", r.err)
	}
}

// Hostile names in specs, sheets and labels cannot reach outside the output
// folder or break partition names.
func TestPublishStaysInsideOut(t *testing.T) {
	root := t.TempDir()
	inbox, specs, out := filepath.Join(root, "inbox"), filepath.Join(root, "specs"), filepath.Join(root, "out")
	for _, d := range []string{inbox, specs} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(specs, "acme.yaml"), []byte("company: ACME.B\nfiles: [\"*.xlsx\"]\nlayout: long\n"), 0o644)
	writeLong(t, filepath.Join(inbox, "model.xlsx"), "../../x\x00", [][]any{
		{"Company", "Segment", "Metric", "Period", "Value", "Unit"},
		{"ACME.B", "../../etc/passwd", "Revenue", "Q1 2026", 10, "$m"},
		{"ACME.B", "Ω'; DROP TABLE facts; --", "Revenue", "Q2 2026", 11, "$m"},
	})
	cfg := Default()
	cfg.Inbox, cfg.Specs, cfg.Out = inbox, specs, out
	sum, err := Run(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil || sum.Quarantined != 0 || sum.Facts != 2 {
		t.Fatalf("%+v %v", sum, err)
	}
	var paths []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			paths = append(paths, p)
		}
		return nil
	})
	for _, p := range paths {
		if !strings.HasPrefix(p, out+string(filepath.Separator)) && !strings.HasPrefix(p, inbox) && !strings.HasPrefix(p, specs) &&
			p != filepath.Join(root, ".out.lock") {
			t.Errorf("file outside the output folder: %s", p)
		}
	}
	segs := map[string]bool{}
	for _, r := range companyRows(t, out, "facts", "ACME.B") {
		segs[r["segment"].(string)] = true
	}
	if !segs["../../etc/passwd"] || !segs["Ω'; DROP TABLE facts; --"] {
		t.Fatalf("segments: %v", segs)
	}
}

// writeLong saves rows to a sheet with the given (odd) name.
func writeLong(t *testing.T, path, sheet string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	name := strings.ReplaceAll(sheet, "\x00", "")
	name = strings.ReplaceAll(name, "/", "∕") // Excel forbids / in sheet names; the look-alike is allowed
	if err := f.SetSheetName("Sheet1", name); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(name, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// Facts stream into DuckDB while a workbook is read; if the workbook turns
// out bad after some batches went, none of its facts are published.
func TestStreamedFactsOfAQuarantinedWorkbookAreVoid(t *testing.T) {
	root := t.TempDir()
	inbox, specs, out := filepath.Join(root, "inbox"), filepath.Join(root, "specs"), filepath.Join(root, "out")
	os.MkdirAll(inbox, 0o755)
	os.MkdirAll(specs, 0o755)
	// A bad cell costs only its cell; what still stops a workbook mid-read
	// is a strict spec's unmapped row.
	os.WriteFile(filepath.Join(specs, "acme.yaml"), []byte("company: ACME\nfiles: [\"*.xlsx\"]\nlayout: wide\nstrict: true\n"), 0o644)
	defer func(b int) { transform.BatchSize = b }(transform.BatchSize)
	transform.BatchSize = 500
	const n = 2000 // four batches
	write := func(name string, badRow int) {
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		sw.SetRow("A1", []any{"", "Q1 2026", "Q2 2026"})
		sw.SetRow("A2", []any{"Revenue:"})
		for i := 0; i < n; i++ {
			label := fmt.Sprintf("S%05d", i)
			if i+3 == badRow {
				label = "Growth %" // a ratio row: no segment, and strict
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+3)
			sw.SetRow(cell, []any{label, i})
		}
		sw.Flush()
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		f.Close()
		// Without document properties the workbook has no vintage date.
		zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		var outBuf bytes.Buffer
		zw := zip.NewWriter(&outBuf)
		for _, e := range zr.File {
			if e.Name == "docProps/core.xml" {
				continue
			}
			w, _ := zw.Create(e.Name)
			rc, _ := e.Open()
			io.Copy(w, rc)
			rc.Close()
		}
		zw.Close()
		if err := os.WriteFile(filepath.Join(inbox, name), outBuf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bad.xlsx", 1900)
	write("good.xlsx", 0)
	cfg := Default()
	cfg.Inbox, cfg.Specs, cfg.Out = inbox, specs, out
	sum, err := Run(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Quarantined != 1 || sum.FactsRead != n || sum.Facts != n {
		t.Fatalf("%+v", sum)
	}
	var files = map[string]int{}
	for _, r := range companyRows(t, out, "facts_vintages", "ACME") {
		files[r["source_file"].(string)]++
		// No vintage date anywhere: as_of is the latest period reported.
		if r["as_of"] != "2026-03-31" {
			t.Fatalf("as_of %v", r["as_of"])
		}
	}
	if len(files) != 1 || files["good.xlsx"] != n {
		t.Fatalf("facts by file: %v", files)
	}
}
