//go:build duckdb_arrow

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lakeArgs are e.args with another cache: each shard and the commit run
// as on machines of their own.
func (e *lakeEnv) lakeArgs(t *testing.T, cache string) []string {
	t.Helper()
	args := append([]string(nil), e.args...)
	for i := range args {
		if args[i] == "--cache" {
			args[i+1] = filepath.Join(filepath.Dir(args[i+1]), cache)
		}
	}
	return args
}

// stage runs shard i/n of a batch on object storage (a backfill when more
// args are given) and checks its closing line.
func (e *lakeEnv) stage(t *testing.T, batch string, i, n int, args ...string) {
	t.Helper()
	shard := strconv.Itoa(i) + "/" + strconv.Itoa(n)
	if len(args) == 0 {
		args = []string{"run"}
	}
	args = append(args, "--shard", shard, "--batch", batch, "--inbox", "s3://inbox/q1")
	code, _, stderr := run(t, append(args, e.lakeArgs(t, "cache-shard-"+strconv.Itoa(i))...)...)
	want := "staged shard " + shard + " of batch " + batch + " in s3://lake/mm/_staging/" + batch + "/shard-" + strconv.Itoa(i) + "-of-" + strconv.Itoa(n) + ": "
	if code != exitOK || !strings.Contains(stderr, want) {
		t.Fatalf("shard %s: exit %d\n%s", shard, code, stderr)
	}
	e.noSecret(t, stderr)
}

// commit commits a batch on object storage and returns its closing lines.
func (e *lakeEnv) commit(t *testing.T, batch string, wantCode int, more ...string) string {
	t.Helper()
	args := append([]string{"commit", "--batch", batch}, more...)
	code, _, stderr := run(t, append(args, e.lakeArgs(t, "cache-commit")...)...)
	if code != wantCode {
		t.Fatalf("commit %s: exit %d, want %d\n%s", batch, code, wantCode, stderr)
	}
	e.noSecret(t, stderr)
	return stderr
}

// local runs a command on the local folder.
func (e *lakeEnv) local(t *testing.T, wantCode int, args ...string) {
	t.Helper()
	code, _, stderr := run(t, append(args, "--inbox", e.localInbox, "--out", e.localOut)...)
	if code != wantCode {
		t.Fatalf("local %v: exit %d\n%s", args, code, stderr)
	}
}

func (e *lakeEnv) staging(t *testing.T) []string {
	t.Helper()
	var keys []string
	for _, k := range e.s3.Keys(t, "lake") {
		if strings.HasPrefix(k, "mm/_staging/") {
			keys = append(keys, k)
		}
	}
	return keys
}

// The acceptance: three shards, each with a cache of its own, and a
// commit publish to object storage what one run publishes to a local
// folder, through a first run with a quarantined workbook, a removed
// workbook and a backfill; a batch staged before a publication is cleared.
func TestShardedObjectStorageMatchesLocalFolder(t *testing.T) {
	e := newLakeEnv(t)
	e.put(t, "amzn_broken.xlsx", []byte("not a workbook"))

	e.local(t, exitQuarantined, "run")
	for i := range 3 {
		e.stage(t, "b1", i, 3)
	}
	stderr := e.commit(t, "b1", exitQuarantined)
	if !strings.Contains(stderr, "published s3://lake/mm: 8 workbooks (8 read, 0 unchanged, 1 quarantined), 585 facts, 10 datasets") {
		t.Fatalf("commit b1:\n%s", stderr)
	}
	e.sameEverywhere(t)
	e.sameQuarantine(t)
	if k := e.staging(t); len(k) > 0 {
		t.Fatalf("the committed batch is still staged: %v", k)
	}

	e.remove(t, "crwv_1q26_financials.xlsx")
	e.local(t, exitQuarantined, "run")
	for i := range 3 {
		e.stage(t, "b2", i, 3)
	}
	// A batch staged now is read against b1's publication: once b2 is
	// published it can never be committed, and b2's commit clears it.
	e.stage(t, "stale", 0, 2)
	stderr = e.commit(t, "b2", exitQuarantined)
	// A removed workbook keeps its facts (docs/reliability.md).
	if !strings.Contains(stderr, "published s3://lake/mm: 7 workbooks (0 read, 6 unchanged, 1 quarantined), 585 facts") {
		t.Fatalf("commit b2:\n%s", stderr)
	}
	e.sameEverywhere(t)
	if k := e.staging(t); len(k) > 0 {
		t.Fatalf("staged after b2: %v", k)
	}

	e.local(t, exitQuarantined, "backfill", "--company", "AMZN")
	for i := range 3 {
		e.stage(t, "b3", i, 3, "backfill", "--company", "AMZN")
	}
	e.commit(t, "b3", exitQuarantined)
	e.sameEverywhere(t)
	e.sameQuarantine(t)
}

// sameQuarantine compares the reasons of the two publications' quarantine.
func (e *lakeEnv) sameQuarantine(t *testing.T) {
	t.Helper()
	local, err := os.ReadFile(filepath.Join(e.localOut, "_quarantine", "amzn_broken.xlsx.reason.txt"))
	if err != nil {
		t.Fatal(err)
	}
	found, _ := filepath.Glob(filepath.Join(filepath.Dir(e.localOut), "cache-commit", "*", "out", "_quarantine", "amzn_broken.xlsx*"))
	if len(found) != 2 {
		t.Fatalf("the published quarantine holds %v", found)
	}
	for _, f := range found {
		if strings.HasSuffix(f, ".reason.txt") {
			if b, _ := os.ReadFile(f); string(b) != string(local) {
				t.Fatalf("reason %q, locally %q", b, local)
			}
		}
	}
}

