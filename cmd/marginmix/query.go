package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/load"
)

func newQueryCmd(stdout io.Writer) *cobra.Command {
	var out, format, asOf string
	var lf lakeFlags
	cmd := &cobra.Command{
		Use:   `query "SQL"`,
		Short: "Run SQL over the published datasets",
		Long: `query runs one SQL query in an embedded DuckDB over the publication in the
output folder, with a view named after every dataset:

  facts, facts_vintages    the canonical facts (company comes from the folder names)
  segment_margins, ai_mix, peer_trends, margin_bridge, depreciation_adjusted,
  revenue_per_mw, roic, data_quality, and your own --sql analyses

The query reads one publication from start to end, even while a run publishes
the next one.

  marginmix query "SELECT company, segment, operating_margin FROM segment_margins
                   WHERE calendar_quarter = '2026Q1' ORDER BY operating_margin DESC"

--as-of DATE shows the facts as they were known on that date: facts_vintages
keeps the vintages with as_of <= DATE and facts the latest of them per company,
segment, metric, quarter and source_kind. Those two are the only views then:
the analysis datasets are computed from the latest facts, not as of a date, and
a query that names one exits 2 saying so.

Formats: table (aligned, for reading), csv (RFC 4180, with a header row), json
(an array of objects; dates as YYYY-MM-DD).

Exit status:
  0    the query ran
  1    the query failed (an SQL error)
  2    usage error, or no publication in the output folder`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf(`query takes one argument, the SQL (quote it): marginmix query "SELECT ..."; got %d`, len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			write, ok := writers[format]
			if !ok {
				return usageError{fmt.Errorf("--format %q: want table, csv or json", format)}
			}
			var opt load.ReaderOptions
			if asOf != "" {
				d, err := time.Parse(time.DateOnly, asOf)
				if err != nil {
					return usageError{fmt.Errorf("--as-of %q: want a date YYYY-MM-DD", asOf)}
				}
				opt.AsOf = d
			}
			local, err := readable(cmd.Context(), out, lf)
			if err != nil {
				return err
			}
			t, err := load.QueryOutput(cmd.Context(), local, args[0], opt)
			if err != nil {
				var np *load.NoPublicationError
				var ae *load.AsOfError
				if errors.As(err, &np) || errors.As(err, &ae) {
					return usageError{err}
				}
				return err
			}
			// Written whole, so a failed query prints nothing on stdout.
			var b bytes.Buffer
			if err := write(&b, t); err != nil {
				return err
			}
			_, err = stdout.Write(b.Bytes())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "out", "output folder to read, or s3://bucket/prefix with --catalog")
	addLakeFlags(cmd, &lf)
	f.StringVar(&format, "format", "table", "table, csv or json")
	f.StringVar(&asOf, "as-of", "", "show facts as known on this date (YYYY-MM-DD), from facts_vintages")
	return cmd
}

var writers = map[string]func(io.Writer, *load.Table) error{
	"table": writeTable,
	"csv":   writeCSV,
	"json":  writeJSON,
}

// numeric reports whether a DuckDB type is a number (right-aligned in a table).
func numeric(typ string) bool {
	switch {
	case strings.HasPrefix(typ, "DECIMAL"), strings.HasSuffix(typ, "INT"), typ == "HUGEINT", typ == "UHUGEINT",
		typ == "FLOAT", typ == "DOUBLE":
		return true
	}
	return false
}

// text formats a value for table and csv output; full keeps every digit of
// a float (csv), otherwise at most six decimals (table). NULL is "".
func text(v any, typ string, full bool) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return formatFloat(x, full, 64)
	case float32:
		return formatFloat(float64(x), full, 32)
	case time.Time:
		return formatTime(x, typ)
	case []byte:
		return fmt.Sprintf("%x", x)
	case []any, map[string]any:
		b, err := json.Marshal(jsonValue(x, ""))
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// formatFloat never uses an exponent. For reading, digits beyond the sixth
// decimal are rounded off (0.3712962962962963 -> 0.371296).
func formatFloat(f float64, full bool, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if full {
		return s
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 6 {
		s = strings.TrimRight(strings.TrimRight(strconv.FormatFloat(f, 'f', 6, bits), "0"), ".")
		if s == "-0" {
			s = "0"
		}
	}
	return s
}

func formatTime(t time.Time, typ string) string {
	switch {
	case typ == "DATE":
		return t.Format(time.DateOnly)
	case strings.HasPrefix(typ, "TIME") && !strings.HasPrefix(typ, "TIMESTAMP"):
		return t.Format("15:04:05.999999")
	case strings.Contains(typ, "TZ") || strings.Contains(typ, "TIME ZONE"):
		return t.Format(time.RFC3339Nano)
	}
	return t.Format("2006-01-02 15:04:05.999999999")
}

func writeTable(w io.Writer, t *load.Table) error {
	cells := make([][]string, len(t.Rows))
	width := make([]int, len(t.Columns))
	for c, name := range t.Columns {
		width[c] = utf8.RuneCountInString(name)
	}
	for r, row := range t.Rows {
		cells[r] = make([]string, len(row))
		for c, v := range row {
			s := "NULL"
			if v != nil {
				s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(text(v, t.Types[c], false))
			}
			cells[r][c] = s
			width[c] = max(width[c], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	line := func(vals []string, right func(int) bool) {
		for c, s := range vals {
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(s))
			if c > 0 {
				b.WriteString("  ")
			}
			switch {
			case right(c):
				b.WriteString(pad + s)
			case c == len(vals)-1:
				b.WriteString(s)
			default:
				b.WriteString(s + pad)
			}
		}
		b.WriteString("\n")
	}
	isNum := func(c int) bool { return numeric(t.Types[c]) }
	line(t.Columns, isNum)
	rule := make([]string, len(t.Columns))
	for c := range rule {
		rule[c] = strings.Repeat("-", width[c])
	}
	line(rule, isNum)
	for _, row := range cells {
		line(row, isNum)
	}
	fmt.Fprintf(&b, "(%d row%s)\n", len(t.Rows), map[bool]string{true: "", false: "s"}[len(t.Rows) == 1])
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCSV(w io.Writer, t *load.Table) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Columns); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for c, v := range row {
			rec[c] = text(v, t.Types[c], true)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes an array of objects whose keys keep the column order.
func writeJSON(w io.Writer, t *load.Table) error {
	var b bytes.Buffer
	b.WriteString("[")
	for r, row := range t.Rows {
		if r > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for c, v := range row {
			if c > 0 {
				b.WriteString(", ")
			}
			k, _ := json.Marshal(t.Columns[c])
			val, err := json.Marshal(jsonValue(v, t.Types[c]))
			if err != nil {
				return fmt.Errorf("column %s: %w", t.Columns[c], err)
			}
			b.Write(k)
			b.WriteString(": ")
			b.Write(val)
		}
		b.WriteString("}")
	}
	if len(t.Rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := w.Write(b.Bytes())
	return err
}

// jsonValue makes a value encodable: dates as YYYY-MM-DD, NaN and
// infinities (which JSON lacks) as null, bytes as hex.
func jsonValue(v any, typ string) any {
	switch x := v.(type) {
	case time.Time:
		if typ == "" {
			return x.Format(time.RFC3339Nano)
		}
		return formatTime(x, typ)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil
		}
	case []byte:
		return fmt.Sprintf("%x", x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e, "")
		}
		return out
	}
	return v
}
