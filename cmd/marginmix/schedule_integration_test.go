//go:build duckdb_arrow && integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// daemon is a real `marginmix schedule` process.
type daemon struct {
	cmd  *exec.Cmd
	log  *jsonLog
	addr string
	done chan error
}

func startDaemon(t *testing.T, bin, out string, args ...string) *daemon {
	t.Helper()
	d := &daemon{log: newJSONLog(), done: make(chan error, 1)}
	d.cmd = exec.Command(bin, append([]string{"schedule", "--cron", "@every 1s", "--full",
		"--listen", "127.0.0.1:0", "--log-format", "json", "--out", out}, args...)...)
	d.cmd.Stderr = d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() { d.cmd.Process.Kill() })
	d.addr = d.log.waitAny(t, "serving /healthz and /metrics", nil)["addr"].(string)
	return d
}

// sigterm signals the daemon and returns its exit status and how long it
// took to exit.
func (d *daemon) sigterm(t *testing.T, within time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, time.Since(start)
	case <-time.After(within):
		t.Fatalf("no exit %s after SIGTERM:\n%s", within, d.log)
		return -1, 0
	}
}

// besideOut lists what is next to the output folder: staging folders left
// behind would show here.
func besideOut(t *testing.T, out string) string {
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// SIGTERM in the middle of a scheduled run: with time to spare the run
// finishes and publishes; past a short grace it is cancelled and the
// previous publication stays. Either way the exit status is 0 and out/ is
// one whole publication.
func TestScheduleSIGTERM(t *testing.T) {
	bin := buildBinary(t)

	t.Run("the current run finishes", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		d := startDaemon(t, bin, out, "--grace", "60s")
		first := d.log.waitFor(t, "run finished", map[string]any{"trigger": "catch-up", "outcome": "published"})
		checkPublication(t, out)
		if m := scrapeMetrics(t, d.addr); m["marginmix_runs_total{outcome=published}"] < 1 || m["marginmix_facts_published_total"] < 585 {
			t.Fatalf("metrics %v", m)
		}
		d.log.waitFor(t, "run started", map[string]any{"trigger": "schedule"})
		code, took := d.sigterm(t, 60*time.Second)
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, d.log)
		}
		d.log.waitFor(t, "stopping: no new run will start", nil)
		d.log.waitFor(t, "waiting for the current run to finish", nil)
		last := d.log.waitFor(t, "run finished", map[string]any{"trigger": "schedule", "outcome": "published"})
		d.log.waitFor(t, "scheduler stopped", nil)
		if i, _ := d.log.find(0, "run cancelled at shutdown; nothing new published", nil); i >= 0 {
			t.Fatalf("a run was cancelled:\n%s", d.log)
		}
		m := checkPublication(t, out)
		if m.RunID != last["run"] || m.RunID == first["run"] {
			t.Fatalf("published %s; first run %s, last %s", m.RunID, first["run"], last["run"])
		}
		if got := besideOut(t, out); got != ".out.lock out" {
			t.Fatalf("beside out: %s", got)
		}
		t.Logf("exit 0 %s after SIGTERM, the run in progress published %s", took.Round(time.Millisecond), m.RunID)
	})

	t.Run("grace runs out", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		d := startDaemon(t, bin, out, "--grace", "100ms")
		first := d.log.waitFor(t, "run finished", map[string]any{"trigger": "catch-up", "outcome": "published"})
		d.log.waitFor(t, "run started", map[string]any{"trigger": "schedule"})
		code, took := d.sigterm(t, 30*time.Second)
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, d.log)
		}
		d.log.waitFor(t, "grace period over: cancelling the current run; it publishes nothing", nil)
		d.log.waitFor(t, "run cancelled at shutdown; nothing new published", map[string]any{"outcome": "canceled"})
		m := checkPublication(t, out)
		if m.RunID != first["run"] {
			t.Fatalf("publication %s, want the first run's %s", m.RunID, first["run"])
		}
		if got := besideOut(t, out); got != ".out.lock out" {
			t.Fatalf("beside out: %s", got)
		}
		t.Logf("exit 0 %s after SIGTERM with --grace 100ms; %s still published", took.Round(time.Millisecond), m.RunID)
	})
}
