package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Outcome is how a run ended; it labels marginmix_runs_total.
type Outcome string

// Outcomes of a run.
const (
	Published      Outcome = "published"       // published; no workbook quarantined
	NothingNew     Outcome = "nothing_new"     // nothing had changed; the publication was left as it was
	Quarantined    Outcome = "quarantined"     // published, but some workbooks were quarantined
	Failed         Outcome = "failed"          // failed; nothing new was published
	SkippedLocked  Outcome = "skipped_locked"  // another writer (a manual run or a backfill) held the output folder
	SkippedRunning Outcome = "skipped_running" // the previous run of this scheduler was still going
	Canceled       Outcome = "canceled"        // cancelled at shutdown when the grace period ran out; nothing new was published
)

// Outcomes lists every outcome, in the order metrics show them.
var Outcomes = []Outcome{Published, NothingNew, Quarantined, Failed, SkippedLocked, SkippedRunning, Canceled}

// succeeded reports whether the run ended without failure.
func (o Outcome) succeeded() bool { return o == Published || o == NothingNew || o == Quarantined }

// Result is what one run reports.
type Result struct {
	Outcome     Outcome
	RunID       string
	Workbooks   int   // workbooks read this run (new or changed)
	Quarantined int   // workbooks quarantined in the run's publication
	Facts       int64 // facts published; 0 when nothing was published
}

// Runner runs the job once. It returns Published, NothingNew or Quarantined
// with a nil error; SkippedLocked, with or without the error that says who
// holds the lock; or an error, which is a failure (or Canceled, when it
// wraps context.Canceled after shutdown cancelled ctx).
type Runner func(ctx context.Context) (Result, error)

// Config is what a Scheduler needs.
type Config struct {
	Schedule cron.Schedule // when to run, usually from Parse
	Run      Runner
	// LastPublished returns when the output was last published, the zero
	// time if never. On start, an output older than the previous scheduled
	// time is caught up with one run at once.
	LastPublished func() (time.Time, error)
	// Grace is how long a run may go on after Serve's context is done
	// before it is cancelled.
	Grace time.Duration
	Log   *slog.Logger
	Now   func() time.Time // the clock; nil means time.Now
	// Version is marginmix's build, exported as marginmix_build_info.
	Version string
}

// Validate checks the settings; errors name the field.
func (c *Config) Validate() error {
	switch {
	case c.Schedule == nil:
		return errors.New("schedule: required")
	case c.Run == nil:
		return errors.New("run: required")
	case c.LastPublished == nil:
		return errors.New("last published: required")
	case c.Grace < 0:
		return fmt.Errorf("grace: %v: must not be negative", c.Grace)
	}
	return nil
}

// Log keys.
const (
	keyTrigger  = "trigger"
	keyOutcome  = "outcome"
	keyRun      = "run"
	keyElapsed  = "elapsed"
	keyErr      = "err"
	keyNext     = "next"
	keyGrace    = "grace"
	keyAddr     = "addr"
	keyPrevSlot = "previous_slot"
	keyLastPub  = "last_published"
)

// Triggers: why a run started.
const (
	triggerSchedule = "schedule"
	triggerCatchUp  = "catch-up"
)

// Scheduler runs a Runner on a schedule. Create it with New and start it
// with Serve.
type Scheduler struct {
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics
	catchUp atomic.Bool // the next run is the start-up catch-up

	mu            sync.Mutex
	started       time.Time  // when Serve started (New, before)
	runningSince  time.Time  // zero when no run is going
	lastRun       *RunStatus // the last run, whatever its outcome (skips of overlapping runs aside)
	lastCompleted *RunStatus // the last run that published, found nothing new, or failed
	slotRef       time.Time  // start of the last run that served its slot: the reference for "overdue"
	lastSuccess   time.Time
	lastPublished time.Time
}

// New returns a Scheduler; its metrics and health are served by Handler.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Scheduler{cfg: cfg, now: cfg.Now, log: cfg.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.started = s.now()
	s.metrics = newMetrics(s)
	return s, nil
}

