package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/pipeline"
)

func newValidateCmd(stdout io.Writer) *cobra.Command {
	cfg := pipeline.Default()
	cmd := &cobra.Command{
		Use:   "validate [FILE...]",
		Short: "Show what each workbook would yield, and every problem, without publishing",
		Long: `validate reads workbooks exactly as run would, with the spec that matches each,
and prints the facts it would extract (cell, metric, segment, calendar quarter,
the company's fiscal year and quarter, the value as written in the cell, unit,
and the value in base units), the rows it skipped and why, and the reason a
workbook would be quarantined (one of half years or full years only says so).
It publishes nothing.

With no FILE it checks every workbook of the inbox (default: the bundled
samples). A FILE is matched to a spec by its file name.

Exit status:
  0    every workbook reads
  2    usage or configuration error
  3    some workbooks would be quarantined`,
		RunE: func(cmd *cobra.Command, files []string) error {
			checked, err := pipeline.Validate(cmd.Context(), cfg, files)
			if err != nil {
				return err
			}
			bad := 0
			for _, c := range checked {
				if c.Err != nil {
					bad++
				}
				printChecked(stdout, c)
			}
			fmt.Fprintf(stdout, "%d workbook(s): %d read, %d would be quarantined\n", len(checked), len(checked)-bad, bad)
			if bad > 0 {
				return quarantinedError{n: bad, validate: true}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Inbox, "inbox", "", "folder of workbooks to check when no FILE is given (default: the bundled samples)")
	f.BoolVar(&cfg.FollowLinks, "follow-links", false, "also check links in the inbox that lead to files outside it")
	f.StringVar(&cfg.Specs, "specs", "", "folder of YAML source specs (default: the bundled specs)")
	f.StringVar(&cfg.Out, "out", cfg.Out, "output folder (validate writes nothing to it)")
	return cmd
}

func printChecked(w io.Writer, c pipeline.Checked) {
	company := c.Company
	if company == "" {
		company = "company unknown"
	}
	fmt.Fprintf(w, "== %s (%s)\n", c.Path, company)
	if c.Err != nil {
		fmt.Fprintf(w, "QUARANTINE %v\n\n", c.Err)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cell\tmetric\tsegment\tcalendar quarter\tfiscal\tas written\tunit\tvalue")
	for _, f := range c.Facts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tFY%d Q%d\t%s\t%s\t%s\n", f.SourceCell, f.Metric, f.Segment, f.CalendarQuarter,
			f.FiscalYear, f.FiscalQuarter, strconv.FormatFloat(f.Value/f.SourceScale, 'f', -1, 64), f.Unit, strconv.FormatFloat(f.Value, 'f', -1, 64))
	}
	tw.Flush()
	for _, fd := range c.Findings {
		fmt.Fprintf(w, "note %s\n", fd)
	}
	notes := "notes"
	if len(c.Findings) == 1 {
		notes = "note"
	}
	fmt.Fprintf(w, "%d facts, %d %s\n\n", len(c.Facts), len(c.Findings), notes)
}
