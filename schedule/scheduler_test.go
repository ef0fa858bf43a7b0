package schedule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marginmix/marginmix/internal/metricstest"
	"github.com/robfig/cron/v3"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// logs records every log message and lets a test wait for one.
type logs struct {
	mu   sync.Mutex
	recs []string // "LEVEL msg k=v ..."
	ch   chan string
}

func newLogs() *logs { return &logs{ch: make(chan string, 1000)} }

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) WithAttrs(as []slog.Attr) slog.Handler    { return &attrs{l, as} }
func (l *logs) WithGroup(string) slog.Handler            { return l }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	return l.handle(r, nil)
}

func (l *logs) handle(r slog.Record, pre []slog.Attr) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	for _, a := range pre {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, b.String())
	l.mu.Unlock()
	select {
	case l.ch <- b.String():
	default:
	}
	return nil
}

type attrs struct {
	l  *logs
	as []slog.Attr
}

func (a *attrs) Enabled(context.Context, slog.Level) bool { return true }
func (a *attrs) WithAttrs(as []slog.Attr) slog.Handler {
	return &attrs{a.l, append(append([]slog.Attr{}, a.as...), as...)}
}
func (a *attrs) WithGroup(string) slog.Handler { return a }
func (a *attrs) Handle(_ context.Context, r slog.Record) error {
	return a.l.handle(r, a.as)
}

// waitFor returns the first message from now on that starts with prefix.
func (l *logs) waitFor(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-l.ch:
			if strings.HasPrefix(m, prefix) {
				return m
			}
		case <-timeout:
			t.Fatalf("no log message %q; got:\n%s", prefix, l.all())
		}
	}
}

func (l *logs) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.recs, "\n")
}

