package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/report"
)

func newReportCmd(stdout, stderr io.Writer) *cobra.Command {
	var out, html string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Summarise the latest quarter; with --html, write a page of charts",
		Long: `report prints, for the latest quarter of the publication in the output folder,
each company and segment's operating margin with its Q/Q and Y/Y move in basis
points, the TaaS share of AI revenue (ai_mix), the margin trend (peer_trends)
and the number of data_quality findings.

With --html FILE it also writes one self-contained HTML page (inline CSS and
SVG, no script, nothing fetched) with the cloud segments' margin trends, the
TaaS/IaaS revenue mix, the margin bridge as a waterfall, reported against
depreciation-adjusted margins, and the data-quality findings.

Exit status:
  0    the report was written
  1    failed
  2    usage error, or no publication in the output folder`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := loadReport(cmd.Context(), out)
			if err != nil {
				var np *load.NoPublicationError
				if errors.As(err, &np) {
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
	f.StringVar(&out, "out", "out", "output folder to read")
	f.StringVar(&html, "html", "", "also write the report as a self-contained HTML page to this file")
	return cmd
}

// loadReport reads a report's data, every query from one publication.
func loadReport(ctx context.Context, out string) (*report.Data, error) {
	var d *report.Data
	err := load.Read(ctx, out, load.ReaderOptions{}, func(r *load.Reader) error {
		q := func(ctx context.Context, query string) ([]map[string]any, error) {
			t, err := r.Query(ctx, query)
			if err != nil {
				return nil, err
			}
			return t.Maps(), nil
		}
		src := report.Source{Out: out, RunID: r.Manifest.RunID, Published: r.Manifest.FinishedAt}
		var err error
		d, err = report.Load(ctx, q, src)
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
