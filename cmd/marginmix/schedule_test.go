//go:build duckdb_arrow

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marginmix/marginmix/internal/metricstest"
	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/pipeline"
	"github.com/marginmix/marginmix/schedule"
)

// jsonLog collects JSON log lines written from another goroutine and lets a
// test wait for one.
type jsonLog struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	lines  []map[string]any
	cursor int // waitFor looks at lines from here on
}

func newJSONLog() *jsonLog { return &jsonLog{} }

func (l *jsonLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadBytes('\n')
		if err != nil {
			l.buf.Write(line) // incomplete: keep for the next write
			return len(p), nil
		}
		m := map[string]any{}
		if json.Unmarshal(line, &m) != nil {
			m = map[string]any{"msg": "(not json) " + string(line)}
		}
		l.lines = append(l.lines, m)
	}
}

func (l *jsonLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, m := range l.lines {
		j, _ := json.Marshal(m)
		b.Write(append(j, '\n'))
	}
	return b.String()
}

// find returns the index of the first line at or after from with this msg
// whose other fields match, or -1.
func (l *jsonLog) find(from int, msg string, fields map[string]any) (int, map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := from; i < len(l.lines); i++ {
		m := l.lines[i]
		ok := m["msg"] == msg
		for k, v := range fields {
			ok = ok && m[k] == v
		}
		if ok {
			return i, m
		}
	}
	return -1, nil
}

// waitFor waits for a line after the one it last returned, with this msg
// and these fields.
func (l *jsonLog) waitFor(t *testing.T, msg string, fields map[string]any) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		from := l.cursor
		l.mu.Unlock()
		if i, m := l.find(from, msg, fields); i >= 0 {
			l.mu.Lock()
			l.cursor = i + 1
			l.mu.Unlock()
			return m
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no log line %q %v in:\n%s", msg, fields, l.String())
	return nil
}

// waitAny waits for such a line anywhere in the log, without moving the
// cursor of waitFor.
func (l *jsonLog) waitAny(t *testing.T, msg string, fields map[string]any) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if i, m := l.find(0, msg, fields); i >= 0 {
			return m
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no log line %q %v in:\n%s", msg, fields, l.String())
	return nil
}

// scrapeMetrics reads /metrics and returns the marginmix_ samples.
func scrapeMetrics(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	return metricstest.Scrape(t, "http://"+addr+"/metrics")
}

func healthz(t *testing.T, addr string) (int, schedule.Status) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st schedule.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, st
}

// startSchedule runs `marginmix schedule` in-process until the returned
// stop is called; stop returns the exit status.
func startSchedule(t *testing.T, args ...string) (addr string, log *jsonLog, stop func() int) {
	t.Helper()
	log = newJSONLog()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, append([]string{"schedule", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...), io.Discard, log)
	}()
	addr = log.waitAny(t, "serving /healthz and /metrics", nil)["addr"].(string)
	return addr, log, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(60 * time.Second):
			t.Fatalf("schedule did not stop:\n%s", log.String())
			return -1
		}
	}
}

// Started with nothing published, schedule publishes at once, reports it
// over HTTP, and exits 0 when stopped.
func TestScheduleCatchUpOnEmptyOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	addr, log, stop := startSchedule(t, "--cron", "0 2 * * *", "--tz", "Europe/Berlin", "--out", out)
	log.waitFor(t, "run finished", map[string]any{"trigger": "catch-up", "outcome": "published", "facts": 585.0, "workbooks_read": 7.0})
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	code, st := healthz(t, addr)
	if code != 200 || st.Status != "ok" || st.LastRun == nil || st.LastRun.Outcome != schedule.Published ||
		st.LastRun.Trigger != "catch-up" || st.LastRun.RunID != m.RunID || st.LastPublished == nil || !st.LastPublished.Equal(m.FinishedAt) {
		t.Fatalf("healthz %d %+v %+v", code, st, st.LastRun)
	}
	if nr := st.NextRun.In(berlin(t)); nr.Hour() != 2 || nr.Minute() != 0 {
		t.Errorf("next run %s is not 02:00 in Berlin", nr)
	}
	metrics := scrapeMetrics(t, addr)
	for k, want := range map[string]float64{
		"marginmix_runs_total{outcome=published}":      1,
		"marginmix_runs_total{outcome=failed}":         0,
		"marginmix_workbooks_processed_total":          7,
		"marginmix_workbooks_quarantined_total":        0,
		"marginmix_facts_published_total":              585,
		"marginmix_run_duration_seconds_count":         1,
		"marginmix_last_publication_timestamp_seconds": float64(m.FinishedAt.UnixMilli()) / 1000,
	} {
		// A timestamp in float seconds cannot be compared bit for bit:
		// nanoseconds/1e9 and milliseconds/1e3 round differently in the last
		// place. One microsecond is far finer than the manifest's precision.
		if got, ok := metrics[k]; !ok || math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d\n%s", code, log)
	}
	log.waitFor(t, "scheduler stopped", nil)
}

