//go:build duckdb_arrow

package pipeline

import (
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A run's temporary folder is removed by the next run once its owner is
// gone, and never while the owner lives.
func TestWorkFoldersOfDeadRunsAreSwept(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	live, release, err := workFolder(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	// A dead run's folder: its lock file exists and nobody holds it.
	dead := filepath.Join(dir, tempPrefix+"dead")
	os.MkdirAll(dead, 0o755)
	os.WriteFile(filepath.Join(dead, "owner.lock"), nil, 0o600)
	os.WriteFile(filepath.Join(dead, "work.duckdb"), []byte("data"), 0o600)
	// A folder being made (no lock file yet), and someone else's folder.
	young := filepath.Join(dir, tempPrefix+"young")
	os.MkdirAll(young, 0o755)
	other := filepath.Join(dir, "other-dir")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "owner.lock"), nil, 0o600)

	second, release2, err := workFolder(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if exists(dead) || !exists(live) || !exists(young) || !exists(other) || !exists(second) {
		t.Fatalf("after the sweep: dead %v live %v young %v other %v second %v",
			exists(dead), exists(live), exists(young), exists(other), exists(second))
	}
	// The lock is really held: another open file description cannot take it.
	f, err := os.Open(filepath.Join(live, "owner.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != syscall.EWOULDBLOCK {
		t.Fatalf("flock on a live run's folder: %v, want EWOULDBLOCK", err)
	}
	release()
	release2()
	if exists(live) || exists(second) {
		t.Fatal("release left the folder")
	}
}