func mustParse(t *testing.T, expr string) cron.Schedule {
	t.Helper()
	s, err := Parse(expr, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var t0 = time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)

// newTest returns a scheduler for "0 2 * * *" at t0 on a settable clock.
func newTest(t *testing.T, run Runner) (*Scheduler, *clock, *logs) {
	t.Helper()
	c := &clock{t: t0}
	l := newLogs()
	s, err := New(Config{
		Schedule:      mustParse(t, "0 2 * * *"),
		Run:           run,
		LastPublished: func() (time.Time, error) { return t0.Add(-7 * time.Hour), nil }, // 02:00, the last slot's run
		Grace:         time.Hour,
		Log:           slog.New(l),
		Now:           c.Now,
		Version:       "dev-0123456789ab",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, l
}

// scrape reads /metrics over loopback and parses it.
func scrape(t *testing.T, s *Scheduler) map[string]float64 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	return metricstest.Scrape(t, "http://"+ln.Addr().String()+"/metrics")
}

func TestRunsNeverOverlap(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	calls := 0
	s, _, l := newTest(t, func(ctx context.Context) (Result, error) {
		calls++
		if calls == 1 {
			close(entered)
			<-release
		}
		return Result{Outcome: NothingNew}, nil
	})
	job := s.newJob(context.Background())
	done := make(chan struct{})
	go func() { job.Run(); close(done) }()
	<-entered
	job.Run() // returns at once: the first is still going
	l.waitFor(t, "WARN run skipped: the previous run is still going outcome=skipped_running running_since=2026-05-10 09:00:00 +0000 UTC")
	close(release)
	<-done
	job.Run() // the first has ended: this one runs
	if calls != 2 {
		t.Fatalf("runner called %d times, want 2", calls)
	}
	m := scrape(t, s)
	for k, want := range map[string]float64{
		"marginmix_runs_total{outcome=skipped_running}":  1,
		"marginmix_runs_total{outcome=nothing_new}":      2,
		"marginmix_run_duration_seconds_count":           2,
		"marginmix_run_in_progress":                      0,
		"marginmix_build_info{version=dev-0123456789ab}": 1,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
}

func TestLockedRunIsASkipNotAFailure(t *testing.T) {
	lockErr := errors.New("out: output folder is locked by another writer: pid 42 on host, backfill since 2026-05-10T08:59:00Z")
	s, c, l := newTest(t, func(ctx context.Context) (Result, error) {
		return Result{Outcome: SkippedLocked}, lockErr
	})
	s.newJob(context.Background()).Run()
	l.waitFor(t, "WARN run skipped: another writer holds the output folder trigger=schedule outcome=skipped_locked err="+lockErr.Error())
	c.Set(t0.Add(time.Minute))
	st, ok := s.Health()
	if !ok || st.Status != StatusOK || st.LastRun.Outcome != SkippedLocked || st.LastRun.Error != lockErr.Error() {
		t.Fatalf("health %v: %+v %+v", ok, st, st.LastRun)
	}
	m := scrape(t, s)
	if m["marginmix_runs_total{outcome=skipped_locked}"] != 1 || m["marginmix_runs_total{outcome=failed}"] != 0 ||
		m["marginmix_run_duration_seconds_count"] != 0 || m["marginmix_last_success_timestamp_seconds"] != 0 {
		t.Fatalf("metrics: %v", m)
	}
}

func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		Name    string
		Res     Result
		Err     error
		Panic   bool
		Want    Outcome
		WantErr string
	}{
		{Name: "published", Res: Result{Outcome: Published}, Want: Published},
		{Name: "quarantined", Res: Result{Outcome: Quarantined}, Want: Quarantined},
		{Name: "error", Res: Result{Outcome: Published}, Err: errors.New("disk full"), Want: Failed, WantErr: "disk full"},
		{Name: "no outcome", Want: Failed, WantErr: `runner returned outcome "" without an error`},
		{Name: "cancelled while not shutting down is a failure", Err: context.Canceled, Want: Failed, WantErr: "context canceled"},
		{Name: "panic", Panic: true, Want: Failed, WantErr: "panic: boom\n"},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			s, _, _ := newTest(t, func(context.Context) (Result, error) {
				if tc.Panic {
					panic("boom")
				}
				return tc.Res, tc.Err
			})
			s.newJob(context.Background()).Run()
			st, _ := s.Health()
			if st.LastRun.Outcome != tc.Want || !strings.HasPrefix(st.LastRun.Error, tc.WantErr) || (tc.WantErr == "") != (st.LastRun.Error == "") {
				t.Fatalf("got %s %q, want %s %q", st.LastRun.Outcome, st.LastRun.Error, tc.Want, tc.WantErr)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	fail := true
	var s *Scheduler
	var c *clock
	s, c, _ = newTest(t, func(context.Context) (Result, error) {
		c.Set(c.Now().Add(90 * time.Second)) // the run takes 90 s
		if fail {
			return Result{}, errors.New("specs: amzn.yaml: bad glob")
		}
		return Result{Outcome: Published, RunID: "20260511T020000Z-abcdef", Workbooks: 7, Facts: 585}, nil
	})
	srv := &http.Server{Handler: s.Handler()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	get := func() (int, string) {
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		return resp.StatusCode, string(b)
	}

	// Before any run: healthy, with the next slot and when it would be overdue.
	code, body := get()
	want := `{
  "status": "ok",
  "running": false,
  "last_run": null,
  "last_success": null,
  "last_published": null,
  "next_run": "2026-05-11T02:00:00Z",
  "overdue_after": "2026-05-12T02:00:00Z"
}
`
	if code != 200 || body != want {
		t.Fatalf("%d\n%s\nwant\n%s", code, body, want)
	}

	// A failed run: 503 until a run succeeds.
	c.Set(time.Date(2026, 5, 11, 2, 0, 0, 0, time.UTC))
	s.newJob(context.Background()).Run()
	code, body = get()
	want = `{
  "status": "failing",
  "running": false,
  "last_run": {
    "trigger": "schedule",
    "outcome": "failed",
    "started": "2026-05-11T02:00:00Z",
    "finished": "2026-05-11T02:01:30Z",
    "duration_seconds": 90,
    "error": "specs: amzn.yaml: bad glob"
  },
  "last_success": null,
  "last_published": null,
  "next_run": "2026-05-12T02:00:00Z",
  "overdue_after": "2026-05-13T02:00:00Z"
}
`
	if code != 503 || body != want {
		t.Fatalf("%d\n%s\nwant\n%s", code, body, want)
	}

	fail = false
	c.Set(time.Date(2026, 5, 12, 2, 0, 0, 0, time.UTC))
	s.newJob(context.Background()).Run()
	code, body = get()
	want = `{
  "status": "ok",
  "running": false,
  "last_run": {
    "trigger": "schedule",
    "outcome": "published",
    "run_id": "20260511T020000Z-abcdef",
    "started": "2026-05-12T02:00:00Z",
    "finished": "2026-05-12T02:01:30Z",
    "duration_seconds": 90
  },
  "last_success": "2026-05-12T02:01:30Z",
  "last_published": "2026-05-10T02:00:00Z",
  "next_run": "2026-05-13T02:00:00Z",
  "overdue_after": "2026-05-14T02:00:00Z"
}
`
	if code != 200 || body != want {
		t.Fatalf("%d\n%s\nwant\n%s", code, body, want)
	}

	// The 13th's run never happens: overdue once the 14th's slot passes.
	c.Set(time.Date(2026, 5, 14, 2, 0, 0, 0, time.UTC))
	if st, ok := s.Health(); !ok || st.Status != StatusOK {
		t.Fatalf("at the deadline: %+v", st)
	}
	c.Set(time.Date(2026, 5, 14, 2, 0, 1, 0, time.UTC))
	code, body = get()
	if code != 503 || !strings.HasPrefix(body, "{\n  \"status\": \"overdue\",\n") {
		t.Fatalf("%d\n%s", code, body)
	}

	// Unknown paths and methods.
	resp, err := http.Post("http://"+ln.Addr().String()+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %s", resp.Status)
	}
}

func TestMetrics(t *testing.T) {
	results := []Result{
		{Outcome: Published, Workbooks: 7, Facts: 585},
		{Outcome: NothingNew},
		{Outcome: Quarantined, Workbooks: 2, Quarantined: 1, Facts: 590},
	}
	i := 0
	var c *clock
	var s *Scheduler
	s, c, _ = newTest(t, func(context.Context) (Result, error) {
		c.Set(c.Now().Add(3 * time.Second))
		r := results[i]
		i++
		return r, nil
	})
	job := s.newJob(context.Background())
	for range results {
		job.Run()
	}
	m := scrape(t, s)
	for k, want := range map[string]float64{
		"marginmix_runs_total{outcome=published}":       1,
		"marginmix_runs_total{outcome=nothing_new}":     1,
		"marginmix_runs_total{outcome=quarantined}":     1,
		"marginmix_runs_total{outcome=failed}":          0,
		"marginmix_runs_total{outcome=skipped_locked}":  0,
		"marginmix_runs_total{outcome=skipped_running}": 0,
		"marginmix_runs_total{outcome=canceled}":        0,
		"marginmix_run_duration_seconds_count":          3,
		"marginmix_run_duration_seconds_sum":            9,
		"marginmix_workbooks_processed_total":           9,
		"marginmix_workbooks_quarantined_total":         1,
		"marginmix_facts_published_total":               1175,
		"marginmix_last_success_timestamp_seconds":      float64(t0.Add(9 * time.Second).Unix()),
		"marginmix_last_publication_timestamp_seconds":  float64(t0.Add(-7 * time.Hour).Unix()),
		"marginmix_next_run_timestamp_seconds":          float64(time.Date(2026, 5, 11, 2, 0, 0, 0, time.UTC).Unix()),
		"marginmix_run_in_progress":                     0,
	} {
		got, ok := m[k]
		if !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
}

func TestCatchUpDecision(t *testing.T) {
	for _, tc := range []struct {
		Name    string
		Last    time.Time
		Err     error
		Want    bool
		WantLog string
	}{
		{"published after the last slot", time.Date(2026, 5, 10, 2, 3, 0, 0, time.UTC), nil, false,
			"INFO no catch-up: the last publication is newer than the previous scheduled time last_published=2026-05-10 02:03:00 +0000 UTC previous_slot=2026-05-10 02:00:00 +0000 UTC"},
		{"last slot missed", time.Date(2026, 5, 9, 2, 3, 0, 0, time.UTC), nil, true,
			"INFO catch-up: the last publication is older than the previous scheduled time; running once now last_published=2026-05-09 02:03:00 +0000 UTC previous_slot=2026-05-10 02:00:00 +0000 UTC"},
		{"never published", time.Time{}, nil, true,
			"INFO catch-up: nothing published yet; running once now previous_slot=2026-05-10 02:00:00 +0000 UTC"},
		{"manifest unreadable", time.Time{}, errors.New("_manifest.json: unexpected end of JSON input"), true,
			"WARN catch-up: cannot tell when the output was last published; running once now err=_manifest.json: unexpected end of JSON input"},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			s, _, l := newTest(t, func(context.Context) (Result, error) { return Result{Outcome: NothingNew}, nil })
			s.cfg.LastPublished = func() (time.Time, error) { return tc.Last, tc.Err }
			if got := s.needCatchUp(t0); got != tc.Want {
				t.Errorf("catch up: %v, want %v", got, tc.Want)
			}
			if got := l.all(); got != tc.WantLog {
				t.Errorf("log:\n%s\nwant\n%s", got, tc.WantLog)
			}
		})
	}
}

// Started after a missed nightly slot, Serve runs once at once, and stops
// cleanly when its context is done.
func TestServeCatchesUpAtStart(t *testing.T) {
	ran := make(chan string, 10)
	s, _, l := newTest(t, func(ctx context.Context) (Result, error) {
		ran <- "run"
		return Result{Outcome: Published}, nil
	})
	s.cfg.LastPublished = func() (time.Time, error) { return time.Date(2026, 5, 9, 2, 3, 0, 0, time.UTC), nil }
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- s.Serve(ctx, nil) }()
	<-ran
	l.waitFor(t, "INFO run finished trigger=catch-up outcome=published")
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if len(ran) != 0 {
		t.Fatalf("%d more runs", len(ran))
	}
}

// A stop lets the current run finish, however long it takes within the
// grace period, with its context intact, and starts no other.
func TestStopWaitsForTheCurrentRun(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var runCtx context.Context
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	s, _, l := newTest(t, func(ctx context.Context) (Result, error) {
		runCtx = ctx
		close(entered)
		<-release
		note("run returned")
		return Result{Outcome: Published}, nil
	})
	s.cfg.LastPublished = func() (time.Time, error) { return time.Time{}, nil }
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { err := s.Serve(ctx, nil); note("serve returned"); served <- err }()
	<-entered
	cancel()
	l.waitFor(t, "INFO waiting for the current run to finish running_since=2026-05-10 09:00:00 +0000 UTC grace=1h0m0s")
	if runCtx.Err() != nil {
		t.Fatal("the run's context was cancelled by the stop")
	}
	close(release)
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ", ") != "run returned, serve returned" {
		t.Fatalf("order: %v", order)
	}
	st, _ := s.Health()
	if st.LastRun.Outcome != Published {
		t.Fatalf("%+v", st.LastRun)
	}
}

// Past the grace period, the run's context is cancelled; Serve still
// returns nil, and the run counts as canceled.
func TestStopCancelsAfterGrace(t *testing.T) {
	entered := make(chan struct{})
	s, _, l := newTest(t, func(ctx context.Context) (Result, error) {
		close(entered)
		<-ctx.Done()
		return Result{}, fmt.Errorf("write parquet: %w", ctx.Err())
	})
	s.cfg.Grace = 10 * time.Millisecond
	s.cfg.LastPublished = func() (time.Time, error) { return time.Time{}, nil }
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- s.Serve(ctx, nil) }()
	<-entered
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	l.waitFor(t, "WARN grace period over: cancelling the current run; it publishes nothing grace=10ms")
	l.waitFor(t, "WARN run cancelled at shutdown; nothing new published trigger=catch-up outcome=canceled")
	st, ok := s.Health()
	if !ok || st.LastRun.Outcome != Canceled || st.LastRun.Error != "write parquet: context canceled" {
		t.Fatalf("%v %+v", ok, st.LastRun)
	}
}

