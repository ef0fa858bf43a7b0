package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/load"
	queries "github.com/marginmix/marginmix/sql"
	"github.com/marginmix/marginmix/transform"
)

// Version is marginmix's version, set at build time.
var Version = "dev"

// Log keys.
const (
	keyRun      = "run"
	keyFile     = "file"
	keyStatus   = "status"
	keyReason   = "reason"
	keyFacts    = "facts"
	keyFindings = "findings"
	keyOut      = "out"
	keyElapsed  = "elapsed"
)

// Summary is what a run did.
type Summary struct {
	RunID       string
	Inputs      []load.Input
	Facts       int
	Datasets    int
	Quarantined int
	Published   bool
	Elapsed     time.Duration
}

// workbookResult is what reading one workbook gave.
type workbookResult struct {
	input    load.Input
	facts    []transform.Fact
	findings []transform.Finding
	err      error
	abs      string
	elapsed  time.Duration
}

// Run reads every workbook of the inbox, runs the analyses and publishes the
// output folder. A workbook that cannot be read is quarantined and the run
// goes on; an error return means nothing new was published.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Summary, error) {
	start := time.Now()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	specs, err := loadSpecs(specsFS(cfg.Specs))
	if err != nil {
		return nil, &ConfigError{Field: "specs", Err: err}
	}
	inbox := cfg.Inbox
	if inbox == "" {
		if inbox, err = materialise(samplesFS()); err != nil {
			return nil, err
		}
		defer os.RemoveAll(inbox)
	}
	files, err := listInbox(inbox)
	if err != nil {
		return nil, &ConfigError{Field: "inbox", Err: err}
	}

	lock, err := load.Acquire(cfg.Out, "run")
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := load.SweepStale(cfg.Out); err != nil {
		return nil, fmt.Errorf("remove stale staging folders: %w", err)
	}

	runID := newRunID(start)
	log = log.With(keyRun, runID)
	results := readAll(ctx, cfg, inbox, files, specs, log)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	sum := &Summary{RunID: runID}
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, r := range results {
		sum.Inputs = append(sum.Inputs, r.input)
		if r.err != nil {
			sum.Quarantined++
			continue
		}
		sum.Facts += len(r.facts)
		recs = append(recs, transform.Record(memory.DefaultAllocator, r.facts))
	}

	analyses, err := loadAnalyses(cfg.SQL)
	if err != nil {
		return nil, err
	}
	pub, err := load.NewPublication(cfg.Out, runID)
	if err != nil {
		return nil, err
	}
	defer pub.Abort()
	outputs, err := build(ctx, cfg, recs, analyses, pub.Dir)
	if err != nil {
		return nil, err
	}
	for _, r := range results {
		if r.err == nil {
			continue
		}
		if err := quarantine(pub.Dir, r); err != nil {
			return nil, err
		}
	}
	m := &load.Manifest{
		RunID: runID, Version: Version, StartedAt: start.UTC().Truncate(time.Millisecond),
		FinishedAt: time.Now().UTC().Truncate(time.Millisecond), Inputs: sum.Inputs, Outputs: outputs,
	}
	if err := load.WriteManifest(filepath.Join(pub.Dir, load.ManifestName), m); err != nil {
		return nil, err
	}
	if err := pub.Commit(); err != nil {
		return nil, err
	}
	sum.Published = true
	sum.Datasets = len(analyses) + 2
	sum.Elapsed = time.Since(start)
	log.Info("published", keyOut, cfg.Out, keyFacts, sum.Facts, "workbooks", len(results),
		"quarantined", sum.Quarantined, keyElapsed, sum.Elapsed.Round(time.Millisecond))
	return sum, nil
}

