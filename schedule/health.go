package schedule

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health statuses.
const (
	StatusOK      = "ok"
	StatusFailing = "failing" // the last run failed
	StatusOverdue = "overdue" // the run expected after the last one has not happened within a whole interval
)

// Status is the body of /healthz.
type Status struct {
	Status        string     `json:"status"` // ok, failing or overdue
	Running       bool       `json:"running"`
	RunningSince  *time.Time `json:"running_since,omitempty"`
	LastRun       *RunStatus `json:"last_run"` // the last run whatever its outcome; null before the first
	LastSuccess   *time.Time `json:"last_success"`
	LastPublished *time.Time `json:"last_published"`
	NextRun       time.Time  `json:"next_run"`
	// OverdueAfter is when the status turns overdue unless a run serves
	// its slot first: one interval past the slot expected after the last
	// run (or the start).
	OverdueAfter time.Time `json:"overdue_after"`
}

// RunStatus describes one run.
type RunStatus struct {
	Trigger         string    `json:"trigger"` // schedule or catch-up
	Outcome         Outcome   `json:"outcome"`
	RunID           string    `json:"run_id,omitempty"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	DurationSeconds float64   `json:"duration_seconds"`
	Error           string    `json:"error,omitempty"`
}

// Health returns the status /healthz reports and whether it is healthy:
// not when the last run that ran failed, nor when a run is overdue.
func (s *Scheduler) Health() (Status, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Status: StatusOK, LastRun: s.lastRun, NextRun: s.cfg.Schedule.Next(now)}
	if !s.runningSince.IsZero() {
		t := s.runningSince
		st.Running, st.RunningSince = true, &t
	}
	if !s.lastSuccess.IsZero() {
		t := s.lastSuccess
		st.LastSuccess = &t
	}
	if !s.lastPublished.IsZero() {
		t := s.lastPublished
		st.LastPublished = &t
	}
	ref := s.slotRef
	if ref.IsZero() {
		ref = s.started
	}
	if expected := s.cfg.Schedule.Next(ref); !expected.IsZero() {
		st.OverdueAfter = s.cfg.Schedule.Next(expected)
	}
	switch {
	case s.lastCompleted != nil && s.lastCompleted.Outcome == Failed:
		st.Status = StatusFailing
	case !st.OverdueAfter.IsZero() && now.After(st.OverdueAfter):
		st.Status = StatusOverdue
	}
	return st, st.Status == StatusOK
}

// Handler serves /healthz (200 when healthy, else 503, with Status as JSON)
// and /metrics (Prometheus text format).
func (s *Scheduler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		st, ok := s.Health()
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write(append(b, '\n'))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}}))
	return mux
}

// slogPrinter lets promhttp report errors of a scrape through the log.
type slogPrinter struct{ s *Scheduler }

func (p slogPrinter) Println(v ...any) { p.s.log.Warn("metrics", "msg", v) }
