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
