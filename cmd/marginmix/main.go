// Command marginmix turns earnings-season workbooks into Parquet datasets of
// canonical segment facts and margin and revenue-mix analyses.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/marginmix/marginmix/internal/suggest"
	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/load/lake"
	"github.com/marginmix/marginmix/pipeline"
)

// Exit statuses, as the README and exitHelp below state them.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitQuarantined = 3
	exitInterrupted = 130
)

const exitHelp = `Exit status:
  0    published
  1    failed; nothing new was published
  2    usage or configuration error
  3    published, but some workbooks were quarantined (see _manifest.json)
  130  interrupted`

// usageError marks errors of the command line itself (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// quarantinedError is returned when a run published with quarantines, or
// validate found workbooks a run would quarantine (exit status 3).
type quarantinedError struct {
	n        int
	validate bool
}

func (e quarantinedError) Error() string {
	if e.validate {
		return fmt.Sprintf("%d workbook(s) would be quarantined", e.n)
	}
	return fmt.Sprintf("%d workbook(s) quarantined; see _manifest.json and _quarantine/", e.n)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	load.ReleasePathAliases()
	os.Exit(code)
}

// execute runs the command line and returns the exit status.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	if _, _, err := root.Find(args); err != nil {
		return exitCode(usageError{err}, stderr)
	}
	err := root.ExecuteContext(ctx)
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var q quarantinedError
	if errors.As(err, &q) {
		fmt.Fprintln(stderr, "marginmix:", err)
		return exitQuarantined
	}
	fmt.Fprintln(stderr, "marginmix:", err)
	var ue usageError
	var ce *pipeline.ConfigError
	var le *lake.ConfigError
	switch {
	case errors.As(err, &ue), errors.As(err, &ce), errors.As(err, &le):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailed
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "marginmix",
		Short: "Segment margins and revenue mix from earnings workbooks",
		Long: `marginmix reads investor-relations segment tables, financial supplements and
analysts' model workbooks (.xlsx), normalises them into canonical facts with
cell-level lineage, runs margin and revenue-mix analyses in embedded DuckDB,
and publishes Parquet datasets atomically under an output folder.

` + exitHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       pipeline.Version,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{suggestFlag(cmd, err)} })
	root.AddCommand(newRunCmd(stderr), newBackfillCmd(stdout, stderr), newValidateCmd(stdout), newQueryCmd(stdout), newReportCmd(stdout, stderr), newCommitCmd(stderr),
		newScheduleCmd(stderr), newHealthcheckCmd(stdout))
	logFormat = "text"
	root.PersistentFlags().StringVar(&logFormat, "log-format", logFormat, "log format: text or json")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return checkLogFormat() }
	return root
}

// noArgs rejects positional arguments as a usage error (exit status 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}

// logFormat is the root's --log-format, which newLogger reads; newRoot
// resets it.
var logFormat string

func checkLogFormat() error {
	if logFormat != "text" && logFormat != "json" {
		return usageError{fmt.Errorf("--log-format %q: want text or json", logFormat)}
	}
	return nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level: %w", err)}
	}
	if err := checkLogFormat(); err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: l}
	if logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// reUnknownFlag matches pflag's message for a flag the command lacks.
var reUnknownFlag = regexp.MustCompile(`^unknown flag: --(\S+)$`)

// suggestFlag adds the nearest flag of cmd to an unknown flag's error:
// "unknown flag: --inbx (did you mean --inbox?)".
func suggestFlag(cmd *cobra.Command, err error) error {
	m := reUnknownFlag.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	cmd.InheritedFlags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if near := suggest.Nearest(m[1], names); near != "" {
		return fmt.Errorf("%w (did you mean --%s?)", err, near)
	}
	return err
}
