package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/marginmix/marginmix/fact"
	"github.com/marginmix/marginmix/load"
)

// job is what one execution is asked to do.
type job struct {
	command string      // run or backfill: names the lock holder and the catalog entry
	full    bool        // re-read every workbook
	scope   *load.Scope // backfill: the company and quarters to re-read and replace
	dryRun  bool        // backfill --dry-run: compute the changes, publish nothing
}

// previous is what the last publication says about itself.
type previous struct {
	manifest *load.Manifest // nil when there is none
	inputs   map[string]load.Input
	vintages string // its facts_vintages folder, "" when absent
	facts    string // its facts folder
	catalog  string // its catalog file, "" when absent
}

func readPrevious(out string) (*previous, error) {
	p := &previous{inputs: map[string]load.Input{}, facts: filepath.Join(out, "facts")}
	if st, err := os.Stat(filepath.Join(out, "facts_vintages")); err == nil && st.IsDir() {
		p.vintages = filepath.Join(out, "facts_vintages")
	}
	if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(load.CatalogPath))); err == nil {
		p.catalog = filepath.Join(out, filepath.FromSlash(load.CatalogPath))
	}
	m, err := load.ReadManifest(filepath.Join(out, load.ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("previous manifest: %w", err)
	}
	p.manifest = m
	for _, in := range m.Inputs {
		p.inputs[in.Path] = in
	}
	return p, nil
}

// Backfill re-reads the workbooks of some companies and republishes their
// facts within a quarter range, whatever changed or not; every other fact is
// kept as published. With dryRun it returns the changes and publishes nothing.
func Backfill(ctx context.Context, cfg Config, scope load.Scope, dryRun bool, log *slog.Logger) (*Summary, error) {
	if len(scope.Companies) == 0 {
		return nil, &ConfigError{Field: "company", Err: errors.New("required: one or more tickers, e.g. --company AMZN")}
	}
	for _, f := range []struct{ name, q string }{{"from", scope.From}, {"to", scope.To}} {
		if f.q != "" && !reQuarter.MatchString(f.q) {
			return nil, &ConfigError{Field: f.name, Err: fmt.Errorf("%q is not a calendar quarter such as 2024Q1", f.q)}
		}
	}
	if scope.From != "" && scope.To != "" && scope.From > scope.To {
		return nil, &ConfigError{Field: "from", Err: fmt.Errorf("%s is after --to %s", scope.From, scope.To)}
	}
	return execute(ctx, cfg, job{command: "backfill", scope: &scope, dryRun: dryRun}, log)
}

var reQuarter = regexp.MustCompile(`^\d{4}Q[1-4]$`)

// fingerprint hashes what shapes the outputs besides the workbooks.
func fingerprint(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fsBytes(fsys fs.FS) ([][]byte, error) {
	var out [][]byte
	err := fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		out = append(out, []byte(p), b)
		return err
	})
	return out, err
}

// asCanceled makes the error of a run whose context was cancelled wrap the
// context's error. DuckDB reports a statement stopped by a cancelled context
// as its own "INTERRUPT Error", and callers (the scheduler, the command
// line's exit 130) tell a cancelled run by context.Canceled.
func asCanceled(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %v", ctx.Err(), err)
	}
	return err
}