// With a real cron on a one-second schedule: runs happen on time, and a
// tick while a run is going is skipped, not queued.
func TestServeEverySecond(t *testing.T) {
	if testing.Short() {
		t.Skip("waits about 3 s")
	}
	l := newLogs()
	var mu sync.Mutex
	calls := 0
	skipped := make(chan struct{})
	s, err := New(Config{
		Schedule: mustParse(t, "@every 1s"),
		Run: func(ctx context.Context) (Result, error) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n == 1 {
				<-skipped // hold the first run until a tick has been skipped
			}
			return Result{Outcome: NothingNew}, nil
		},
		LastPublished: func() (time.Time, error) { return time.Now(), nil }, // no catch-up
		Grace:         time.Minute,
		Log:           slog.New(l),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- s.Serve(ctx, ln) }()
	l.waitFor(t, "INFO run started trigger=schedule")
	l.waitFor(t, "WARN run skipped: the previous run is still going")
	close(skipped)
	l.waitFor(t, "INFO run finished trigger=schedule outcome=nothing_new")
	l.waitFor(t, "INFO run finished trigger=schedule outcome=nothing_new")
	m := metricstest.Scrape(t, "http://"+ln.Addr().String()+"/metrics")
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if m["marginmix_runs_total{outcome=nothing_new}"] < 2 || m["marginmix_runs_total{outcome=skipped_running}"] < 1 {
		t.Fatalf("metrics: %v", m)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("still serving after Serve returned")
	}
}