func newRunID(t time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// readAll extracts and transforms the workbooks on cfg.Workers workers and
// returns their results in input order.
func readAll(ctx context.Context, cfg Config, inbox string, files []string, specs []*transform.Spec, log *slog.Logger) []workbookResult {
	results := make([]workbookResult, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	cals := calendars(specs)
	for w := 0; w < min(cfg.Workers, max(len(files), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = readOne(ctx, inbox, files[i], specs, cals, cfg.WorkbookTimeout)
				r := &results[i]
				if r.err != nil {
					log.Warn("quarantined", keyFile, r.input.Path, keyReason, r.input.Reason, keyElapsed, r.elapsed.Round(time.Millisecond))
				} else {
					log.Info("read", keyFile, r.input.Path, keyFacts, len(r.facts), keyFindings, len(r.findings), keyElapsed, r.elapsed.Round(time.Millisecond))
					for _, f := range r.findings {
						log.Debug("finding", keyFile, r.input.Path, "at", f.Sheet+"!"+f.Cell, "note", f.Message)
					}
				}
			}
		}()
	}
	for i := range files {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	return results
}

// readOne extracts and transforms one workbook. Whatever goes wrong, a
// damaged file, a bad cell, a reader that panics or runs past timeout, comes
// back as the result's error, for quarantine.
func readOne(ctx context.Context, inbox, rel string, specs []*transform.Spec, cals func(string) (transform.Calendar, bool), timeout time.Duration) (out workbookResult) {
	start := time.Now()
	abs := filepath.Join(inbox, filepath.FromSlash(rel))
	r := workbookResult{abs: abs, input: load.Input{Path: rel, Status: load.StatusOK}}
	defer func() {
		if p := recover(); p != nil {
			r.facts, r.findings = nil, nil
			out = failed(r, &extract.CellError{File: rel, Err: fmt.Errorf("%w: the reader failed: %v", extract.ErrCorrupt, p)})
		}
		out.elapsed = time.Since(start)
	}()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	fail := func(err error) workbookResult {
		if errors.Is(err, context.DeadlineExceeded) {
			err = &extract.CellError{File: rel, Err: fmt.Errorf("%w: reading took longer than %s", extract.ErrTooLarge, timeout)}
		}
		return failed(r, err)
	}
	spec := matchSpec(specs, rel)
	if spec == nil {
		return fail(&extract.CellError{File: rel, Err: ErrNoSpec})
	}
	r.input.Company = spec.Company
	wb, err := extract.Open(abs, extract.Options{Name: rel})
	if err != nil {
		return fail(err)
	}
	defer wb.Close()
	r.input.SHA256, r.input.Bytes = wb.SHA256, wb.Size
	res, err := transform.Workbook(ctx, wb, spec, transform.Options{SourceFile: rel, Calendar: cals})
	if err != nil {
		return fail(err)
	}
	r.facts, r.findings = res.Facts, res.Findings
	r.input.Facts = len(res.Facts)
	return r
}

// failed marks a result quarantined with err as its reason.
func failed(r workbookResult, err error) workbookResult {
	r.err = err
	r.input.Status = load.StatusQuarantined
	r.input.Reason = err.Error()
	if r.input.SHA256 == "" {
		if sum, n, herr := load.FileSHA256(r.abs); herr == nil {
			r.input.SHA256, r.input.Bytes = sum, n
		}
	}
	return r
}

// quarantine keeps a copy of a rejected workbook and its reason under
// _quarantine/ in the publication.
func quarantine(dir string, r workbookResult) error {
	dst := filepath.Join(dir, "_quarantine", filepath.FromSlash(r.input.Path))
	if err := copyFile(r.abs, dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("quarantine %s: %w", r.input.Path, err)
	}
	return os.WriteFile(dst+".reason.txt", []byte(r.input.Reason+"\n"), 0o644)
}

// loadAnalyses returns the built-in analyses (the embedded sql/ folder),
// then the analyst's own from dir, each folder in file name order. A later
// analysis can read the tables of earlier ones.
func loadAnalyses(dir string) ([]load.Analysis, error) {
	out, err := analysesIn(queries.FS(), "sql")
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return out, nil
	}
	own, err := analysesIn(os.DirFS(dir), dir)
	if err != nil {
		return nil, &ConfigError{Field: "sql", Err: err}
	}
	seen := map[string]bool{"facts": true, "facts_vintages": true, "facts_all": true}
	for _, a := range out {
		seen[a.Name] = true
	}
	for _, a := range own {
		if seen[a.Name] {
			return nil, &ConfigError{Field: "sql", Err: fmt.Errorf("%s: dataset %q already exists; rename the file", a.Source, a.Name)}
		}
		seen[a.Name] = true
	}
	return append(out, own...), nil
}

func analysesIn(fsys fs.FS, label string) ([]load.Analysis, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []load.Analysis
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		src := filepath.ToSlash(filepath.Join(label, n))
		name := strings.TrimSuffix(n, ".sql")
		if !load.ValidName(name) {
			return nil, fmt.Errorf("%s: dataset name %q must start with a lower case letter and hold only a-z, 0-9 and _", src, name)
		}
		out = append(out, load.Analysis{Name: name, Source: src, SQL: string(b)})
	}
	return out, nil
}

// build loads the facts into DuckDB, runs the analyses and writes the
// Parquet files into dir.
func build(ctx context.Context, cfg Config, recs []arrow.RecordBatch, analyses []load.Analysis, dir string) ([]load.Output, error) {
	db, err := load.Open(ctx, cfg.Threads)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rdr, err := array.NewRecordReader(transform.Schema, recs)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	if err := db.CreateTableFromArrow(ctx, "facts_all", rdr); err != nil {
		return nil, err
	}
	if err := load.BuildTables(ctx, db); err != nil {
		return nil, err
	}
	for _, v := range cfg.Params.vars() {
		if err := db.Exec(ctx, "SET VARIABLE "+v.Name+" = ?", v.Value); err != nil {
			return nil, fmt.Errorf("set %s: %w", v.Name, err)
		}
	}
	if err := load.RunAnalyses(ctx, db, analyses); err != nil {
		return nil, err
	}
	if err := load.WriteParquet(ctx, db, dir, analyses); err != nil {
		return nil, err
	}
	return load.Outputs(ctx, db, dir)
}