// Serve runs the schedule until ctx is done, serving Handler on ln (when
// not nil). On start it runs once at once if the last publication is older
// than the previous scheduled time. Runs never overlap: a run due while the
// last one is still going is skipped. When ctx is done no new run starts;
// the current one may finish within the grace period, after which its
// context is cancelled. Serve returns nil after such a stop, or the error of
// the HTTP server.
func (s *Scheduler) Serve(ctx context.Context, ln net.Listener) error {
	// Runs get the values of ctx but not its cancellation: a stop signal
	// lets the current run finish, and only the end of the grace period
	// cancels it.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()

	now := s.now()
	s.mu.Lock()
	s.started = now
	s.mu.Unlock()
	catchUp := s.needCatchUp(now)

	c := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(CronLogger(s.log)))
	job := s.newJob(runCtx)
	c.Schedule(s.cfg.Schedule, job)
	if catchUp {
		s.catchUp.Store(true)
		c.Schedule(new(once), job)
	}

	var srv *http.Server
	srvErr := make(chan error, 1)
	if ln != nil {
		srv = &http.Server{
			Handler:           s.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		}
		go func() { srvErr <- srv.Serve(ln) }()
		s.log.Info("serving /healthz and /metrics", keyAddr, ln.Addr().String())
	}
	c.Start()
	s.log.Info("scheduler started", keyNext, s.cfg.Schedule.Next(now), "catch_up", catchUp)

	var err error
	select {
	case <-ctx.Done():
		s.log.Info("stopping: no new run will start")
	case err = <-srvErr:
		err = fmt.Errorf("serve http: %w", err)
	}
	s.stop(c, cancelRuns)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // only idle connections are left to close
	}
	return err
}

// needCatchUp reports whether the last publication is older than the
// previous scheduled time, and logs the decision.
func (s *Scheduler) needCatchUp(now time.Time) bool {
	last, err := s.refreshLastPublished()
	prev := Prev(s.cfg.Schedule, now)
	switch {
	case err != nil:
		s.log.Warn("catch-up: cannot tell when the output was last published; running once now", keyErr, err)
		return true
	case last.IsZero():
		s.log.Info("catch-up: nothing published yet; running once now", keyPrevSlot, prev)
		return true
	case !prev.IsZero() && last.Before(prev):
		s.log.Info("catch-up: the last publication is older than the previous scheduled time; running once now",
			keyLastPub, last, keyPrevSlot, prev)
		return true
	}
	s.log.Info("no catch-up: the last publication is newer than the previous scheduled time", keyLastPub, last, keyPrevSlot, prev)
	return false
}

// stop stops the cron and waits for the current run, cancelling it when
// the grace period runs out.
func (s *Scheduler) stop(c *cron.Cron, cancelRuns context.CancelFunc) {
	done := c.Stop()
	if since := s.running(); !since.IsZero() {
		s.log.Info("waiting for the current run to finish", "running_since", since, keyGrace, s.cfg.Grace)
	}
	t := time.NewTimer(s.cfg.Grace)
	defer t.Stop()
	select {
	case <-done.Done():
	case <-t.C:
		s.log.Warn("grace period over: cancelling the current run; it publishes nothing", keyGrace, s.cfg.Grace)
		cancelRuns()
		<-done.Done()
	}
	s.log.Info("scheduler stopped")
}

// once is a schedule that fires at once, then never again.
type once struct{ fired bool }

func (o *once) Next(t time.Time) time.Time {
	if o.fired {
		return time.Time{}
	}
	o.fired = true
	return t
}

// newJob returns the run as a cron job that skips an invocation while the
// previous one is still going. Every entry of a scheduler shares it.
func (s *Scheduler) newJob(ctx context.Context) cron.Job {
	return cron.NewChain(cron.SkipIfStillRunning(skipLogger{s})).Then(cron.FuncJob(func() { s.runOnce(ctx) }))
}

// skipLogger receives SkipIfStillRunning's "skip" (its only Info message)
// and counts it.
type skipLogger struct{ s *Scheduler }

