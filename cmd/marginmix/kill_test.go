//go:build duckdb_arrow && integration

package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/marginmix/marginmix/load"
)

// buildBinary compiles marginmix once for the subprocess tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "marginmix")
	cmd := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return bin
}

// bigInbox copies the sample workbooks n times under distinct names.
func bigInbox(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "inbox")
	os.MkdirAll(dir, 0o755)
	samples, _ := filepath.Glob("../../fixtures/samples/*.xlsx")
	for i := 0; i < n; i++ {
		src := samples[i%len(samples)]
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(src), ".xlsx") + fmt.Sprintf("_%04d.xlsx", i)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkPublication verifies that out is one whole publication: the manifest
// lists exactly the Parquet files present, each with its size and sha256,
// each opens with its row count, and the catalog opens at the manifest's run.
func checkPublication(t *testing.T, out string) *load.Manifest {
	t.Helper()
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	listed := map[string]bool{}
	ctx := context.Background()
	db, err := load.Open(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, o := range m.Outputs {
		listed[o.Path] = true
		p := filepath.Join(out, filepath.FromSlash(o.Path))
		sum, size, err := load.FileSHA256(p)
		if err != nil || sum != o.SHA256 || size != o.Bytes {
			t.Fatalf("%s: sha %s size %d (%v), manifest %s %d", o.Path, sum, size, err, o.SHA256, o.Bytes)
		}
		var rows int64
		if err := db.Conn().QueryRowContext(ctx, "SELECT count(*) FROM read_parquet("+load.Literal(p)+")").Scan(&rows); err != nil || rows != o.Rows {
			t.Fatalf("%s: %d rows (%v), manifest %d", o.Path, rows, err, o.Rows)
		}
	}
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			rel, _ := filepath.Rel(out, p)
			if !listed[filepath.ToSlash(rel)] {
				t.Fatalf("%s is not in the manifest", rel)
			}
		}
		return nil
	})
	cat, err := load.OpenCatalog(ctx, db, filepath.Join(out, filepath.FromSlash(load.CatalogPath)))
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	defer cat.Close(ctx)
	if seq, err := cat.LastSeq(ctx); err != nil || seq != m.Seq {
		t.Fatalf("catalog at run %d (%v), manifest at %d", seq, err, m.Seq)
	}
	return m
}

func parquetBytes(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			rel, _ := filepath.Rel(out, p)
			b, _ := os.ReadFile(p)
			m[rel] = string(b)
		}
		return nil
	})
	return m
}

// SIGKILL a real run at random moments, publishing included: each time the
// output folder is exactly one whole publication, the catalog opens, and a
// rerun converges to the bytes of a clean run.
func TestKillDuringRun(t *testing.T) {
	bin := buildBinary(t)
	inbox := bigInbox(t, 140)
	root := t.TempDir()
	out := filepath.Join(root, "out")
	run := func(args ...string) error {
		cmd := exec.Command(bin, append([]string{"run", "--inbox", inbox, "--out", out, "--log-level", "error"}, args...)...)
		return cmd.Run()
	}
	start := time.Now()
	if err := run(); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	checkPublication(t, out)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	seed := rng.Int63()
	rng = rand.New(rand.NewSource(seed))
	t.Logf("clean run %s; kill times drawn with seed %d", d.Round(time.Millisecond), seed)
	const trials = 30
	var killedDuring, finished int
	var seqs []int
	for i := 0; i < trials; i++ {
		before := checkPublication(t, out).Seq
		cmd := exec.Command(bin, "run", "--full", "--inbox", inbox, "--out", out, "--log-level", "error")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Half the kills aim at the end of the run, where it publishes.
		wait := time.Duration(rng.Int63n(int64(d) * 13 / 10))
		if i%2 == 1 {
			wait = d*7/10 + time.Duration(rng.Int63n(int64(d)/2))
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
			finished++
		case <-time.After(wait):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			killedDuring++
		}
		after := checkPublication(t, out).Seq
		if after != before && after != before+1 {
			t.Fatalf("trial %d: publication went from run %d to %d", i, before, after)
		}
		seqs = append(seqs, after)
	}
	t.Logf("%d trials: %d killed, %d finished first; runs seen %v", trials, killedDuring, finished, seqs)

	// A rerun converges: same bytes as a clean run elsewhere, no staging left.
	if err := run(); err != nil {
		t.Fatal(err)
	}
	clean := filepath.Join(root, "clean")
	cmd := exec.Command(bin, "run", "--inbox", inbox, "--out", clean, "--log-level", "error")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	a, b := parquetBytes(t, out), parquetBytes(t, clean)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d vs %d parquet files", len(a), len(b))
	}
	for p := range a {
		if a[p] != b[p] {
			t.Errorf("%s differs from a clean run", p)
		}
	}
	entries, _ := os.ReadDir(root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if strings.Join(names, " ") != ".clean.lock .out.lock clean out" {
		t.Fatalf("left beside the outputs: %v", names)
	}
}

// Publishing onto a full disk fails with a clear error and leaves the
// previous publication whole. Needs root to mount a small tmpfs.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs; run as root (CI does)")
	}
	bin := buildBinary(t)
	mnt := filepath.Join(t.TempDir(), "small")
	os.MkdirAll(mnt, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	out := filepath.Join(mnt, "out")
	cmd := exec.Command(bin, "run", "--out", out, "--log-level", "error")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("first run on an empty 3 MiB disk: %v\n%s", err, b)
	}
	first := checkPublication(t, out)
	before := parquetBytes(t, out)
	// A second full publication needs room for two copies side by side.
	cmd = exec.Command(bin, "run", "--full", "--out", out, "--log-level", "error")
	b, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitFailed || !strings.Contains(strings.ToLower(string(b)), "no space left on device") {
		t.Fatalf("second run: %v\n%s", err, b)
	}
	if m := checkPublication(t, out); m.RunID != first.RunID {
		t.Fatalf("publication changed from %s to %s", first.RunID, m.RunID)
	}
	after := parquetBytes(t, out)
	if len(after) != len(before) {
		t.Fatal("files changed")
	}
	for p := range before {
		if before[p] != after[p] {
			t.Fatalf("%s changed", p)
		}
	}
	entries, _ := os.ReadDir(mnt)
	if len(entries) != 2 { // out and its lock: the staging folder is gone
		t.Fatalf("left on the disk: %v", entries)
	}
	t.Logf("second run failed as expected: %s", strings.TrimSpace(string(b)))
}
