package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/marginmix/marginmix/pipeline"
)

func TestProgressLine(t *testing.T) {
	p := pipeline.Progress{Done: 512, Total: 1000, Cells: 2_400_000, Elapsed: 2 * time.Second, Quarantined: 3}
	got := progressLine(p, 10)
	want := "[=====>    ] 512/1000 workbooks  1.2M cells/s  ETA 2s  3 quarantined"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if got := progressLine(pipeline.Progress{Done: 4, Total: 4, Cells: 900, Elapsed: time.Second}, 4); got != "[====] 4/4 workbooks  900 cells/s  ETA 0s" {
		t.Fatalf("done: %q", got)
	}
}

// Off a terminal, progress is a log line for the first workbook and then
// one every tenth of them.
func TestProgressLogsWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	f := progressFunc(&bytes.Buffer{}, log)
	for i := 1; i <= 20; i++ {
		f(pipeline.Progress{Done: i, Total: 20, Cells: int64(i) * 100, Facts: int64(i) * 10, Elapsed: time.Duration(i) * time.Second})
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 11 || !strings.Contains(lines[0], "workbooks=1 of=20") || !strings.Contains(lines[1], "workbooks=2 of=20") {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	if lines[10] != "level=INFO msg=progress workbooks=20 of=20 quarantined=0 cells_per_s=100 facts=200 eta=0s" {
		t.Fatalf("last line %q", lines[9])
	}
}