var _ cron.Logger = skipLogger{}

func (l skipLogger) Info(string, ...any) { l.s.skippedRunning() }
func (l skipLogger) Error(err error, msg string, kv ...any) {
	l.s.log.Error(msg, append(kv, keyErr, err)...)
}

func (s *Scheduler) skippedRunning() {
	s.metrics.runs.WithLabelValues(string(SkippedRunning)).Inc()
	s.log.Warn("run skipped: the previous run is still going", keyOutcome, SkippedRunning, "running_since", s.running())
}

func (s *Scheduler) running() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runningSince
}

// runOnce runs the job and records how it ended.
func (s *Scheduler) runOnce(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	trigger := triggerSchedule
	if s.catchUp.CompareAndSwap(true, false) {
		trigger = triggerCatchUp
	}
	log := s.log.With(keyTrigger, trigger)
	start := s.now()
	s.mu.Lock()
	s.runningSince = start
	s.mu.Unlock()
	s.metrics.inProgress.Set(1)
	log.Info("run started")

	res, err := s.call(ctx)
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled):
		res.Outcome = Canceled
	case res.Outcome == SkippedLocked:
	case err != nil:
		res.Outcome = Failed
	case !res.Outcome.succeeded():
		res.Outcome, err = Failed, fmt.Errorf("runner returned outcome %q without an error", res.Outcome)
	}
	end := s.now()
	st := &RunStatus{Trigger: trigger, Outcome: res.Outcome, RunID: res.RunID, Started: start, Finished: end,
		DurationSeconds: end.Sub(start).Seconds()}
	if err != nil {
		st.Error = err.Error()
	}
	s.record(res, st)

	elapsed := end.Sub(start).Round(time.Millisecond)
	switch res.Outcome {
	case Failed:
		log.Error("run failed; nothing new published", keyOutcome, res.Outcome, keyErr, err, keyElapsed, elapsed)
	case SkippedLocked:
		log.Warn("run skipped: another writer holds the output folder", keyOutcome, res.Outcome, keyErr, err)
	case Canceled:
		log.Warn("run cancelled at shutdown; nothing new published", keyOutcome, res.Outcome, keyElapsed, elapsed)
	default:
		log.Info("run finished", keyOutcome, res.Outcome, keyRun, res.RunID, "workbooks_read", res.Workbooks,
			"quarantined", res.Quarantined, "facts", res.Facts, keyElapsed, elapsed)
	}
}

// call runs the job; a panic is a failure, not the end of the daemon.
func (s *Scheduler) call(ctx context.Context) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{Outcome: Failed}, fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return s.cfg.Run(ctx)
}

// record keeps a finished run's status and counts it.
func (s *Scheduler) record(res Result, st *RunStatus) {
	m := s.metrics
	m.runs.WithLabelValues(string(res.Outcome)).Inc()
	if res.Outcome != SkippedLocked {
		m.duration.Observe(st.DurationSeconds)
	}
	m.workbooks.Add(float64(res.Workbooks))
	m.quarantined.Add(float64(res.Quarantined))
	m.facts.Add(float64(res.Facts))
	if res.Outcome == Published || res.Outcome == Quarantined {
		if _, err := s.refreshLastPublished(); err != nil {
			s.log.Warn("cannot read the publication just made", keyErr, err)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.runningSince = time.Time{}
	m.inProgress.Set(0)
	s.lastRun = st
	if res.Outcome.succeeded() || res.Outcome == Failed {
		s.lastCompleted = st
	}
	if res.Outcome != Canceled {
		s.slotRef = st.Started
	}
	if res.Outcome.succeeded() {
		s.lastSuccess = st.Finished
		m.lastSuccess.Set(unixSeconds(st.Finished))
	}
}

// refreshLastPublished asks when the output was last published and keeps it.
func (s *Scheduler) refreshLastPublished() (time.Time, error) {
	t, err := s.cfg.LastPublished()
	if err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !t.IsZero() {
		s.lastPublished = t
		s.metrics.lastPublished.Set(unixSeconds(t))
	}
	return t, nil
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