func execute(ctx context.Context, cfg Config, j job, log *slog.Logger) (sum *Summary, err error) {
	defer func() {
		err = asCanceled(ctx, err)
		if err != nil && strings.Contains(err.Error(), "Out of Memory Error") {
			err = fmt.Errorf("%w\n(DuckDB ran out of its memory limit; raise --duckdb-memory (loading, now %s) or --analysis-memory (analyses, now %s))", err, cfg.DuckDBMemory, cfg.AnalysisMemory)
		}
	}()
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
	analyses, err := loadAnalyses(cfg.SQL)
	if err != nil {
		return nil, err
	}
	specBytes, err := fsBytes(specsFS(cfg.Specs))
	if err != nil {
		return nil, &ConfigError{Field: "specs", Err: err}
	}
	extractFP := fingerprint(append([][]byte{[]byte(Version)}, specBytes...)...)
	var an [][]byte
	for _, a := range analyses {
		an = append(an, []byte(a.Source), []byte(a.SQL))
	}
	for _, v := range cfg.Params.vars() {
		an = append(an, []byte(fmt.Sprintf("%s=%v", v.Name, v.Value)))
	}
	analysisFP := fingerprint(an...)

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

	lock, err := load.Acquire(cfg.Out, j.command)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := load.SweepStale(cfg.Out); err != nil {
		return nil, fmt.Errorf("remove stale staging folders: %w", err)
	}
	out, err := filepath.Abs(cfg.Out)
	if err != nil {
		return nil, err
	}
	prev, err := readPrevious(out)
	if err != nil {
		return nil, err
	}
	seq := 1
	if prev.manifest != nil {
		seq = prev.manifest.Seq + 1
	}
	runID := newRunID(start)
	log = log.With(keyRun, runID)

	// Decide what to read: new and changed workbooks (content hash; mtime is
	// not trusted), everything after a spec or version change, or the
	// backfilled company's workbooks.
	sameExtract := prev.manifest != nil && prev.manifest.ExtractFingerprint == extractFP
	var toRead []string
	var kept []load.Input
	for _, rel := range files {
		sum, _, err := load.FileSHA256(filepath.Join(inbox, filepath.FromSlash(rel)))
		if err != nil {
			return nil, fmt.Errorf("hash %s: %w", rel, err)
		}
		old, seen := prev.inputs[rel]
		read := false
		switch {
		case j.scope != nil:
			s := matchSpec(specs, rel)
			read = s != nil && j.scope.Has(s.Company)
			if !read && !seen {
				continue // another company's new workbook: left for the next run
			}
		default:
			read = j.full || !sameExtract || !seen || old.SHA256 != sum
		}
		if read {
			toRead = append(toRead, rel)
			continue
		}
		in := old // for a backfill, the version last read, even if the file changed since
		if in.Status != load.StatusQuarantined {
			in.Status = load.StatusUnchanged
		}
		kept = append(kept, in)
	}
	sum = &Summary{RunID: runID, Seq: seq, Read: len(toRead)}
	if j.scope == nil && !j.full && len(toRead) == 0 && prev.manifest != nil &&
		prev.manifest.AnalysisFingerprint == analysisFP && samePaths(prev.manifest.Inputs, kept) {
		sum.NothingNew = true
		sum.Inputs = kept
		for _, in := range kept {
			if in.Status == load.StatusQuarantined {
				sum.Quarantined++
			} else {
				sum.Unchanged++
			}
		}
		sum.Elapsed = time.Since(start)
		log.Info("nothing new; the publication is left as it was", keyOut, cfg.Out, "workbooks", len(files), keyElapsed, sum.Elapsed.Round(time.Millisecond))
		return sum, nil
	}

	// DuckDB keeps its data in a file of its own, so that memory holds only
	// what is in flight, whatever the number of facts.
	tmp, release, err := workFolder(cfg.TempDir, log)
	if err != nil {
		return nil, err
	}
	defer release()
	db, err := load.OpenWith(ctx, load.Options{Threads: cfg.Threads, Path: filepath.Join(tmp, "work.duckdb"), MemoryLimit: cfg.DuckDBMemory})
	if err != nil {
		return nil, err
	}
	defer db.Close()

	// Facts stream into DuckDB as the workers read them.
	readCtx, cancelRead := context.WithCancel(ctx)
	defer cancelRead()
	stream := load.NewStream(fact.Schema, max(cfg.Workers, 1))
	ingested := make(chan error, 1)
	go func() {
		err := db.Ingest(readCtx, "facts_new", stream, 1<<15)
		if err != nil {
			cancelRead()
			stream.Drain()
		}
		ingested <- err
	}()
	results := readAll(readCtx, cfg, inbox, toRead, specs, log, stream.Send)
	stream.Close()
	if err := <-ingested; err != nil {
		return nil, fmt.Errorf("load facts: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	byPath := map[string]load.Input{}
	for _, in := range kept {
		byPath[in.Path] = in
	}
	var reread, void []load.FileVersion
	var quarantined []workbookResult
	for _, r := range results {
		byPath[r.input.Path] = r.input
		void = append(void, r.void...)
		if r.err != nil {
			quarantined = append(quarantined, r)
			continue
		}
		sum.FactsRead += r.input.Facts
		reread = append(reread, load.FileVersion{File: r.input.Path, SHA256: r.input.SHA256})
	}
	for _, in := range kept {
		if in.Status == load.StatusQuarantined {
			quarantined = append(quarantined, workbookResult{input: in, abs: filepath.Join(inbox, filepath.FromSlash(in.Path))})
		} else {
			sum.Unchanged++
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		sum.Inputs = append(sum.Inputs, byPath[p])
	}
	sum.Quarantined = len(quarantined)

	// The fact datasets are written as they are built, into the next
	// publication's staging folder (a dry run's go to the temporary folder).
	factsDir := filepath.Join(tmp, "dry-run")
	var pub *load.Publication
	if !j.dryRun {
		if pub, err = load.NewPublication(cfg.Out, runID); err != nil {
			return nil, err
		}
		defer pub.Abort()
		factsDir = pub.Dir
	}
	combine := load.Combine{PrevVintages: prev.vintages, Seq: seq, Reread: reread, Discard: void, Scope: j.scope}
	stage := time.Now()
	if err := load.BuildFacts(ctx, db, combine, factsDir); err != nil {
		return nil, err
	}
	log.Info("fact datasets built", keyElapsed, time.Since(stage).Round(time.Millisecond))
	if j.dryRun {
		if sum.Changes, err = load.DiffFacts(ctx, db, prev.facts, j.scope); err != nil {
			return nil, err
		}
		sum.Elapsed = time.Since(start)
		return sum, nil
	}
	// The analyses' ORDER BY fixes their files' row order only while
	// insertion order is kept (ingestion ran without it, to save memory).
	if err := db.Exec(ctx, "SET preserve_insertion_order = true"); err != nil {
		return nil, err
	}
	if cfg.AnalysisMemory != "" {
		if err := db.Exec(ctx, "SET memory_limit = ?", cfg.AnalysisMemory); err != nil {
			return nil, fmt.Errorf("analysis memory %q: %w", cfg.AnalysisMemory, err)
		}
	}
	for _, v := range cfg.Params.vars() {
		if err := db.Exec(ctx, "SET VARIABLE "+v.Name+" = ?", v.Value); err != nil {
			return nil, fmt.Errorf("set %s: %w", v.Name, err)
		}
	}
	for _, a := range analyses {
		stage = time.Now()
		if err := load.RunAnalyses(ctx, db, []load.Analysis{a}); err != nil {
			return nil, err
		}
		log.Debug("analysis", "dataset", a.Name, keyElapsed, time.Since(stage).Round(time.Millisecond))
	}

	if err := load.WriteParquet(ctx, db, pub.Dir, analyses); err != nil {
		return nil, err
	}
	outputs, err := load.Outputs(ctx, db, pub.Dir)
	if err != nil {
		return nil, err
	}
	for _, o := range outputs {
		if filepath.Dir(filepath.Dir(o.Path)) == "facts" {
			sum.Facts += o.Rows
		}
	}
	for _, r := range quarantined {
		if err := quarantine(pub.Dir, r); err != nil {
			return nil, err
		}
	}
	finished := time.Now()
	if err := recordRun(ctx, db, prev.catalog, filepath.Join(pub.Dir, filepath.FromSlash(load.CatalogPath)), load.RunRecord{
		Seq: seq, RunID: runID, Command: j.command, Started: start, Finished: finished, Status: "published",
		Workbooks: len(sum.Inputs), Read: sum.Read, Unchanged: sum.Unchanged, Quarantined: sum.Quarantined,
		Facts: sum.Facts, ExtractFingerprint: extractFP, AnalysisFingerprint: analysisFP,
	}, sum.Inputs); err != nil {
		return nil, err
	}
	m := &load.Manifest{
		RunID: runID, Seq: seq, Command: j.command, Version: Version,
		ExtractFingerprint: extractFP, AnalysisFingerprint: analysisFP,
		StartedAt: start.UTC().Truncate(time.Millisecond), FinishedAt: finished.UTC().Truncate(time.Millisecond),
		Inputs: sum.Inputs, Outputs: outputs,
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
	log.Info("published", keyOut, cfg.Out, "read", sum.Read, "unchanged", sum.Unchanged,
		"quarantined", sum.Quarantined, keyFacts, sum.Facts, keyElapsed, sum.Elapsed.Round(time.Millisecond))
	return sum, nil
}

// recordRun copies the previous catalog (if any) into the new publication
// and records this run in it.
func recordRun(ctx context.Context, db *load.DB, prevCatalog, path string, r load.RunRecord, inputs []load.Input) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if prevCatalog != "" {
		if err := copyFile(prevCatalog, path); err != nil {
			return fmt.Errorf("copy state catalog: %w", err)
		}
	}
	cat, err := load.OpenCatalog(ctx, db, path)
	if err != nil {
		return err
	}
	if err := cat.Record(ctx, r, inputs); err != nil {
		cat.Close(ctx)
		return err
	}
	return cat.Close(ctx)
}

func samePaths(a, b []load.Input) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path {
			return false
		}
	}
	return true
}
