//go:build duckdb_arrow

package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/marginmix/marginmix/load"
)

// shardedRun stages the n shards of a batch one after another (a backfill
// when scope is set), then commits the batch.
func shardedRun(t *testing.T, cfg Config, n int, batch string, scope *load.Scope) *Summary {
	t.Helper()
	read := 0
	for i := range n {
		c := cfg
		c.Shard, c.Batch = Shard{I: i, N: n}, batch
		var sum *Summary
		var err error
		if scope != nil {
			sum, err = Backfill(context.Background(), c, *scope, false, nil)
		} else {
			sum, err = Run(context.Background(), c, nil)
		}
		if err != nil {
			t.Fatalf("shard %d/%d: %v", i, n, err)
		}
		if sum.Published || sum.Staged == "" {
			t.Fatalf("shard %d/%d published or staged nothing: %+v", i, n, sum)
		}
		read += sum.Read
	}
	cfg.Batch = batch
	sum, err := Commit(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("commit %s: %v", batch, err)
	}
	if sum.Read != read {
		t.Fatalf("commit read %d workbooks, its shards %d", sum.Read, read)
	}
	return sum
}

// sameFigures compares what two summaries report of a run.
func sameFigures(t *testing.T, step string, one, sharded *Summary) {
	t.Helper()
	type figures struct {
		Read, Unchanged, Quarantined, FactsRead int
		Facts                                   int64
		Published, NothingNew                   bool
		Seq                                     int
	}
	a := figures{one.Read, one.Unchanged, one.Quarantined, one.FactsRead, one.Facts, one.Published, one.NothingNew, one.Seq}
	b := figures{sharded.Read, sharded.Unchanged, sharded.Quarantined, sharded.FactsRead, sharded.Facts, sharded.Published, sharded.NothingNew, sharded.Seq}
	if a != b {
		t.Fatalf("%s: one run %+v, sharded %+v", step, a, b)
	}
}

