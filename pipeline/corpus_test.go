//go:build duckdb_arrow

package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/internal/corpus"
	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/transform"
)

// catchAll is a spec that claims every file, so that each wild workbook goes
// all the way through extraction and transformation.
func catchAll(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "all.yaml"), []byte("company: WILD\nfiles: [\"*\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// perFileLimit bounds how long any one wild file may take to read here
// (the largest takes about 4 s on the 2-core CI machine).
const perFileLimit = 60 * time.Second

// Every file of ../shared/corpus/wild gets the outcome MANIFEST.tsv expects:
// readable files ingest or fail with a classified, non-damage error;
// encrypted, corrupt, wrong-format and security files fail with the matching
// classified error; nothing panics; each file is bounded in time.
func TestWildCorpusOutcomes(t *testing.T) {
	dir := corpus.Dir(t)
	specs, err := loadSpecs(os.DirFS(catchAll(t)))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	kinds := map[string]string{}
	for _, e := range corpus.Manifest(t, dir) {
		if e.Folder == "wild" {
			files = append(files, e.File)
			kinds[e.File] = e.Kind
		}
	}
	if len(files) < 190 {
		t.Fatalf("manifest lists %d wild files", len(files))
	}
	cfg := Default()
	results := readAll(context.Background(), cfg, filepath.Join(dir, "wild"), files, newReadSetup(specs, cfg.WorkbookTimeout, ""), slog.New(slog.DiscardHandler), nil)
	// Outcomes that are right for a readable file: it has no quarterly
	// table (most test workbooks), or a cell that is not what its row needs.
	readableOK := []error{transform.ErrNoFacts, transform.ErrBadNumber, transform.ErrBadDate}
	// Known exceptions, each with its reason.
	exceptions := map[string]error{
		// Valid OOXML whose workbook.xml is UTF-16; excelize reads UTF-8 only.
		"roo__Pfand_from_windows_phone.xlsx": extract.ErrFormat,
		// An XML map whose schema points at http://localhost: nothing is
		// fetched, and the workbook holds no table.
		"poi__xxe_in_schema.xlsx": transform.ErrNoFacts,
	}
	ok := 0
	for i, r := range results {
		name, kind := files[i], kinds[files[i]]
		if r.elapsed > perFileLimit {
			t.Errorf("%s: took %s", name, r.elapsed)
		}
		if r.err != nil {
			var ce *extract.CellError
			if !errors.As(r.err, &ce) || ce.File != name {
				t.Errorf("%s: error %v does not name the file", name, r.err)
			}
		}
		if want, ok := exceptions[name]; ok {
			if !errors.Is(r.err, want) {
				t.Errorf("%s (%s): %v, want %v", name, kind, r.err, want)
			}
			continue
		}
		switch {
		case kind == "readable":
			if r.err == nil {
				ok++
				continue
			}
			matched := false
			for _, e := range readableOK {
				matched = matched || errors.Is(r.err, e)
			}
			if !matched {
				t.Errorf("%s (readable): %v", name, r.err)
			}
		case kind == "encrypted":
			if !errors.Is(r.err, extract.ErrEncrypted) {
				t.Errorf("%s (encrypted): %v", name, r.err)
			}
		case strings.HasPrefix(kind, "corrupt"):
			if !errors.Is(r.err, extract.ErrCorrupt) {
				t.Errorf("%s (%s): %v", name, kind, r.err)
			}
		case strings.HasPrefix(kind, "wrong-format"):
			if !errors.Is(r.err, extract.ErrFormat) {
				t.Errorf("%s (%s): %v", name, kind, r.err)
			}
		case kind == "security":
			if !errors.Is(r.err, extract.ErrTooLarge) {
				t.Errorf("%s (security): %v", name, r.err)
			}
		default:
			t.Errorf("%s: unknown kind %q", name, kind)
		}
	}
	t.Logf("%d wild files, %d ingested", len(files), ok)
}

// The acceptance run: marginmix run over the whole wild folder publishes,
// reports quarantines, and its manifest accounts for every file.
func TestWildCorpusRun(t *testing.T) {
	dir := corpus.Dir(t)
	cfg := Default()
	cfg.Inbox, cfg.Specs, cfg.Out = filepath.Join(dir, "wild"), catchAll(t), filepath.Join(t.TempDir(), "out")
	sum, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "wild"))
	m, err := load.ReadManifest(filepath.Join(cfg.Out, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs) != len(entries) || sum.Quarantined == 0 || sum.Quarantined == len(entries) {
		t.Fatalf("%d files, %d inputs in the manifest, %d quarantined", len(entries), len(m.Inputs), sum.Quarantined)
	}
	for _, in := range m.Inputs {
		switch in.Status {
		case load.StatusOK:
			if in.Reason != "" || in.Facts == 0 {
				t.Errorf("%s: ok with reason %q, %d facts", in.Path, in.Reason, in.Facts)
			}
		case load.StatusQuarantined:
			if !strings.HasPrefix(in.Reason, in.Path+": ") {
				t.Errorf("%s: reason %q does not name the file", in.Path, in.Reason)
			}
			if _, err := os.Stat(filepath.Join(cfg.Out, "_quarantine", in.Path+".reason.txt")); err != nil {
				t.Errorf("%s: no reason file", in.Path)
			}
		default:
			t.Errorf("%s: status %q", in.Path, in.Status)
		}
		if len(in.SHA256) != 64 {
			t.Errorf("%s: sha256 %q", in.Path, in.SHA256)
		}
	}
}
