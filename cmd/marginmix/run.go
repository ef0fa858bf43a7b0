package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/pipeline"
)

func newRunCmd(stderr io.Writer) *cobra.Command {
	cfg := pipeline.Default()
	var lf lakeFlags
	var sf shardFlags
	logLevel := "info"
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Read the inbox, run the analyses and publish the output folder",
		Long: `run reads every workbook in the inbox with the spec whose file globs match it,
runs the analyses, and publishes the output folder in one atomic step:

  OUT/facts/*.parquet                canonical facts, latest vintage (files of company ranges)
  OUT/facts_vintages/*.parquet       every vintage
  OUT/<analysis>.parquet             one file per analysis (sql/*.sql)
  OUT/_manifest.json                 inputs with status and reason; outputs with rows and sha256
  OUT/_quarantine/                   copies of rejected workbooks, each with a .reason.txt

With no flags it reads the sample workbooks and specs bundled in marginmix and
writes ./out. A workbook that cannot be read (encrypted, corrupt, no matching
spec, a bad cell) is quarantined with its file, sheet and cell, and the run
goes on.

With --out s3://bucket/prefix and --catalog, every dataset is an Apache
Iceberg table instead (docs/operations.md): the run stages its work in
--cache, uploads the files, then commits one snapshot per changed table.

With --shard I/N --batch NAME, run reads only its share of the inbox and
stages it; ` + "`marginmix commit --batch NAME`" + ` publishes the batch once all
N shards are staged. A shard exits 0 when it staged, quarantines included:
the commit reports them.

` + exitHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(stderr, logLevel)
			if err != nil {
				return err
			}
			if err := sf.apply(&cfg); err != nil {
				return err
			}
			cfg.Progress = progressFunc(stderr, log)
			sum, err := runStaged(cmd.Context(), cfg, lf, log, func(ctx context.Context, cfg pipeline.Config) (*pipeline.Summary, error) {
				return pipeline.Run(ctx, cfg, log)
			})
			if err != nil {
				return err
			}
			return summarise(stderr, cfg, sum)
		},
	}
	addRunFlags(cmd, &cfg)
	addLakeFlags(cmd, &lf)
	addShardFlags(cmd, &sf)
	cmd.Flags().BoolVar(&cfg.Full, "full", false, "re-extract every workbook, changed or not")
	cmd.Flags().StringVar(&logLevel, "log-level", logLevel, "debug, info, warn or error")
	return cmd
}

// summarise prints a run's closing line and maps quarantines to exit 3.
func summarise(w io.Writer, cfg pipeline.Config, sum *pipeline.Summary) error {
	if sum.Staged != "" {
		return staged(w, cfg, sum)
	}
	if sum.NothingNew {
		fmt.Fprintf(w, "nothing new: %d workbooks unchanged, %d quarantined; %s left as it was (%s)\n",
			sum.Unchanged, sum.Quarantined, cfg.Out, sum.Elapsed.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "published %s: %d workbooks (%d read, %d unchanged, %d quarantined), %d facts, %d datasets in %s\n",
			cfg.Out, len(sum.Inputs), sum.Read, sum.Unchanged, sum.Quarantined,
			sum.Facts, sum.Datasets, sum.Elapsed.Round(time.Millisecond))
	}
	if sum.Quarantined > 0 {
		return quarantinedError{n: sum.Quarantined}
	}
	return nil
}

// addRunFlags adds the flags run, backfill and schedule share.
func addRunFlags(cmd *cobra.Command, cfg *pipeline.Config) {
	f := cmd.Flags()
	f.StringVar(&cfg.Inbox, "inbox", "", "folder of workbooks to read, or s3://bucket/prefix (default: the bundled sample workbooks)")
	f.StringVar(&cfg.Specs, "specs", "", "folder of YAML source specs (default: the bundled specs)")
	f.BoolVar(&cfg.FollowLinks, "follow-links", false, "also read links in the inbox that lead to files outside it")
	f.BoolVar(&cfg.AllowEmptyInbox, "allow-empty-inbox", false, "publish even when the inbox holds no workbooks (by default an error: an unmounted share)")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "CPUs the run takes: workbooks read in parallel, and DuckDB's threads at most; as many as this machine has unless set")
	f.DurationVar(&cfg.WorkbookTimeout, "workbook-timeout", cfg.WorkbookTimeout, "quarantine a workbook that takes longer than this to read (0: no limit)")
	addBuildFlags(cmd, cfg)
}

// addBuildFlags adds the flags of what builds and publishes the datasets,
// which commit shares with run, backfill and schedule.
func addBuildFlags(cmd *cobra.Command, cfg *pipeline.Config) {
	f := cmd.Flags()
	f.StringVar(&cfg.Out, "out", cfg.Out, "output folder to publish, or s3://bucket/prefix with --catalog")
	f.StringVar(&cfg.Memory, "memory", pipeline.FormatMemory(pipeline.DefaultMemory()), "the run's memory budget, a quarter of this machine's memory up to 1GiB; DuckDB gets half and keeps the rest of its data in a temporary file")
	f.StringVar(&cfg.DuckDBMemory, "duckdb-memory", "", "override DuckDB's memory limit while facts are loaded (default: half of --memory)")
	f.StringVar(&cfg.AnalysisMemory, "analysis-memory", "", "override DuckDB's memory limit while the analyses run (default: three eighths of --memory)")
	f.StringVar(&cfg.TempDir, "temp-dir", "", "folder for DuckDB's temporary database (default: the system's)")
	f.StringVar(&cfg.SQL, "sql", "", "folder of your own .sql analyses; each file becomes a dataset beside the built-in ones")
	f.IntVar(&cfg.Params.TrendWindow, "trend-window", cfg.Params.TrendWindow, "quarters in the peer_trends margin slope")
	f.Float64Var(&cfg.Params.TrendThresholdBps, "trend-threshold-bps", cfg.Params.TrendThresholdBps, "slope (bp/quarter) beyond which a trend is rising or declining")
	f.Float64Var(&cfg.Params.CommonServerLifeYears, "common-server-life", cfg.Params.CommonServerLifeYears, "server life (years) that depreciation_adjusted restates margins to")
	f.Float64Var(&cfg.Params.ReconToleranceUnits, "recon-tolerance", cfg.Params.ReconToleranceUnits, "rounding allowed when segments are summed, in units of the reported scale per value")
	f.Float64Var(&cfg.Params.LargeMoveBps, "large-move-bps", cfg.Params.LargeMoveBps, "Q/Q margin move (bp) that data_quality flags")
}
