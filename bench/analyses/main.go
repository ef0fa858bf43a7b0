// Command analyses times marginmix's analyses (sql/*.sql) over synthetic
// facts in an embedded DuckDB, set up as a first run would set them up:
//
//	analyses [-facts 10000000] [-threads N] [-memory 512MiB] [-analysis-memory 512MiB] [-limit 0]
//
// DuckDB is opened as a run opens it: its data in a file of its own, under
// marginmix's default memory limits for loading and for the analyses. It prints one line per analysis and a
// closing line with the totals.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/marginmix/marginmix/bench"
	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/pipeline"
)

func main() {
	n := flag.Int("facts", 10_000_000, "synthetic facts")
	def := pipeline.Default()
	loadLimit, analysisLimit, defThreads := def.DuckDBSettings()
	threads := flag.Int("threads", defThreads, "DuckDB threads (default: as a run with the default --memory)")
	memory := flag.String("memory", loadLimit, "DuckDB's memory limit while facts are loaded (\"\": DuckDB's default)")
	analysisMemory := flag.String("analysis-memory", analysisLimit, "DuckDB's memory limit while the analyses run (\"\": as -memory)")
	inMemory := flag.Bool("in-memory", false, "keep the data in memory instead of a database file")
	limit := flag.Duration("limit", 0, "stop an analysis that runs longer than this (0: no limit)")
	flag.Parse()
	ctx := context.Background()
	opt := load.Options{Threads: *threads, MemoryLimit: *memory}
	tmp, err := os.MkdirTemp("", "marginmix-analyses-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "analyses:", err)
		os.Exit(1)
	}
	if !*inMemory {
		opt.Path = filepath.Join(tmp, "work.duckdb")
	}
	var step, analysisStep int64
	if b, err := pipeline.ParseMemory(*memory); err == nil {
		step = load.StepFor(b) // as a run sizes its steps
	}
	if b, err := pipeline.ParseMemory(*analysisMemory); err == nil {
		analysisStep = load.AnalysisStepFor(b) // and its analyses' ranges
	}
	code := run(ctx, opt, bench.Setup{Facts: *n, Limit: *limit, AnalysisMemory: *analysisMemory, Dir: filepath.Join(tmp, "out"),
		Step: step, AnalysisStep: analysisStep})
	os.RemoveAll(tmp) // os.Exit skips deferred calls
	os.Exit(code)
}

func run(ctx context.Context, opt load.Options, s bench.Setup) int {
	db, err := load.OpenWith(ctx, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "analyses:", err)
		return 1
	}
	defer db.Close()
	t, err := bench.PrepareAndAnalyse(ctx, db, s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "analyses:", err)
		return 1
	}
	for _, a := range t.Analyses {
		status := "ok"
		switch {
		case a.Stopped:
			status = "stopped"
		case a.Err != nil:
			status = "error: " + strings.SplitN(a.Err.Error(), "\n", 2)[0]
		}
		fmt.Printf("analysis=%s seconds=%.3f rows=%d status=%s\n", a.Name, a.Elapsed.Seconds(), a.Rows, status)
	}
	total, done := t.Total()
	fmt.Printf("facts=%d synth_seconds=%.3f build_seconds=%.3f analyses_seconds=%.3f all_finished=%t memory=%s analysis_memory=%s on_disk=%t\n",
		s.Facts, t.Synth.Seconds(), t.Build.Seconds(), total.Seconds(), done, opt.MemoryLimit, s.AnalysisMemory, opt.Path != "")
	return 0
}
