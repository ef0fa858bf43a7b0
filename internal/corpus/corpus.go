// Package corpus locates the shared corpus of real spreadsheets
// (../shared/corpus beside the repository) for tests, which skip with a clear
// message where it is absent.
package corpus

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Dir returns the corpus folder: $MARGINMIX_CORPUS, or shared/corpus beside
// the repository root. It skips the test when neither exists.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("MARGINMIX_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(d), "shared", "corpus")
			if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err != nil {
				t.Skipf("corpus not found at %s (set MARGINMIX_CORPUS to run this test)", c)
			}
			return c
		}
		if filepath.Dir(d) == d {
			t.Skip("corpus not found: no go.mod above the test (set MARGINMIX_CORPUS)")
		}
	}
}

// Entry is one line of MANIFEST.tsv.
type Entry struct {
	Folder, File, Kind string
}

// Manifest reads MANIFEST.tsv.
func Manifest(t testing.TB, dir string) []Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			continue
		}
		out = append(out, Entry{Folder: cols[0], File: cols[1], Kind: cols[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
