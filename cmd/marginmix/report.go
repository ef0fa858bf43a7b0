package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/report"
)

func newReportCmd(stdout, stderr io.Writer) *cobra.Command {
	var out, html string
	var lf lakeFlags
	var companies, peers []string
	var focus report.Focus
	cmd := &cobra.Command{
		Use:   "report [--company T[,T]] [--peers T[,T]] [--quarter 2026Q1] [--html FILE]",
		Short: "Summarise the latest quarter; with --html, write a page of charts",
		Long: `report prints, for the latest quarter of the publication in the output folder,
what moved (the largest Q/Q margin moves with their mix and rate effects, the
TaaS mix shifts, the cloud peers' trends, the server-life adjustment), then
each company and segment's operating margin with its Q/Q and Y/Y move in basis
points, the TaaS share of AI revenue (ai_mix), the margin trend (peer_trends)
and the number of data_quality findings.

With --html FILE it also writes one self-contained HTML page (inline CSS and
SVG, no script, nothing fetched) with the same headline, the cloud segments'
margin trends, the TaaS/IaaS revenue mix, the margin bridge as a waterfall,
reported against depreciation-adjusted margins, the data-quality findings and
the definitions of the terms used.

--company narrows the report to some companies (their segments, mix, bridges
and findings); --peers names the companies to compare them with in the cloud
margin chart and the peers' sentence (default: every cloud segment);
--quarter describes an earlier quarter than the latest.

Exit status:
  0    the report was written
  1    failed
  2    usage error, or no publication in the output folder`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			focus.Companies, focus.Peers = tickers(companies), tickers(peers)
			if focus.Quarter != "" && !reQuarter.MatchString(focus.Quarter) {
				return usageError{fmt.Errorf("--quarter %q: want a calendar quarter such as 2026Q1", focus.Quarter)}
			}
			local, err := readable(cmd.Context(), out, lf)
			if err != nil {
				return err
			}
			d, err := loadReport(cmd.Context(), local, out, focus)
			if err != nil {
				var np *load.NoPublicationError
				var fe *report.FocusError
				if errors.As(err, &np) || errors.As(err, &fe) {
					return usageError{err}
				}
				return err
			}
			if html != "" {
				var b bytes.Buffer
				if err := report.WriteHTML(&b, d); err != nil {
					return err
				}
				if err := writeFileAtomic(html, b.Bytes()); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", html, b.Len())
			}
			return report.WriteText(stdout, d)
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "out", "output folder to read, or s3://bucket/prefix with --catalog")
	addLakeFlags(cmd, &lf)
	f.StringVar(&html, "html", "", "also write the report as a self-contained HTML page to this file")
	f.StringSliceVar(&companies, "company", nil, "only these companies, comma-separated tickers")
	f.StringSliceVar(&peers, "peers", nil, "compare with these companies' cloud segments (default: every cloud segment)")
	f.StringVar(&focus.Quarter, "quarter", "", "the calendar quarter to describe, e.g. 2025Q4 (default: the latest)")
	return cmd
}

var reQuarter = regexp.MustCompile(`^\d{4}Q[1-4]$`)

// tickers upper-cases and trims a flag's list, dropping empty names.
func tickers(list []string) []string {
	var out []string
	for _, c := range list {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// loadReport reads a report's data, every query from one publication: the
// folder dir, which the report names as out (an s3:// --out is read from
// its local copy).
func loadReport(ctx context.Context, dir, out string, focus report.Focus) (*report.Data, error) {
	var d *report.Data
	err := load.Read(ctx, dir, load.ReaderOptions{}, func(r *load.Reader) error {
		q := func(ctx context.Context, query string) ([]map[string]any, error) {
			t, err := r.Query(ctx, query)
			if err != nil {
				return nil, err
			}
			return t.Maps(), nil
		}
		src := report.Source{Out: out, RunID: r.Manifest.RunID, Published: r.Manifest.FinishedAt}
		var err error
		d, err = report.Load(ctx, q, src, focus)
		return err
	})
	return d, err
}

// writeFileAtomic writes a file through a temporary one beside it, so a
// reader never sees half a page.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
