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
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
	"github.com/marginmix/marginmix/load"
	queries "github.com/marginmix/marginmix/sql"
	"github.com/marginmix/marginmix/transform"
)

// job is what one execution is asked to do.
type job struct {
	command string      // run or backfill: names the lock holder and the catalog entry
	full    bool        // re-read every workbook
	scope   *load.Scope // backfill: the company and quarters to re-read and replace
	dryRun  bool        // backfill --dry-run: compute the changes, publish nothing
	commit  bool        // publish the shards staged in cfg.Batch (shard.go)
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
	if dryRun && cfg.Shard.Sharded() {
		return nil, &ConfigError{Field: "dry-run", Err: errors.New("a shard publishes nothing to compare with; run --dry-run without --shard")}
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

// execute runs one run or backfill as named phases: plan what to read,
// read it into DuckDB, build the fact datasets, run the analyses, publish
// and record. Each phase is a method of execution, which carries what the
// phases hand each other.
func execute(ctx context.Context, cfg Config, j job, log *slog.Logger) (sum *Summary, err error) {
	defer func() { err = explain(ctx, cfg, err) }()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	x, err := prepare(cfg, j, log)
	if err != nil {
		return nil, err
	}
	defer x.close()
	if cfg.Shard.Sharded() {
		return x.runShard(ctx)
	}
	plan, read := x.plan, x.read
	if j.commit {
		plan, read = x.planCommit, x.readStaged
	}
	if err := plan(); err != nil {
		return nil, err
	}
	if x.nothingNew() {
		return x.leaveAsIs(), nil
	}
	db, err := x.openDB(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := read(ctx, db); err != nil {
		return nil, err
	}
	if err := x.buildFacts(ctx, db); err != nil {
		return nil, err
	}
	if j.dryRun {
		return x.dryRun(ctx, db)
	}
	if x.job.scope != nil { // a commit's is its shards'
		same, err := x.sameAsPublished(ctx, db)
		if err != nil {
			return nil, err
		}
		if same {
			return x.changedNothing(), nil
		}
	}
	if err := x.analyse(ctx, db); err != nil {
		return nil, err
	}
	return x.publish(ctx, db)
}

// explain makes the error of a run easier to act on: a cancelled run's
// error wraps the context's, and DuckDB running out of memory says which
// flag to raise.
func explain(ctx context.Context, cfg Config, err error) error {
	err = asCanceled(ctx, err)
	if load.OutOfMemory(err) {
		m := cfg.plan()
		err = fmt.Errorf("%w\n(DuckDB ran out of its memory limit; raise --memory (now %s, of which DuckDB had %s loading and %s analysing))",
			err, FormatMemory(m.budget), m.duckLoad, m.duckAnalysis)
	}
	return err
}

// execution is one run in progress.
type execution struct {
	mem   memoryPlan // how the run spends its memory budget
	cfg   Config
	job   job
	log   *slog.Logger
	start time.Time
	// what shapes the outputs besides the workbooks
	specs                 []*transform.Spec
	index                 *transform.SpecIndex // finds the specs of a workbook
	analyses              []load.Analysis
	extractFP, analysisFP string
	// plan
	inbox   string
	files   []string
	outside []string // links out of the inbox, not followed: quarantined unread
	prev    *previous
	seq     int
	runID   string
	toRead  []string     // workbooks to read this run
	kept    []load.Input // the others, as the last publication has them
	// sharded: the whole inbox's digest and size (a shard), the shards
	// staged (a commit)
	listing   string
	workbooks int
	staged    []*staged
	// read
	sum         *Summary
	reread      []load.FileVersion // versions read: their earlier rows give way
	void        []load.FileVersion // versions whose streamed facts do not count
	quarantined []workbookResult
	// build
	tmp string            // this run's DuckDB folder
	pub *load.Publication // the next publication, being staged

	cleanups []func()
}

// prepare checks the configuration and reads the specs and analyses.
func prepare(cfg Config, j job, log *slog.Logger) (*execution, error) {
	x := &execution{cfg: cfg, job: j, log: log, start: time.Now()}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.CheckOut(); err != nil {
		return nil, err
	}
	x.mem = cfg.plan()
	var err error
	if x.specs, err = loadSpecs(specsFS(cfg.Specs)); err != nil {
		return nil, &ConfigError{Field: "specs", Err: err}
	}
	x.index = transform.NewSpecIndex(x.specs)
	if err := checkCalendars(x.specs); err != nil {
		return nil, err
	}
	for _, c := range sharedCompanies(x.specs) {
		log.Warn("several specs name one company; check that each names its own", "company", c)
	}
	if x.analyses, err = loadAnalyses(cfg.SQL); err != nil {
		return nil, err
	}
	specBytes, err := fsBytes(specsFS(cfg.Specs))
	if err != nil {
		return nil, &ConfigError{Field: "specs", Err: err}
	}
	// The fact's columns count as well: a column added since the last run
	// makes every workbook be read again, so that it is filled everywhere.
	x.extractFP = fingerprint(append([][]byte{[]byte(Version), []byte(fact.List(fact.Names()))}, specBytes...)...)
	var an [][]byte
	for _, a := range x.analyses {
		an = append(an, []byte(a.Source), []byte(a.SQL))
	}
	for _, v := range cfg.Params.vars() {
		an = append(an, []byte(fmt.Sprintf("%s=%v", v.Name, v.Value)))
	}
	x.analysisFP = fingerprint(an...)
	return x, nil
}

// close undoes what the phases set up, last first.
func (x *execution) close() {
	for i := len(x.cleanups) - 1; i >= 0; i-- {
		x.cleanups[i]()
	}
}

func (x *execution) onClose(f func()) { x.cleanups = append(x.cleanups, f) }

// plan lists the inbox, takes the writers' lock, reads what the last
// publication says and decides which workbooks to read.
func (x *execution) plan() error {
	if err := x.setUp(); err != nil {
		return err
	}
	if err := x.openInbox(); err != nil {
		return err
	}
	if err := x.lockOut(); err != nil {
		return err
	}
	if err := x.readPrevious(); err != nil {
		return err
	}
	return x.chooseWorkbooks()
}

// setUp resolves the output folder and makes the run's work folder.
func (x *execution) setUp() error {
	out, err := load.ResolveOut(x.cfg.Out)
	if err != nil {
		return &ConfigError{Field: "out", Err: err}
	}
	x.cfg.Out = out // the folder itself, whatever link named it
	// Every temporary file of the run (DuckDB's, excelize's, the samples)
	// goes in its work folder, which the next run sweeps if this one dies.
	// Made first, so that a run with nothing new sweeps too.
	tmp, release, err := workFolder(x.cfg.TempDir, x.log)
	if err != nil {
		return err
	}
	x.tmp = tmp
	x.onClose(release)
	return nil
}

// openInbox lists the inbox, the bundled samples when none is named.
func (x *execution) openInbox() error {
	x.inbox = x.cfg.Inbox
	if x.inbox == "" {
		var err error
		if x.inbox, err = materialise(samplesFS(), x.tmp); err != nil {
			return err
		}
	}
	return x.listInbox()
}

// lockOut takes the writers' lock of the output folder and sweeps what
// killed runs left.
func (x *execution) lockOut() error {
	lock, err := load.Acquire(x.cfg.Out, x.job.command)
	if err != nil {
		return err
	}
	x.onClose(func() { lock.Release() })
	if err := load.SweepStale(x.cfg.Out); err != nil {
		return fmt.Errorf("remove stale staging folders: %w", err)
	}
	return nil
}

// readPrevious reads what the last publication says and names this run.
func (x *execution) readPrevious() error {
	var err error
	if x.prev, err = readPrevious(x.cfg.Out); err != nil {
		return err
	}
	x.seq = 1
	if x.prev.manifest != nil {
		x.seq = x.prev.manifest.Seq + 1
	}
	x.runID = newRunID(x.start)
	x.log = x.log.With(keyRun, x.runID)
	return nil
}

// listInbox lists the workbooks of the inbox, and refuses an empty inbox and
// a workbook that two specs match.
func (x *execution) listInbox() error {
	var err error
	if x.files, x.outside, err = listInbox(x.inbox, x.cfg.FollowLinks); err != nil {
		return &ConfigError{Field: "inbox", Err: err}
	}
	if len(x.files)+len(x.outside) == 0 && !x.cfg.AllowEmptyInbox {
		return &ConfigError{Field: "inbox", Err: fmt.Errorf("%s %w", x.inbox, ErrEmptyInbox)}
	}
	return checkMatches(x.index, x.files)
}

// chooseWorkbooks decides what to read: new and changed workbooks (content
// hash; mtime is not trusted), everything after a spec or version change,
// or the backfilled companies' workbooks.
func (x *execution) chooseWorkbooks() error {
	sameExtract := x.prev.manifest != nil && x.prev.manifest.ExtractFingerprint == x.extractFP
	for _, rel := range x.files {
		hash, _, err := load.FileSHA256(filepath.Join(x.inbox, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("hash %s: %w", rel, err)
		}
		old, seen := x.prev.inputs[rel]
		var read bool
		if x.job.scope != nil {
			s := x.index.First(rel)
			company := ""
			if s != nil {
				company = s.Company
			}
			if company == "" && seen {
				company = old.Company // a cover sheet named it when it was read
			}
			read = company != "" && x.job.scope.Has(company)
			if !read && !seen {
				continue // another company's new workbook: left for the next run
			}
		} else {
			read = x.job.full || !sameExtract || !seen || old.SHA256 != hash
		}
		if read {
			x.toRead = append(x.toRead, rel)
			continue
		}
		in := old // for a backfill, the version last read, even if the file changed since
		if in.Status != load.StatusQuarantined {
			in.Status = load.StatusUnchanged
		}
		x.kept = append(x.kept, in)
	}
	for _, rel := range x.outside {
		x.kept = append(x.kept, load.Input{Path: rel, Status: load.StatusQuarantined,
			Reason: (&extract.CellError{File: rel, Err: ErrLinkOutside}).Error()})
	}
	sort.Slice(x.kept, func(i, j int) bool { return x.kept[i].Path < x.kept[j].Path })
	x.sum = &Summary{RunID: x.runID, Seq: x.seq, Read: len(x.toRead)}
	return nil
}

// nothingNew reports whether a run would publish what is published: no
// workbook to read, the same analyses, the same inbox, the fact datasets
// in today's layout (a publication of the old one is migrated).
func (x *execution) nothingNew() bool {
	p := x.prev.manifest
	return x.job.scope == nil && !x.job.full && len(x.toRead) == 0 && p != nil &&
		p.AnalysisFingerprint == x.analysisFP && samePaths(p.Inputs, x.kept) && !load.OldFactLayout(p.Outputs)
}

// leaveAsIs is the summary of a run with nothing new.
func (x *execution) leaveAsIs() *Summary {
	sum := x.sum
	sum.NothingNew = true
	sum.Inputs = x.kept
	for _, in := range x.kept {
		if in.Status == load.StatusQuarantined {
			sum.Quarantined++
		} else {
			sum.Unchanged++
		}
	}
	sum.Elapsed = time.Since(x.start)
	x.log.Info("nothing new; the publication is left as it was", keyOut, x.cfg.Out, "workbooks", len(x.kept), keyElapsed, sum.Elapsed.Round(time.Millisecond))
	return sum
}

// openDB opens this run's DuckDB in a folder of its own, so that memory
// holds only what is in flight, whatever the number of facts.
func (x *execution) openDB(ctx context.Context) (*load.DB, error) {
	m := x.mem
	x.log.Debug("memory", "budget", FormatMemory(m.budget), "duckdb", m.duckLoad, "duckdb_build", m.duckBuild, "duckdb_analyses", m.duckAnalysis, "threads", m.threads)
	// The readers' heap shares the budget: Go collects harder near its half.
	prev := debug.SetMemoryLimit(m.goLimit)
	x.onClose(func() { debug.SetMemoryLimit(prev) })
	return load.OpenWith(ctx, load.Options{Threads: m.threads, Path: filepath.Join(x.tmp, "work.duckdb"), MemoryLimit: m.duckIngest})
}

// read reads the chosen workbooks on the workers, streaming their facts
// into DuckDB's facts_new as they come, and sorts the results.
func (x *execution) read(ctx context.Context, db *load.DB) error {
	readCtx, cancelRead := context.WithCancel(ctx)
	defer cancelRead()
	stream := load.NewStream(fact.Schema, max(x.cfg.Workers, 1))
	ingested := make(chan error, 1)
	go func() {
		err := db.Ingest(readCtx, load.NewFacts, stream, x.mem.ingestRows())
		if err != nil {
			cancelRead()
			stream.Drain()
		}
		ingested <- err
	}()
	results := readAll(readCtx, x.cfg, x.inbox, x.toRead, newReadSetup(x.specs, x.cfg.WorkbookTimeout, x.tmp), x.log, stream.Send)
	stream.Close()
	if err := <-ingested; err != nil {
		return fmt.Errorf("load facts: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := db.SetMemoryLimit(ctx, x.mem.duckBuild); err != nil {
		return err
	}
	x.tally(results)
	// What the readers held goes back to the system before DuckDB builds.
	debug.FreeOSMemory()
	return nil
}

// tally sorts the read results and the kept inputs into the summary, the
// versions re-read or void, and the workbooks to quarantine.
func (x *execution) tally(results []workbookResult) {
	sum := x.sum
	byPath := map[string]load.Input{}
	for _, in := range x.kept {
		byPath[in.Path] = in
	}
	for _, r := range results {
		byPath[r.input.Path] = r.input
		x.void = append(x.void, r.void...)
		if r.err != nil {
			x.quarantined = append(x.quarantined, r)
			continue
		}
		sum.FactsRead += r.input.Facts
		x.reread = append(x.reread, load.FileVersion{File: r.input.Path, SHA256: r.input.SHA256})
	}
	for _, in := range x.kept {
		if in.Status == load.StatusQuarantined {
			x.quarantined = append(x.quarantined, workbookResult{input: in, abs: filepath.Join(x.inbox, filepath.FromSlash(in.Path))})
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
	sum.Quarantined = len(x.quarantined)
}

// buildFacts builds the fact datasets, writing them as they are built into
// the next publication's staging folder (a dry run's go to the temporary
// folder).
func (x *execution) buildFacts(ctx context.Context, db *load.DB) error {
	dir := filepath.Join(x.tmp, "dry-run")
	if !x.job.dryRun {
		pub, err := load.NewPublication(x.cfg.Out, x.runID)
		if err != nil {
			return err
		}
		x.pub = pub
		x.onClose(func() { pub.Abort() })
		dir = pub.Dir
	}
	combine := load.Combine{PrevVintages: x.prev.vintages, Seq: x.seq, Reread: x.reread, Discard: x.void, Scope: x.job.scope,
		Step: x.step()}
	began := time.Now()
	if err := load.BuildFacts(ctx, db, combine, dir); err != nil {
		return err
	}
	x.log.Info("fact datasets built", keyElapsed, time.Since(began).Round(time.Millisecond))
	return nil
}

// dryRun is the summary of a backfill --dry-run: what would change.
func (x *execution) dryRun(ctx context.Context, db *load.DB) (*Summary, error) {
	changes, err := load.DiffFacts(ctx, db, x.prev.facts, x.job.scope)
	if err != nil {
		return nil, err
	}
	x.sum.Changes = changes
	x.sum.Elapsed = time.Since(x.start)
	return x.sum, nil
}

// byCompany says whether an analysis runs company range by company range,
// and what then runs across the companies: a built-in one whose every row
// comes from one company's facts (their windows, groups and joins all hold
// company), since over tens of millions of facts in one statement
// data_quality and segment_margins ran out of memory; or one that compares
// companies only in a few columns, which across recomputes over the
// gathered rows (peer_trends' ranks: over 10,000 supplements it took 26.2 s
// in one statement, 17.6 s in ranges).
func byCompany(a load.Analysis) (ok bool, across string) {
	if a.Source != "sql/"+a.Name+".sql" {
		return false, ""
	}
	return queries.ByCompany(a.Name)
}

// step is the facts one fact-building step holds: as DuckDB's memory
// allows, or as the config says.
func (x *execution) step() int64 {
	if x.cfg.StepFacts > 0 {
		return x.cfg.StepFacts
	}
	return load.StepFor(x.mem.duckBytes)
}

// analysisStep is the facts one range of an analysis by company holds: as
// DuckDB's memory for the analyses allows, or the config's step.
func (x *execution) analysisStep() int64 {
	if x.cfg.StepFacts > 0 {
		return x.cfg.StepFacts
	}
	b, _ := ParseMemory(x.mem.duckAnalysis) // checked by checkMemory
	return load.AnalysisStepFor(b)
}

// analyse runs the analyses, each into a table of its own that is written
// into the staging folder at once and then read from there.
func (x *execution) analyse(ctx context.Context, db *load.DB) error {
	if err := db.PrepareAnalyses(ctx, x.mem.duckAnalysis, x.cfg.Params.vars()); err != nil {
		return err
	}
	if err := db.LoadReaderFindings(ctx, x.sum.Inputs); err != nil {
		return fmt.Errorf("load the reader's findings: %w", err)
	}
	for _, a := range x.analyses {
		began := time.Now()
		if ok, across := byCompany(a); ok {
			a.ByCompany, a.Across = x.analysisStep(), across
		}
		if err := load.RunAnalyses(ctx, db, []load.Analysis{a}); err != nil {
			return err
		}
		if err := load.WriteAndView(ctx, db, x.pub.Dir, a); err != nil {
			return err
		}
		x.log.Debug("analysis", "dataset", a.Name, keyElapsed, time.Since(began).Round(time.Millisecond))
	}
	return nil
}

// publish writes the quarantine, the catalog and the manifest into the
// staging folder, beside the datasets, and swaps it in.
func (x *execution) publish(ctx context.Context, db *load.DB) (*Summary, error) {
	sum, dir := x.sum, x.pub.Dir
	outputs, err := load.Outputs(ctx, db, dir)
	if err != nil {
		return nil, err
	}
	for _, o := range outputs {
		if strings.HasPrefix(o.Path, "facts/") {
			sum.Facts += o.Rows
		}
	}
	if err := x.writeQuarantine(dir); err != nil {
		return nil, err
	}
	finished := time.Now()
	if err := x.record(ctx, db, finished); err != nil {
		return nil, err
	}
	m := &load.Manifest{
		RunID: x.runID, Seq: x.seq, Command: x.job.command, Version: Version,
		ExtractFingerprint: x.extractFP, AnalysisFingerprint: x.analysisFP,
		StartedAt: x.start.UTC().Truncate(time.Millisecond), FinishedAt: finished.UTC().Truncate(time.Millisecond),
		Inputs: sum.Inputs, Outputs: outputs,
	}
	if err := load.WriteManifest(filepath.Join(dir, load.ManifestName), m); err != nil {
		return nil, err
	}
	if err := x.pub.Commit(); err != nil {
		return nil, err
	}
	sum.Published = true
	sum.Datasets = len(x.analyses) + len(load.FactDatasets)
	sum.Elapsed = time.Since(x.start)
	x.log.Info("published", keyOut, x.cfg.Out, "read", sum.Read, "unchanged", sum.Unchanged,
		"quarantined", sum.Quarantined, keyFacts, sum.Facts, keyElapsed, sum.Elapsed.Round(time.Millisecond))
	return sum, nil
}

// writeQuarantine copies the quarantined workbooks into _quarantine/ with
// their reasons; a commit copies what its shards staged.
func (x *execution) writeQuarantine(dir string) error {
	if x.job.commit {
		return x.stagedQuarantine(dir)
	}
	for _, r := range x.quarantined {
		if err := quarantine(dir, r, x.mayCopy(r.abs)); err != nil {
			return err
		}
	}
	return nil
}

// record copies the previous state catalog (if any) into the staging
// folder and records this run in it.
func (x *execution) record(ctx context.Context, db *load.DB, finished time.Time) error {
	sum := x.sum
	return recordRun(ctx, db, x.prev.catalog, filepath.Join(x.pub.Dir, filepath.FromSlash(load.CatalogPath)), x.tmp, load.RunRecord{
		Seq: x.seq, RunID: x.runID, Command: x.job.command, Started: x.start, Finished: finished, Status: "published",
		Workbooks: len(sum.Inputs), Read: sum.Read, Unchanged: sum.Unchanged, Quarantined: sum.Quarantined,
		Facts: sum.Facts, ExtractFingerprint: x.extractFP, AnalysisFingerprint: x.analysisFP,
	}, sum.Inputs)
}

// recordRun copies the previous catalog (if any) into the new publication
// and records this run in it.
func recordRun(ctx context.Context, db *load.DB, prevCatalog, path, scratch string, r load.RunRecord, inputs []load.Input) error {
	// DuckDB works on the catalog in the run's work folder and the result
	// is copied into place: DuckDB takes a '?' in a database path as the
	// start of its options (and resolves links), so the output folder's
	// path must not reach it.
	work := filepath.Join(scratch, "catalog.duckdb")
	if prevCatalog != "" {
		if err := copyFile(prevCatalog, work); err != nil {
			return fmt.Errorf("copy state catalog: %w", err)
		}
	}
	cat, err := load.OpenCatalog(ctx, db, work, prevCatalog)
	if err != nil {
		return err
	}
	if err := cat.Record(ctx, r, inputs); err != nil {
		cat.Close(ctx)
		return err
	}
	if err := cat.Close(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return copyFile(work, path)
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

// maxQuarantineCopy is the largest file _quarantine/ keeps a copy of; a
// larger one (refused for its size, say) gets its reason only.
const maxQuarantineCopy = 64 << 20

// mayCopy reports whether a quarantined file may be copied into
// _quarantine/: a regular file in the inbox (links resolved), or anywhere
// with --follow-links, and not too large.
func (x *execution) mayCopy(abs string) bool {
	if abs == "" || !x.cfg.FollowLinks && !within(x.inboxReal(), abs) {
		return false
	}
	st, err := os.Stat(abs)
	return err == nil && st.Mode().IsRegular() && st.Size() <= maxQuarantineCopy
}

// inboxReal is the inbox with links resolved.
func (x *execution) inboxReal() string {
	if real, err := filepath.EvalSymlinks(x.inbox); err == nil {
		return real
	}
	return x.inbox
}

// sameAsPublished reports whether a backfill built what is published: the
// same fingerprints and quarantines, no fact of its scope changed (what
// --dry-run lists), and as many vintages. Then there is nothing to publish.
func (x *execution) sameAsPublished(ctx context.Context, db *load.DB) (bool, error) {
	p := x.prev.manifest
	if p == nil || p.ExtractFingerprint != x.extractFP || p.AnalysisFingerprint != x.analysisFP || load.OldFactLayout(p.Outputs) {
		return false, nil
	}
	var vintages int64
	quarantined := 0
	for _, in := range p.Inputs {
		if in.Status == load.StatusQuarantined {
			quarantined++
		}
	}
	for _, o := range p.Outputs {
		if strings.HasPrefix(o.Path, "facts_vintages/") {
			vintages += o.Rows
		}
	}
	if quarantined != len(x.quarantined) {
		return false, nil
	}
	changes, err := load.DiffFacts(ctx, db, x.prev.facts, x.job.scope)
	if err != nil || len(changes) > 0 {
		return false, err
	}
	var n int64
	if err := db.Conn().QueryRowContext(ctx, "SELECT count(*) FROM facts_vintages").Scan(&n); err != nil {
		return false, err
	}
	return n == vintages, nil
}

// changedNothing is the summary of a backfill that read its workbooks and
// found what is published: nothing is published (the staging folder goes).
func (x *execution) changedNothing() *Summary {
	sum := x.sum
	sum.NothingNew = true
	sum.Unchanged = len(sum.Inputs) - sum.Quarantined
	sum.Elapsed = time.Since(x.start)
	x.log.Info("the backfill changed nothing; the publication is left as it was", keyOut, x.cfg.Out, "read", sum.Read, keyElapsed, sum.Elapsed.Round(time.Millisecond))
	return sum
}