func TestServeHTTPErrorStops(t *testing.T) {
	s, _, _ := newTest(t, func(context.Context) (Result, error) { return Result{Outcome: NothingNew}, nil })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // Serve's Accept fails at once
	err = s.Serve(context.Background(), ln)
	if err == nil || !strings.HasPrefix(err.Error(), "serve http: ") {
		t.Fatalf("got %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Schedule: cron.Every(time.Second), Run: func(context.Context) (Result, error) { return Result{}, nil },
		LastPublished: func() (time.Time, error) { return time.Time{}, nil }}
	for _, tc := range []struct {
		Name    string
		Edit    func(*Config)
		WantErr string
	}{
		{"no schedule", func(c *Config) { c.Schedule = nil }, "schedule: required"},
		{"no runner", func(c *Config) { c.Run = nil }, "run: required"},
		{"no last published", func(c *Config) { c.LastPublished = nil }, "last published: required"},
		{"negative grace", func(c *Config) { c.Grace = -time.Second }, "grace: -1s: must not be negative"},
	} {
		c := ok
		tc.Edit(&c)
		if _, err := New(c); err == nil || err.Error() != tc.WantErr {
			t.Errorf("%s: %v, want %s", tc.Name, err, tc.WantErr)
		}
	}
}

func TestCronLogger(t *testing.T) {
	l := newLogs()
	cl := CronLogger(slog.New(l))
	cl.Info("wake", "now", t0)
	cl.Error(errors.New("boom"), "panic", "stack", "...")
	want := "DEBUG wake component=cron now=2026-05-10 09:00:00 +0000 UTC\nERROR panic component=cron stack=... err=boom"
	if got := l.all(); got != want {
		t.Fatalf("%s\nwant\n%s", got, want)
	}
}
