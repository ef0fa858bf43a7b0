//go:build duckdb_arrow

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/marginmix/marginmix/load"
)

// A run publishes only into a missing folder, an empty one, or one it
// published before. A folder of the user's files (docs/, the inbox itself)
// is refused before any work, and not one of its files changes.
func TestOutRefusesAFolderOfUserFiles(t *testing.T) {
	inbox, _ := inboxCopy(t)
	docs := filepath.Join(t.TempDir(), "docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(docs, "notes.md")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, out string
		want      string
	}{
		{"user folder", docs, docs + " holds files that are not a marginmix publication"},
		{"the inbox", inbox, inbox + " holds files that are not a marginmix publication"},
		{"a file", notes, notes + " is a file, not a folder"},
		{"inside the inbox", filepath.Join(inbox, "out"), "is inside the inbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := inboxState(t, filepath.Dir(docs))
			inboxBefore := inboxState(t, inbox)
			_, err := Run(context.Background(), cfgFor(inbox, tc.out), nil)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != "out" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a ConfigError on out containing %q", err, tc.want)
			}
			if after := inboxState(t, filepath.Dir(docs)); !reflect.DeepEqual(after, before) {
				t.Errorf("the folder changed: %v -> %v", before, after)
			}
			if after := inboxState(t, inbox); !reflect.DeepEqual(after, inboxBefore) {
				t.Errorf("the inbox changed: %v -> %v", inboxBefore, after)
			}
			if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
				t.Errorf("notes.md: %q, %v", b, err)
			}
		})
	}
}

// An empty folder and a folder marginmix published before are fine.
func TestOutAcceptsEmptyAndPublished(t *testing.T) {
	inbox, _ := inboxCopy(t)
	out := filepath.Join(t.TempDir(), "empty")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // empty, then its own publication
		sum, err := Run(context.Background(), cfgFor(inbox, out), nil)
		if err != nil || (i == 0 && !sum.Published) {
			t.Fatalf("run %d: %+v, %v", i, sum, err)
		}
	}
}

// A link given as --out stays a link: its target is published into. Two
// paths to one folder, the link and the target, share one lock.
func TestOutLinkStaysALinkAndSharesTheLock(t *testing.T) {
	inbox, _ := inboxCopy(t)
	root := t.TempDir()
	target, link := filepath.Join(root, "target"), filepath.Join(root, "out")
	if err := os.Symlink(target, link); err != nil { // to a folder not made yet
		t.Fatal(err)
	}
	for i := range 2 {
		cfg := cfgFor(inbox, link)
		cfg.Full = i == 1 // the second run publishes again: a swap
		if _, err := Run(context.Background(), cfg, nil); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("run %d: --out is no longer a link: %v, %v", i, fi, err)
		}
		if _, err := os.Stat(filepath.Join(target, "_manifest.json")); err != nil {
			t.Fatalf("run %d: the target holds no publication: %v", i, err)
		}
	}
	lock, err := load.Acquire(target, "run")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	cfg := cfgFor(inbox, link)
	cfg.Full = true
	if _, err := Run(context.Background(), cfg, nil); !errors.Is(err, load.ErrLocked) {
		t.Fatalf("a run through the link while the target is locked: %v, want ErrLocked", err)
	}
}

// Paths are taken literally wherever they reach DuckDB or a glob: with [,
// ], ?, * and \ in --out, --inbox, --specs and --sql, a run publishes every
// fact and analysis, and the next run (one workbook changed) keeps them.
func TestGlobCharactersInPaths(t *testing.T) {
	root := filepath.Join(t.TempDir(), `q[1]?*\x`)
	inbox, out := filepath.Join(root, "in[box]"), filepath.Join(root, "out[2]")
	specs, sqlDir := filepath.Join(root, "specs?"), filepath.Join(root, "sql*")
	for _, d := range []string{inbox, specs, sqlDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copySamples(t, inbox)
	for _, name := range []string{"amzn.yaml", "crwv.yaml", "googl.yaml", "model.yaml", "msft.yaml", "orcl.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "fixtures", "specs", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(specs, name), b, 0o644)
	}
	os.WriteFile(filepath.Join(sqlDir, "my_counts.sql"), []byte("SELECT company, count(*) AS n FROM facts GROUP BY company ORDER BY company\n"), 0o644)
	cfg := cfgFor(inbox, out)
	cfg.Specs, cfg.SQL = specs, sqlDir
	first, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	setCell(t, filepath.Join(inbox, "orcl_fy26q3_segments.xlsx"), "Segments", "B13", 6379)
	second, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Facts == 0 || second.Facts != first.Facts || second.Read != 1 {
		t.Fatalf("facts %d then %d (read %d): a path was taken as a pattern", first.Facts, second.Facts, second.Read)
	}
	tbl, err := load.QueryOutput(context.Background(), out, "SELECT sum(n) FROM my_counts", load.ReaderOptions{})
	if err != nil || len(tbl.Rows) != 1 || fmt.Sprint(tbl.Rows[0][0]) != fmt.Sprint(first.Facts) {
		t.Fatalf("my_counts: %v, %v; want %d facts", tbl, err, first.Facts)
	}
}
