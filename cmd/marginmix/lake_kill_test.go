//go:build duckdb_arrow && integration

package main

import (
	"bufio"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/marginmix/marginmix/load/lake"
)

// A run killed with SIGKILL while it uploads, and while it commits, leaves
// the catalog naming the previous run, which reads whole; the next run
// publishes what a local folder gets; a rerun with nothing new puts back
// tables that a killed commit moved.
func TestKillDuringObjectStoragePublish(t *testing.T) {
	bin := buildBinary(t)
	for _, phase := range []string{"uploading data files", "committing tables"} {
		t.Run(phase, func(t *testing.T) {
			e := newLakeEnv(t)
			e.both(t, "run")
			before, facts := e.published(t), e.sameQuery(t, "SELECT count(*) FROM facts")
			b := e.remove(t, "crwv_1q26_financials.xlsx")
			e.s3.Stall(1, 40*time.Millisecond) // every request: slow enough to kill inside a phase
			e.killAt(t, bin, phase, 150*time.Millisecond)
			e.s3.Stall(0, 0)
			if got := e.published(t); got != before {
				t.Fatalf("killed while %s: the catalog names run %s, want %s", phase, got, before)
			}
			if got := e.sameQuery(t, "SELECT count(*) FROM facts"); got != facts {
				t.Fatalf("after the kill facts read %q, want %q", got, facts)
			}
			drifted := e.drifted(t)
			t.Logf("killed while %s: tables moved past the published run: %v", phase, drifted)

			// The workbook back as it was: nothing new, and any moved table goes back.
			e.put(t, "crwv_1q26_financials.xlsx", b)
			code, _, stderr := run(t, append([]string{"run", "--inbox", "s3://inbox/q1"}, e.args...)...)
			if code != exitOK || !strings.Contains(stderr, "nothing new") {
				t.Fatalf("rerun: exit %d\n%s", code, stderr)
			}
			if e.drifted(t) {
				t.Fatal("tables still past the published run after a rerun")
			}
			e.sameEverywhere(t)

			e.remove(t, "crwv_1q26_financials.xlsx")
			e.both(t, "run")
			e.sameEverywhere(t)
		})
	}
}

// A commit killed while it commits its tables leaves the previous run
// published and its batch staged; the same commit again publishes what
// one run publishes to a local folder.
func TestKillDuringShardedCommit(t *testing.T) {
	bin := buildBinary(t)
	e := newLakeEnv(t)
	e.both(t, "run")
	before := e.published(t)
	e.remove(t, "crwv_1q26_financials.xlsx")
	e.local(t, exitOK, "run")
	// The shards run the same binary as the commit: a batch is of one
	// marginmix version, and this binary's is not the test's.
	for i := range 3 {
		args := append([]string{"run", "--shard", strconv.Itoa(i) + "/3", "--batch", "k", "--inbox", "s3://inbox/q1"}, e.lakeArgs(t, "cache-shard-"+strconv.Itoa(i))...)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("shard %d/3: %v\n%s", i, err, out)
		}
	}
	e.s3.Stall(1, 40*time.Millisecond)
	e.kill(t, bin, append([]string{"commit", "--batch", "k"}, e.lakeArgs(t, "cache-commit")...), "committing tables", 150*time.Millisecond)
	e.s3.Stall(0, 0)
	if got := e.published(t); got != before {
		t.Fatalf("killed commit: the catalog names run %s, want %s", got, before)
	}
	if len(e.staging(t)) == 0 {
		t.Fatal("the killed commit's batch is gone")
	}
	if out, err := exec.Command(bin, append([]string{"commit", "--batch", "k"}, e.lakeArgs(t, "cache-commit")...)...).CombinedOutput(); err != nil {
		t.Fatalf("commit again: %v\n%s", err, out)
	}
	if e.published(t) == before || len(e.staging(t)) > 0 {
		t.Fatal("the commit again did not publish, or left its batch")
	}
	e.sameEverywhere(t)
}

// killAt starts a run and kills it delay after it logs phase.
func (e *lakeEnv) killAt(t *testing.T, bin, phase string, delay time.Duration) {
	t.Helper()
	e.kill(t, bin, append([]string{"run", "--inbox", "s3://inbox/q1"}, e.args...), phase, delay)
}

// kill starts marginmix with args and kills it delay after it logs phase.
func (e *lakeEnv) kill(t *testing.T, bin string, args []string, phase string, delay time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen, ended := make(chan struct{}), make(chan struct{})
	var said strings.Builder
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			said.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), phase) {
				close(seen)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-seen:
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
	case <-ended:
		cmd.Wait()
		t.Fatalf("%v ended before it logged %q:\n%s", args[0], phase, said.String())
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("%v never logged %q", args[0], phase)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("the run finished before it was killed while %s", phase)
	}
}

func (e *lakeEnv) openLake(t *testing.T) *lake.Lake {
	t.Helper()
	l, err := lake.Open(context.Background(), lake.Options{Warehouse: "s3://lake/mm", Catalog: e.catalog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func (e *lakeEnv) published(t *testing.T) string {
	t.Helper()
	run, err := e.openLake(t).PublishedRun(context.Background())
	if err != nil || run == "" {
		t.Fatalf("published run %q: %v", run, err)
	}
	return run
}

func (e *lakeEnv) drifted(t *testing.T) bool {
	t.Helper()
	d, err := e.openLake(t).Drifted(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}