// commit --wait waits for the shards still missing; without it a missing
// shard fails the commit and publishes nothing.
func TestCommitWaitsForShards(t *testing.T) {
	defer func(p time.Duration) { batchPoll = p }(batchPoll)
	batchPoll = 50 * time.Millisecond
	e := newLakeEnv(t)
	stderr := e.commit(t, "w", exitFailed)
	if !strings.Contains(stderr, "marginmix: batch w: no shard is staged (run `marginmix run --shard I/N --batch w` first)\n") {
		t.Fatalf("commit before any shard:\n%s", stderr)
	}
	e.stage(t, "w", 0, 3)
	e.stage(t, "w", 2, 3)
	stderr = e.commit(t, "w", exitFailed)
	if !strings.Contains(stderr, "marginmix: batch w: 1 of 3 shards are not staged yet (missing: 1)\n") {
		t.Fatalf("commit without the shard:\n%s", stderr)
	}
	done := make(chan string)
	go func() {
		code, _, stderr := run(t, append([]string{"commit", "--batch", "w", "--wait", "2m"}, e.lakeArgs(t, "cache-commit")...)...)
		done <- strconv.Itoa(code) + "\n" + stderr
	}()
	time.Sleep(300 * time.Millisecond)
	e.stage(t, "w", 1, 3)
	got := <-done
	if !strings.HasPrefix(got, "0\n") || !strings.Contains(got, `msg="waiting for shards" batch=w missing=1 of=3`) ||
		!strings.Contains(got, "published s3://lake/mm: 7 workbooks (7 read, 0 unchanged, 0 quarantined), 585 facts") {
		t.Fatalf("commit --wait:\n%s", got)
	}
}

// The sharding flags' mistakes are usage errors.
func TestShardUsage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--shard", "3/3", "--batch", "b"}, `marginmix: --shard: "3/3" is not a shard I/N with 0 <= I < N <= 10000, such as 0/3` + "\n"},
		{[]string{"run", "--batch", "b"}, "marginmix: --batch goes with --shard I/N (or with `marginmix commit`)\n"},
		{[]string{"run", "--shard", "0/2"}, "marginmix: batch: required: a name the shards and the commit share, such as the Kubernetes Job's name\n"},
		{[]string{"commit"}, "marginmix: --batch: required: a name the shards and the commit share, such as the Kubernetes Job's name\n"},
		{[]string{"commit", "--batch", "a/b"}, `marginmix: --batch: "a/b": use letters, digits, '.', '_' and '-' (at most 100), starting with a letter or digit` + "\n"},
		{[]string{"backfill", "--company", "AMZN", "--dry-run", "--shard", "0/2", "--batch", "b"}, "marginmix: dry-run: a shard publishes nothing to compare with; run --dry-run without --shard\n"},
	} {
		code, _, stderr := run(t, append(c.args, "--out", out)...)
		if code != exitUsage || !strings.HasSuffix(stderr, c.want) {
			t.Errorf("%v: exit %d\n%s\nwant exit 2 and\n%s", c.args, code, stderr, c.want)
		}
	}
}

// A store that fails six requests in a row, placed across a shard's
// requests: a shard that fails exits 1 and counts as not staged (never half
// staged), its retry stages it, and the batch publishes what one run does.
func TestShardsSurviveAFailingStore(t *testing.T) {
	defer func(b time.Duration) { lakeBackoff = b }(lakeBackoff)
	lakeBackoff = 5 * time.Millisecond
	e := newLakeEnv(t)
	e.local(t, exitOK, "run")
	before := e.s3.Requests()
	e.stage(t, "f", 0, 3)
	per := e.s3.Requests() - before // one shard's requests
	failed := 0
	for i, at := range []int{1, per / 2, per - 3} {
		shard := i%2 + 1 // shards 1 and 2, the first of them twice
		e.s3.Fail(at, 6)
		args := append([]string{"run", "--shard", strconv.Itoa(shard) + "/3", "--batch", "f", "--inbox", "s3://inbox/q1"}, e.lakeArgs(t, "cache-shard-"+strconv.Itoa(shard))...)
		code, _, stderr := run(t, args...)
		e.s3.Fail(0, 0)
		e.noSecret(t, stderr)
		switch code {
		case exitOK:
		case exitFailed:
			failed++
			got := e.commit(t, "f", exitFailed)
			if !strings.Contains(got, "shards are not staged yet (missing: ") || !strings.Contains(got, strconv.Itoa(shard)) {
				t.Fatalf("after shard %d failed at request %d of %d:\n%s", shard, at, per, got)
			}
			e.stage(t, "f", shard, 3)
		default:
			t.Fatalf("shard %d, failing from request %d of %d: exit %d\n%s", shard, at, per, code, stderr)
		}
	}
	t.Logf("%d of 3 shard attempts failed; a shard makes %d requests", failed, per)
	if failed == 0 {
		t.Fatal("no injected failure failed a shard: the fault injection is not reaching the shards")
	}
	e.commit(t, "f", exitOK)
	e.sameEverywhere(t)
}
