package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/pipeline"
)

func newBackfillCmd(stdout, stderr io.Writer) *cobra.Command {
	cfg := pipeline.Default()
	var companies []string
	var scope load.Scope
	var dryRun bool
	var lf lakeFlags
	var sf shardFlags
	logLevel := "info"
	cmd := &cobra.Command{
		Use:   "backfill --company T[,T] [--from 2024Q1] [--to 2026Q1] [--dry-run]",
		Short: "Re-read one company's workbooks after it reports or restates, and republish its facts",
		Long: `backfill re-reads every workbook whose spec names one of the companies, changed
or not, and replaces those companies' facts between --from and --to (calendar
quarters, inclusive; open-ended when omitted) with what the workbooks say now.
Every other fact, and every other company's partition, stays exactly as
published. A value that differs from the published one becomes a new vintage
(facts_vintages keeps both; data_quality lists the restatement).

--dry-run prints what would change (added, changed old -> new with the cell,
removed) and publishes nothing.

` + exitHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(stderr, logLevel)
			if err != nil {
				return err
			}
			for _, c := range companies {
				if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
					scope.Companies = append(scope.Companies, c)
				}
			}
			if err := sf.apply(&cfg); err != nil {
				return err
			}
			cfg.Progress = progressFunc(stderr, log)
			sum, err := runStaged(cmd.Context(), cfg, lf, log, func(ctx context.Context, cfg pipeline.Config) (*pipeline.Summary, error) {
				return pipeline.Backfill(ctx, cfg, scope, dryRun, log)
			})
			if err != nil {
				return err
			}
			if dryRun {
				counts := map[string]int{}
				for _, c := range sum.Changes {
					counts[c.Kind]++
					fmt.Fprintln(stdout, c)
				}
				fmt.Fprintf(stdout, "%d changes (%d added, %d changed, %d removed) from %d workbooks re-read; nothing published\n",
					len(sum.Changes), counts["added"], counts["changed"], counts["removed"], sum.Read)
				return nil
			}
			return summarise(stderr, cfg, sum)
		},
	}
	addRunFlags(cmd, &cfg)
	addLakeFlags(cmd, &lf)
	addShardFlags(cmd, &sf)
	f := cmd.Flags()
	f.StringSliceVar(&companies, "company", nil, "tickers to backfill, comma-separated (required)")
	f.StringVar(&scope.From, "from", "", "first calendar quarter to replace, e.g. 2024Q1")
	f.StringVar(&scope.To, "to", "", "last calendar quarter to replace, e.g. 2026Q1")
	f.BoolVar(&dryRun, "dry-run", false, "print what would change and publish nothing")
	f.StringVar(&logLevel, "log-level", logLevel, "debug, info, warn or error")
	return cmd
}