// samePublication compares two output folders: every dataset byte for
// byte, the manifests but for run ids and times, the quarantine.
func samePublication(t *testing.T, step, one, sharded string) {
	t.Helper()
	if a, b := fileBytes(t, one), fileBytes(t, sharded); !reflect.DeepEqual(a, b) {
		for k := range a {
			if a[k] != b[k] {
				t.Errorf("%s: %s differs", step, k)
			}
		}
		t.Fatalf("%s: datasets differ: %d files against %d", step, len(a), len(b))
	}
	ma, err := load.ReadManifest(filepath.Join(one, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := load.ReadManifest(filepath.Join(sharded, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ma.Inputs, mb.Inputs) || !reflect.DeepEqual(ma.Outputs, mb.Outputs) ||
		ma.Seq != mb.Seq || ma.Command != mb.Command || ma.ExtractFingerprint != mb.ExtractFingerprint || ma.AnalysisFingerprint != mb.AnalysisFingerprint {
		t.Fatalf("%s: manifests differ:\none:     %+v\nsharded: %+v", step, ma, mb)
	}
	if a, b := fileBytes(t, filepath.Join(one, "_quarantine")), fileBytes(t, filepath.Join(sharded, "_quarantine")); !reflect.DeepEqual(a, b) || len(a) == 0 {
		t.Fatalf("%s: quarantines differ: %d files against %d", step, len(a), len(b))
	}
}

// The acceptance, on a local folder: three shards and a commit
// publish what one run publishes, through a first run, a changed workbook,
// a removed one, a rerun with nothing new and a backfill, with a workbook
// quarantined all along.
func TestShardedRunPublishesWhatOneRunDoes(t *testing.T) {
	inbox, one := inboxCopy(t)
	sharded := filepath.Join(filepath.Dir(one), "sharded")
	if err := os.WriteFile(filepath.Join(inbox, "amzn_broken.xlsx"), []byte("not a workbook"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		change func()
		scope  *load.Scope
	}{
		{"first run", func() {}, nil},
		{"changed workbook", func() {
			setCell(t, filepath.Join(inbox, "amzn_1q26_segments.xlsx"), "Segment Information", "J10", 38000)
		}, nil},
		{"removed workbook", func() { os.Remove(filepath.Join(inbox, "googl_1q26_segments.xlsx")) }, nil},
		{"nothing new", func() {}, nil},
		{"backfill, nothing changed", func() {}, &load.Scope{Companies: []string{"AMZN"}}},
		{"backfill of a change", func() {
			setCell(t, filepath.Join(inbox, "amzn_1q26_segments.xlsx"), "Segment Information", "J10", 38100)
		}, &load.Scope{Companies: []string{"AMZN"}, From: "2026Q1"}},
	}
	for i, s := range steps {
		s.change()
		var a *Summary
		var err error
		if s.scope != nil {
			a, err = Backfill(context.Background(), cfgFor(inbox, one), *s.scope, false, nil)
		} else {
			a, err = Run(context.Background(), cfgFor(inbox, one), nil)
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		b := shardedRun(t, cfgFor(inbox, sharded), 3, "batch-"+itoa(i), s.scope)
		sameFigures(t, s.name, a, b)
		if want := i != 3 && i != 4; a.Published != want {
			t.Fatalf("%s: published %v", s.name, a.Published)
		}
		samePublication(t, s.name, one, sharded)
		if _, err := os.Stat(filepath.Join(filepath.Dir(sharded), ".sharded.shards")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: the committed batch was left staged (%v)", s.name, err)
		}
	}
}

// Every shard gets a share, and the shares cover the inbox once.
func TestShardsSplitByPath(t *testing.T) {
	paths := []string{"a.xlsx", "b/c.xlsx", "amzn_1q26_segments.xlsx", "x/y/z.xlsx", "ß.xlsx"}
	for i := range 100 {
		paths = append(paths, "gen/"+itoa(i)+".xlsx")
	}
	counts := make([]int, 3)
	for _, p := range paths {
		n := 0
		for i := range 3 {
			if (Shard{I: i, N: 3}).Holds(p) {
				counts[i]++
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%s is in %d shards", p, n)
		}
	}
	for i, c := range counts {
		if c < 20 {
			t.Fatalf("shard %d/3 holds %d of %d paths: %v", i, c, len(paths), counts)
		}
	}
	// The split is FNV-1a (64 bits) of the path modulo N, as documented:
	// shards on other machines and of other versions must agree on it.
	for _, p := range paths {
		h := uint64(14695981039346656037)
		for _, c := range []byte(p) {
			h ^= uint64(c)
			h *= 1099511628211
		}
		for _, n := range []int{1, 3, 7} {
			if !(Shard{I: int(h % uint64(n)), N: n}).Holds(p) {
				t.Fatalf("%s: FNV-1a says shard %d/%d", p, h%uint64(n), n)
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	if s, err := ParseShard("2/3"); err != nil || s != (Shard{2, 3}) {
		t.Fatalf("2/3: %v, %v", s, err)
	}
	for _, bad := range []string{"3/3", "-1/3", "1", "a/3", "0/0", "0/10001", "1/2/3"} {
		_, err := ParseShard(bad)
		want := `"` + bad + `" is not a shard I/N with 0 <= I < N <= 10000, such as 0/3`
		if err == nil || err.Error() != want {
			t.Fatalf("%s: %v", bad, err)
		}
	}
}

// stageShards stages some shards of an n-shard batch.
func stageShards(t *testing.T, cfg Config, batch string, n int, shards ...int) {
	t.Helper()
	for _, i := range shards {
		c := cfg
		c.Shard, c.Batch = Shard{I: i, N: n}, batch
		if _, err := Run(context.Background(), c, nil); err != nil {
			t.Fatalf("shard %d/%d: %v", i, n, err)
		}
	}
}

func commitErr(t *testing.T, cfg Config, batch string) error {
	t.Helper()
	cfg.Batch = batch
	sum, err := Commit(context.Background(), cfg, nil)
	if err == nil {
		t.Fatalf("commit %s: %+v", batch, sum)
	}
	return err
}

// A commit refuses a batch that is incomplete, mixed or read against
// another publication, and publishes nothing.
func TestCommitRefusesWhatIsNotOneBatch(t *testing.T) {
	inbox, out := inboxCopy(t)
	cfg := cfgFor(inbox, out)

	err := commitErr(t, cfg, "none")
	var inc *IncompleteError
	if !errors.As(err, &inc) || err.Error() != "batch none: no shard is staged (run `marginmix run --shard I/N --batch none` first)" {
		t.Fatalf("no shards: %v", err)
	}
	stageShards(t, cfg, "part", 3, 0, 2)
	if err := commitErr(t, cfg, "part"); !errors.As(err, &inc) || err.Error() != "batch part: 1 of 3 shards are not staged yet (missing: 1)" {
		t.Fatalf("incomplete: %v", err)
	}
	stageShards(t, cfg, "mixed", 2, 0)
	stageShards(t, cfg, "mixed", 3, 1)
	if err := commitErr(t, cfg, "mixed"); err.Error() != "batch mixed: shard 1/3 was staged for 3 shards, shard 0/2 for 2; run every shard of the batch again" {
		t.Fatalf("mixed: %v", err)
	}
	stageShards(t, cfg, "moved", 2, 0)
	os.Remove(filepath.Join(inbox, "googl_1q26_segments.xlsx"))
	stageShards(t, cfg, "moved", 2, 1)
	if err := commitErr(t, cfg, "moved"); err.Error() != "batch moved: shard 1/2 saw another inbox than shard 0 (6 workbooks against 7: the inbox changed between them); run every shard of the batch again" {
		t.Fatalf("inbox changed: %v", err)
	}
	stageShards(t, cfg, "cmd", 2, 0)
	c := cfg
	c.Shard, c.Batch = Shard{I: 1, N: 2}, "cmd"
	if _, err := Backfill(context.Background(), c, load.Scope{Companies: []string{"AMZN"}}, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := commitErr(t, cfg, "cmd"); err.Error() != "batch cmd: shard 1/2 ran another command than shard 0 (backfill --company AMZN against run); run every shard of the batch again" {
		t.Fatalf("commands: %v", err)
	}
	// Another version may have other fact columns: one version per batch,
	// and the commit's own.
	stageShards(t, cfg, "ver", 2, 0, 1)
	setVersion(t, out, "ver", 1, "v0.9.0")
	if err := commitErr(t, cfg, "ver"); err.Error() != "batch ver: shard 1/2 was read by marginmix v0.9.0, shard 0 by "+Version+"; run every shard of the batch again" {
		t.Fatalf("mixed versions: %v", err)
	}
	setVersion(t, out, "ver", 0, "v0.9.0")
	if err := commitErr(t, cfg, "ver"); err.Error() != "batch ver was read by marginmix v0.9.0; this is "+Version+": commit with the shards' version" {
		t.Fatalf("another version: %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused commit published: %v", err)
	}

	// A batch read before a publication may not be committed after it.
	stageShards(t, cfg, "stale", 2, 0, 1)
	first, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := fileBytes(t, out)
	err = commitErr(t, cfg, "stale")
	var stale *StaleBatchError
	if !errors.As(err, &stale) || err.Error() != "batch stale was read against an output folder with nothing published, but run "+first.RunID+" is published now; run the batch's shards again" {
		t.Fatalf("stale: %v", err)
	}
	if after := fileBytes(t, out); !reflect.DeepEqual(before, after) {
		t.Fatal("a refused commit changed the publication")
	}
}

// setVersion rewrites the marginmix version a staged shard records.
func setVersion(t *testing.T, out, batch string, i int, v string) {
	t.Helper()
	dir, err := ShardsDir(out, batch)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("shard-%d-of-2", i), StagedRecord)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["version"] = v
	if b, err = json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A shard needs a batch, and a dry run cannot be sharded.
func TestShardSettings(t *testing.T) {
	inbox, out := inboxCopy(t)
	cfg := cfgFor(inbox, out)
	cfg.Shard = Shard{I: 0, N: 2}
	for batch, want := range map[string]string{
		"":     "batch: required: a name the shards and the commit share, such as the Kubernetes Job's name",
		"../x": `batch: "../x": use letters, digits, '.', '_' and '-' (at most 100), starting with a letter or digit`,
	} {
		cfg.Batch = batch
		_, err := Run(context.Background(), cfg, nil)
		var ce *ConfigError
		if !errors.As(err, &ce) || err.Error() != want {
			t.Fatalf("batch %q: %v", batch, err)
		}
	}
	cfg.Batch = "b"
	_, err := Backfill(context.Background(), cfg, load.Scope{Companies: []string{"AMZN"}}, true, nil)
	if err == nil || err.Error() != "dry-run: a shard publishes nothing to compare with; run --dry-run without --shard" {
		t.Fatalf("dry run: %v", err)
	}
}
