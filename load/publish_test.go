package load

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel+"="+string(b))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func publish(t *testing.T, out, id string, files map[string]string) {
	t.Helper()
	p, err := NewPublication(out, id)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(p.Dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.Dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
}

func TestPublishReplacesWholeFolder(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "out")
	publish(t, out, "1", map[string]string{"a.parquet": "one", "facts/company=X/part-0.parquet": "x1"})
	publish(t, out, "2", map[string]string{"a.parquet": "two", "b.parquet": "b"})
	if got, want := tree(t, out), []string{"a.parquet=two", "b.parquet=b"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("out = %v, want %v", got, want)
	}
	if got := entries(t, root); !reflect.DeepEqual(got, []string{"out"}) {
		t.Fatalf("left beside out: %v", got)
	}
}

func TestAbortLeavesPublishedAlone(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "out")
	publish(t, out, "1", map[string]string{"a.parquet": "one"})
	p, err := NewPublication(out, "2")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(p.Dir, "a.parquet"), []byte("half"), 0o644)
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, out); !reflect.DeepEqual(got, []string{"a.parquet=one"}) {
		t.Fatalf("out = %v", got)
	}
	if got := entries(t, root); !reflect.DeepEqual(got, []string{"out"}) {
		t.Fatalf("left beside out: %v", got)
	}
}

func TestSweepStale(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "out")
	for _, d := range []string{".out.next-killed", ".other.next-1", "out"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	if err := SweepStale(out); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, root); !reflect.DeepEqual(got, []string{".other.next-1", "out"}) {
		t.Fatalf("after sweep: %v", got)
	}
}

func TestLock(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	l1, err := Acquire(out, "run")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(out, "backfill")
	var le *LockError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || le.Holder.PID != os.Getpid() || le.Holder.Command != "run" {
		t.Fatalf("second writer: %v", err)
	}
	host, _ := os.Hostname()
	if le.Holder.Host != host || le.Holder.Started.IsZero() {
		t.Fatalf("holder = %+v", le.Holder)
	}
	// A holder that has not written its note yet is described as such,
	// not as "pid 0 on , since 0001-01-01".
	lockFile, _ := LockPath(out)
	if err := os.Truncate(lockFile, 0); err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(out, "backfill")
	if want := lockFile + ": output folder is locked by another writer, which has not said who it is yet"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	if err := l1.Release(); err != nil {
		t.Fatal(err)
	}
	// The lock file stays behind, as after a killed holder; it is taken over.
	l2, err := Acquire(out, "run")
	if err != nil {
		t.Fatalf("take over released lock: %v", err)
	}
	l2.Release()
	p, _ := LockPath(out)
	if filepath.Base(p) != ".out.lock" || filepath.Dir(p) != filepath.Dir(out) {
		t.Fatalf("lock path %s is not beside the folder", p)
	}
}

// The swap by two renames (where RENAME_EXCHANGE is missing), killed after
// either rename: the next writer's sweep leaves a whole publication in
// place, the previous one or the new, and never deletes the previous one
// while the output folder is missing.
func TestFallbackSwapKilledMidway(t *testing.T) {
	errKilled := errors.New("killed")
	defer func(f func(int) error) { swapStep = f }(swapStep)
	for _, tc := range []struct {
		step int
		want string // the manifest in place after the sweep
	}{{1, "old"}, {2, "new"}, {0, "new"}} {
		root := t.TempDir()
		out := filepath.Join(root, "out")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(out, ManifestName), []byte("old"), 0o644)
		p, err := NewPublication(out, "20261201T000000Z-abcdef")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p.Dir, ManifestName), []byte("new"), 0o644)
		swapStep = func(s int) error {
			if s == tc.step {
				return errKilled
			}
			return nil
		}
		if err := swapByRename(p.Dir, p.Out); (tc.step != 0) != errors.Is(err, errKilled) {
			t.Fatalf("step %d: swap returned %v", tc.step, err)
		}
		if err := SweepStale(out); err != nil {
			t.Fatalf("step %d: sweep: %v", tc.step, err)
		}
		if b, err := os.ReadFile(filepath.Join(out, ManifestName)); err != nil || string(b) != tc.want {
			t.Errorf("step %d: manifest %q, %v; want %q", tc.step, b, err, tc.want)
		}
		entries, _ := os.ReadDir(root)
		if len(entries) != 1 {
			t.Errorf("step %d: left beside the folder: %v", tc.step, entries)
		}
	}
}
