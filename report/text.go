package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// WriteText writes the terminal summary of the latest quarter: per company
// and segment its operating margin with the Q/Q and Y/Y moves, the TaaS
// share of AI revenue, the margin trend and the data-quality findings.
func WriteText(w io.Writer, d *Data) error {
	var b strings.Builder
	if d.Quarter == "" {
		fmt.Fprintf(&b, "No segment margins in %s (run %s).\n", d.Source.Out, d.Source.RunID)
		_, err := io.WriteString(w, b.String())
		return err
	}
	label := "Latest quarter"
	if d.Focus.Quarter != "" {
		label = "Quarter"
	}
	fmt.Fprintf(&b, "%s %s (publication %s in %s)", label, d.Quarter, d.Source.RunID, d.Source.Out)
	if f := focusText(d.Focus); f != "" {
		fmt.Fprintf(&b, ", %s", f)
	}
	b.WriteString("\n\n")
	if len(d.Headlines) > 0 {
		fmt.Fprintf(&b, "What moved:\n")
		for _, h := range d.Headlines {
			fmt.Fprintf(&b, "- %s\n", h.Text())
		}
		b.WriteString("\n")
	}
	rows := [][]string{{"company", "segment", "margin", "Q/Q bp", "Y/Y bp", "TaaS share", "trend", "findings"}}
	for _, r := range d.Summary {
		trend := r.Trend
		if trend != "" && !math.IsNaN(r.SlopeBps) {
			trend += fmt.Sprintf(" %s bp/q", signed(r.SlopeBps, 1))
		}
		rows = append(rows, []string{r.Company, r.Segment, marginText(r), signed(r.QoQBps, 1),
			signed(r.YoYBps, 1), pct(r.TaaSShare, 2), dash(trend), fmt.Sprint(r.Findings)})
	}
	// Text columns left, figures right.
	align(&b, rows, map[int]bool{2: true, 3: true, 4: true, 5: true, 7: true})
	fmt.Fprintf(&b, "\nmargin = operating_margin (segment_margins); TaaS share = taas_share (ai_mix); trend = peer_trends slope over its window.\n")
	counts := d.FindingCounts()
	if len(counts) == 0 {
		fmt.Fprintf(&b, "Data quality: no findings.\n")
	} else {
		parts := make([]string, len(counts))
		for i, c := range counts {
			parts[i] = fmt.Sprintf("%d %s", c.N, c.Check)
		}
		noun := "findings"
		if len(d.Findings) == 1 {
			noun = "finding"
		}
		fmt.Fprintf(&b, "Data quality: %d %s (%s); query data_quality for the cells.\n", len(d.Findings), noun, strings.Join(parts, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// align writes rows as columns two spaces apart, right-aligning the
// columns in right.
func align(b *strings.Builder, rows [][]string, right map[int]bool) {
	var width []int
	for _, r := range rows {
		for c, s := range r {
			if c == len(width) {
				width = append(width, 0)
			}
			width[c] = max(width[c], utf8.RuneCountInString(s))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for c, s := range r {
			if c > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(s))
			if right[c] {
				line.WriteString(pad + s)
			} else {
				line.WriteString(s + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

func pct(f float64, dec int) string {
	if math.IsNaN(f) {
		return "-"
	}
	return fmt.Sprintf("%.*f%%", dec, f*100)
}

func signed(f float64, dec int) string {
	if math.IsNaN(f) {
		return "-"
	}
	s := fmt.Sprintf("%+.*f", dec, f)
	if strings.Trim(s, "+-0.") == "" {
		return fmt.Sprintf("%.*f", dec, 0.0)
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// marginText is a summary row's margin as analysts print it: "n/m" where
// segment_margins says the margin is not meaningful.
func marginText(r SummaryRow) string {
	if r.MarginNote != "" {
		return "n/m"
	}
	return pct(r.Margin, 2)
}
