package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"time"
	_ "time/tzdata" // --tz works in images without a zoneinfo database

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/pipeline"
	"github.com/marginmix/marginmix/schedule"
)

const scheduleExitHelp = `Exit status:
  0    stopped by SIGTERM or SIGINT (a run in progress finished, or was
       cancelled before publishing when --grace ran out)
  1    the HTTP listener failed
  2    usage or configuration error (--cron, --tz, --grace, folders)`

func newScheduleCmd(stderr io.Writer) *cobra.Command {
	cfg := pipeline.Default()
	logLevel := "info"
	var lf lakeFlags
	var expr, tz, listen string
	grace := 5 * time.Minute
	cmd := &cobra.Command{
		Use:   `schedule --cron "0 2 * * *" [--tz ZONE] [--listen 127.0.0.1:9108] [--grace 5m]`,
		Short: "Run on a cron schedule as a daemon, with /healthz and /metrics",
		Long: `schedule runs what run does on a cron schedule until it receives SIGTERM or
SIGINT. It takes every flag of run.

--cron is a five-field expression (minute hour day-of-month month day-of-week,
e.g. "0 2 * * *") or a descriptor (@daily, @hourly, @every 30m), read on the
wall clock of --tz (default UTC). A time the clocks skip when they spring
forward runs once, at the end of the gap (02:30 runs at 03:00); a time they
repeat when they fall back runs once, the first time. Expressions that run
every hour, and @every, follow elapsed time.

Runs never overlap: a run due while the last one is still going is skipped,
and one due while another writer (a manual run or backfill) holds the output
folder is skipped too. Both are logged and counted, not failures.

On start, if the output was last published (_manifest.json finished_at)
before the previous scheduled time, or never, it runs once at once.

On SIGTERM or SIGINT no new run starts; a run in progress may finish within
--grace, after which it is cancelled before it publishes anything.

--listen serves /healthz (200, or 503 when the last run failed or a run is
a whole interval overdue; JSON with the last run) and /metrics (Prometheus).
An empty --listen serves nothing.

` + scheduleExitHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(stderr, logLevel)
			if err != nil {
				return err
			}
			if expr == "" {
				return usageError{errors.New(`--cron is required, e.g. --cron "0 2 * * *"`)}
			}
			loc, err := time.LoadLocation(tz)
			if err != nil {
				return usageError{fmt.Errorf("--tz %q: unknown time zone", tz)}
			}
			sched, err := schedule.Parse(expr, loc)
			if err != nil {
				return usageError{fmt.Errorf("--cron: %w", err)}
			}
			if grace < 0 {
				return usageError{fmt.Errorf("--grace %v: must not be negative", grace)}
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			s, err := schedule.New(schedule.Config{
				Schedule: sched,
				Run: func(ctx context.Context) (schedule.Result, error) {
					return result(runStaged(ctx, cfg, lf, log, func(ctx context.Context, cfg pipeline.Config) (*pipeline.Summary, error) {
						return pipeline.Run(ctx, cfg, log)
					}))
				},
				LastPublished: func() (time.Time, error) { return lastPublished(cfg.Out) },
				Grace:         grace,
				Log:           log.With("cron", expr, "tz", loc.String()),
				Version:       pipeline.Version,
			})
			if err != nil {
				return err
			}
			var ln net.Listener
			if listen != "" {
				if ln, err = net.Listen("tcp", listen); err != nil {
					return fmt.Errorf("--listen: %w", err)
				}
			}
			return s.Serve(cmd.Context(), ln)
		},
	}
	addRunFlags(cmd, &cfg)
	addLakeFlags(cmd, &lf)
	f := cmd.Flags()
	f.BoolVar(&cfg.Full, "full", false, "re-extract every workbook at every run, changed or not")
	f.StringVar(&logLevel, "log-level", logLevel, "debug, info, warn or error")
	f.StringVar(&expr, "cron", "", `when to run: "MIN HOUR DOM MONTH DOW", @daily, @every 1h (required)`)
	f.StringVar(&tz, "tz", "UTC", "time zone the --cron expression is read in, e.g. Europe/Berlin")
	f.StringVar(&listen, "listen", "127.0.0.1:9108", `address of /healthz and /metrics ("" for none)`)
	f.DurationVar(&grace, "grace", grace, "how long a run may go on after SIGTERM before it is cancelled")
	return cmd
}

// result maps a run's summary to the scheduler's outcome. A held lock is a
// skip: another writer is publishing.
func result(sum *pipeline.Summary, err error) (schedule.Result, error) {
	var le *load.LockError
	if errors.As(err, &le) {
		return schedule.Result{Outcome: schedule.SkippedLocked}, err
	}
	if err != nil {
		return schedule.Result{Outcome: schedule.Failed}, err
	}
	r := schedule.Result{RunID: sum.RunID, Workbooks: sum.Read, Quarantined: sum.Quarantined}
	switch {
	case sum.NothingNew:
		r.Outcome = schedule.NothingNew
	case sum.Quarantined > 0:
		r.Outcome = schedule.Quarantined
	default:
		r.Outcome = schedule.Published
	}
	if sum.Published {
		r.Facts = sum.Facts
	}
	return r, nil
}

// lastPublished is the finished_at of the output folder's manifest; the
// zero time when nothing was published yet.
func lastPublished(out string) (time.Time, error) {
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return m.FinishedAt, nil
}

// newHealthcheckCmd is the container's HEALTHCHECK: the image has no curl.
func newHealthcheckCmd(stdout io.Writer) *cobra.Command {
	url := "http://127.0.0.1:9108/healthz"
	timeout := 5 * time.Second
	cmd := &cobra.Command{
		Use:    "healthcheck [--url URL]",
		Short:  "Exit 0 if the scheduler's /healthz answers 200, else 1",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return usageError{fmt.Errorf("--url: %w", err)}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := io.Copy(stdout, io.LimitReader(resp.Body, 1<<20)); err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s", url, resp.Status)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", url, "health endpoint to check")
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "give up after this long")
	return cmd
}
