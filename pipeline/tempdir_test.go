//go:build duckdb_arrow

package pipeline

import (
	"context"
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
	young := filepath.Join(dir, tempPrefix+"young") // being made: its lock has no name yet
	other := filepath.Join(dir, "other-dir")        // not a run's
	for _, d := range []string{dead, young, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(dead, "owner.lock"), filepath.Join(dead, "work.duckdb"),
		filepath.Join(young, "owner.lock.new"), filepath.Join(other, "owner.lock")} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

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

// Runs starting together with the same temporary directory never sweep
// each other's folders: each folder's lock is taken before it has the name
// the sweep looks for.
func TestWorkFoldersOfRunsStartingTogether(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	stop := make(chan struct{})
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		for {
			select {
			case <-stop:
				return
			default:
				sweepWorkFolders(dir, log)
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		path, release, err := workFolder(dir, log)
		if err != nil {
			close(stop)
			t.Fatalf("run %d: %v", i, err)
		}
		if err := os.WriteFile(filepath.Join(path, "work.duckdb"), []byte("x"), 0o600); err != nil {
			close(stop)
			t.Fatalf("run %d: its folder was swept: %v", i, err)
		}
		release()
	}
	close(stop)
	<-swept
}

// Every temporary file of a run lives in its work folder: a finished run
// leaves nothing in --temp-dir, and a dead run's folder (with its samples
// and excelize's files) is swept even by a run that has nothing new.
func TestRunKeepsItsTemporaryFilesInItsWorkFolder(t *testing.T) {
	tmp := t.TempDir()
	cfg := Default()
	cfg.Out, cfg.TempDir = filepath.Join(t.TempDir(), "out"), tmp // the bundled samples
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("left in --temp-dir after a run: %v", entries)
	}
	dead := filepath.Join(tmp, tempPrefix+"dead")
	for _, p := range []string{"owner.lock", "marginmix-samples-1/amzn.xlsx", "excelize-123"} {
		p = filepath.Join(dead, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := Run(context.Background(), cfg, nil)
	if err != nil || !sum.NothingNew {
		t.Fatalf("second run: %+v, %v", sum, err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("left in --temp-dir after a run with nothing new: %v", entries)
	}
}