func berlin(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Started after a missed nightly slot, it runs once at start; started
// after a publication newer than the last slot, it waits for the next.
func TestScheduleCatchUpAfterMissedSlot(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := run(t, "run", "--out", out, "--log-level", "error"); code != exitOK {
		t.Fatalf("run: %d %s", code, stderr)
	}
	// Pretend the last publication finished two days ago, before last
	// night's 02:00.
	mp := filepath.Join(out, load.ManifestName)
	m, err := load.ReadManifest(mp)
	if err != nil {
		t.Fatal(err)
	}
	m.FinishedAt = m.FinishedAt.Add(-48 * time.Hour)
	if err := load.WriteManifest(mp, m); err != nil {
		t.Fatal(err)
	}
	_, log, stop := startSchedule(t, "--cron", "0 2 * * *", "--out", out)
	log.waitFor(t, "catch-up: the last publication is older than the previous scheduled time; running once now", nil)
	log.waitFor(t, "run finished", map[string]any{"trigger": "catch-up", "outcome": "nothing_new"})
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d\n%s", code, log)
	}

	m.FinishedAt = time.Now().UTC()
	if err := load.WriteManifest(mp, m); err != nil {
		t.Fatal(err)
	}
	_, log, stop = startSchedule(t, "--cron", "0 2 * * *", "--out", out)
	log.waitFor(t, "no catch-up: the last publication is newer than the previous scheduled time", nil)
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d\n%s", code, log)
	}
	if s := log.String(); strings.Contains(s, `"run started"`) {
		t.Fatalf("ran without a missed slot:\n%s", s)
	}
}

// A manual run or backfill holding the output folder makes the scheduled
// run a skip, not a failure: /healthz stays 200.
func TestScheduleSkipsWhenLocked(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	lock, err := load.Acquire(out, "backfill")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	addr, log, stop := startSchedule(t, "--cron", "0 2 * * *", "--out", out)
	line := log.waitFor(t, "run skipped: another writer holds the output folder", map[string]any{"outcome": "skipped_locked", "level": "WARN"})
	if e, _ := line["err"].(string); !strings.Contains(e, fmt.Sprintf("output folder is locked by another writer: pid %d on ", os.Getpid())) ||
		!strings.Contains(e, ", backfill since ") {
		t.Fatalf("err %q", e)
	}
	code, st := healthz(t, addr)
	if code != 200 || st.Status != "ok" || st.LastRun.Outcome != schedule.SkippedLocked {
		t.Fatalf("healthz %d %+v", code, st)
	}
	metrics := scrapeMetrics(t, addr)
	if metrics["marginmix_runs_total{outcome=skipped_locked}"] != 1 || metrics["marginmix_runs_total{outcome=failed}"] != 0 {
		t.Fatalf("metrics %v", metrics)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("the skipped run wrote %s: %v", out, err)
	}
}

// A failed run makes /healthz 503 and counts as failed; the daemon goes on
// and still stops with exit status 0.
func TestScheduleFailureIsUnhealthy(t *testing.T) {
	dir := t.TempDir()
	sqlDir := filepath.Join(dir, "sql")
	os.MkdirAll(sqlDir, 0o755)
	os.WriteFile(filepath.Join(sqlDir, "broken.sql"), []byte("SELEC nonsense FROM nowhere\n"), 0o644)
	out := filepath.Join(dir, "out")
	addr, log, stop := startSchedule(t, "--cron", "0 2 * * *", "--out", out, "--sql", sqlDir)
	line := log.waitFor(t, "run failed; nothing new published", map[string]any{"outcome": "failed", "level": "ERROR"})
	code, st := healthz(t, addr)
	if code != 503 || st.Status != "failing" || st.LastRun.Outcome != schedule.Failed || st.LastRun.Error != line["err"] || st.LastRun.Error == "" {
		t.Fatalf("healthz %d %+v %+v", code, st, st.LastRun)
	}
	if m := scrapeMetrics(t, addr); m["marginmix_runs_total{outcome=failed}"] != 1 || m["marginmix_last_success_timestamp_seconds"] != 0 {
		t.Fatalf("metrics %v", m)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(out, load.ManifestName)); !os.IsNotExist(err) {
		t.Fatalf("a failed run published: %v", err)
	}
}

func TestScheduleUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		Args       []string
		WantStderr string
	}{
		{[]string{"schedule"}, "marginmix: --cron is required, e.g. --cron \"0 2 * * *\"\n"},
		{[]string{"schedule", "--cron", "0 2 * * *", "--tz", "Mars/Olympus_Mons"}, "marginmix: --tz \"Mars/Olympus_Mons\": unknown time zone\n"},
		{[]string{"schedule", "--cron", "61 2 * * *"}, "marginmix: --cron: cron \"61 2 * * *\": end of range (61) above maximum (59): 61\n"},
		{[]string{"schedule", "--cron", "@daily", "--grace", "-1s"}, "marginmix: --grace -1s: must not be negative\n"},
		{[]string{"schedule", "--cron", "@daily", "--workers", "0"}, "marginmix: workers: 0: must be at least 1\n"},
		{[]string{"schedule", "--cron", "@daily", "--inbox", filepath.Join(out, "missing")}, "marginmix: inbox: stat " + filepath.Join(out, "missing") + ": no such file or directory\n"},
		{[]string{"schedule", "--cron", "@daily", "now"}, "marginmix: marginmix schedule takes no arguments, got [\"now\"]\n"},
		{[]string{"schedule", "--cron", "@daily", "--log-format", "xml"}, "marginmix: --log-format \"xml\": want text or json\n"},
		{[]string{"run", "--log-format", "xml"}, "marginmix: --log-format \"xml\": want text or json\n"},
		{[]string{"query", "SELECT 1", "--log-format", "logfmt"}, "marginmix: --log-format \"logfmt\": want text or json\n"},
	} {
		code, _, stderr := run(t, append(tc.Args, "--out", out)...)
		if code != exitUsage || stderr != tc.WantStderr {
			t.Errorf("%v: exit %d %q, want 2 %q", tc.Args, code, stderr, tc.WantStderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a usage error wrote %s", out)
	}
}

func TestScheduleListenInUse(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	code, _, stderr := run(t, "schedule", "--cron", "@daily", "--listen", addr, "--out", filepath.Join(t.TempDir(), "out"))
	if code != exitFailed || !strings.HasPrefix(stderr, "marginmix: --listen: listen tcp "+addr+": bind: address already in use") {
		t.Fatalf("exit %d %q", code, stderr)
	}
}

func TestScheduleHelp(t *testing.T) {
	code, stdout, _ := run(t, "schedule", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--cron", "--tz", "--listen", "--grace", "--inbox", "--specs", "--out", "--workers", "--sql",
		"--trend-window", "--full", "--log-level", "--log-format", "Exit status:", "(02:30 runs at 03:00)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	_, stdout, _ = run(t, "--help")
	if !strings.Contains(stdout, "schedule") || strings.Contains(stdout, "healthcheck") {
		t.Errorf("root help: schedule listed, healthcheck hidden:\n%s", stdout)
	}
}

func TestResultOfRun(t *testing.T) {
	lockErr := &load.LockError{Path: "/data/.out.lock"}
	for _, tc := range []struct {
		Name string
		Sum  *pipeline.Summary
		Err  error
		Want schedule.Result
	}{
		{"published", &pipeline.Summary{RunID: "r1", Read: 7, Facts: 585, Published: true}, nil,
			schedule.Result{Outcome: schedule.Published, RunID: "r1", Workbooks: 7, Facts: 585}},
		{"quarantined", &pipeline.Summary{RunID: "r2", Read: 2, Quarantined: 1, Facts: 590, Published: true}, nil,
			schedule.Result{Outcome: schedule.Quarantined, RunID: "r2", Workbooks: 2, Quarantined: 1, Facts: 590}},
		{"nothing new, old quarantine kept", &pipeline.Summary{RunID: "r3", Unchanged: 7, Quarantined: 1, NothingNew: true}, nil,
			schedule.Result{Outcome: schedule.NothingNew, RunID: "r3", Quarantined: 1}},
		{"locked", nil, fmt.Errorf("run: %w", lockErr), schedule.Result{Outcome: schedule.SkippedLocked}},
		{"failed", nil, &pipeline.ConfigError{Field: "specs", Err: os.ErrNotExist}, schedule.Result{Outcome: schedule.Failed}},
	} {
		got, err := result(tc.Sum, tc.Err)
		if got != tc.Want || err != tc.Err {
			t.Errorf("%s: %+v %v, want %+v %v", tc.Name, got, err, tc.Want, tc.Err)
		}
	}
}

func TestHealthcheckCmd(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, `{"status":"ok"}`+"\n")
	}))
	defer srv.Close()
	code, stdout, stderr := run(t, "healthcheck", "--url", srv.URL+"/healthz")
	if code != exitOK || stdout != "{\"status\":\"ok\"}\n" || stderr != "" {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	status = http.StatusServiceUnavailable
	code, _, stderr = run(t, "healthcheck", "--url", srv.URL+"/healthz")
	if code != exitFailed || stderr != "marginmix: "+srv.URL+"/healthz: 503 Service Unavailable\n" {
		t.Fatalf("exit %d %q", code, stderr)
	}
	srv.Close()
	if code, _, _ = run(t, "healthcheck", "--url", srv.URL+"/healthz"); code != exitFailed {
		t.Fatalf("server gone: exit %d", code)
	}
}

func TestLogFormatJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := run(t, "run", "--log-format", "json", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1] // the closing summary stays plain text
	var published map[string]any
	for _, l := range lines[:len(lines)-1] {
		m := map[string]any{}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if m["msg"] == "published" {
			published = m
		}
	}
	if published == nil || published["facts"] != 585.0 || published["level"] != "INFO" || !strings.HasPrefix(last, "published ") {
		t.Fatalf("%v\n%s", published, stderr)
	}
}
