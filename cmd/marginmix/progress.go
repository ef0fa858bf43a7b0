package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/marginmix/marginmix/pipeline"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// progressFunc shows a run's progress: a bar redrawn in place on a
// terminal, otherwise a log line every 10% or 10 seconds.
func progressFunc(w io.Writer, log *slog.Logger) func(pipeline.Progress) {
	if isTerminal(w) {
		var last time.Time
		return func(p pipeline.Progress) {
			if p.Done < p.Total && time.Since(last) < 100*time.Millisecond {
				return
			}
			last = time.Now()
			fmt.Fprintf(w, "\r%s", progressLine(p, 30))
			if p.Done == p.Total {
				fmt.Fprintln(w)
			}
		}
	}
	var lastLog time.Time
	lastTenth := 0
	return func(p pipeline.Progress) {
		tenth := p.Done * 10 / max(p.Total, 1)
		if tenth == lastTenth && time.Since(lastLog) < 10*time.Second && p.Done < p.Total {
			return
		}
		lastTenth, lastLog = tenth, time.Now()
		log.Info("progress", "workbooks", p.Done, "of", p.Total, "quarantined", p.Quarantined,
			"cells_per_s", int64(rate(p)), "facts", p.Facts, "eta", eta(p).Round(time.Second))
	}
}

func rate(p pipeline.Progress) float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Cells) / p.Elapsed.Seconds()
}

func eta(p pipeline.Progress) time.Duration {
	if p.Done == 0 {
		return 0
	}
	return time.Duration(float64(p.Elapsed) / float64(p.Done) * float64(p.Total-p.Done))
}

// progressLine renders "[=====>    ] 512/1000 workbooks  1.2M cells/s  ETA 4s".
func progressLine(p pipeline.Progress, width int) string {
	filled := 0
	if p.Total > 0 {
		filled = p.Done * width / p.Total
	}
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	s := fmt.Sprintf("[%s] %d/%d workbooks  %s cells/s  ETA %s", bar, p.Done, p.Total, humanCount(rate(p)), eta(p).Round(time.Second))
	if p.Quarantined > 0 {
		s += fmt.Sprintf("  %d quarantined", p.Quarantined)
	}
	return s
}

func humanCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
