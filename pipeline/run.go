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
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/marginmix/marginmix/fact"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/load"
	queries "github.com/marginmix/marginmix/sql"
	"github.com/marginmix/marginmix/transform"
)

// Version is marginmix's version, set at build time.
var Version = stampedVersion()

// version is set by the linker where the build says which it is
// (make build: -X github.com/marginmix/marginmix/pipeline.version=...).
var version string

// stampedVersion is the build's version: the linker's, else the module's
// version when installed as one, else "dev-" and the VCS revision (12
// characters, "-dirty" for uncommitted changes), else "dev" (go test, a
// copy without VCS). It is in --version, the manifest and
// marginmix_build_info, and in the extract fingerprint: a new build
// re-reads every workbook once.
func stampedVersion() string {
	if version != "" {
		return version
	}
	return buildVersion()
}

func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) < 12 {
		return "dev"
	}
	return "dev-" + rev[:12] + dirty
}

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
	Seq         int
	Inputs      []load.Input
	Read        int // workbooks read this time
	Unchanged   int // workbooks whose facts were kept from the last publication
	Quarantined int
	FactsRead   int   // facts read this time
	Facts       int64 // facts published (latest vintages)
	Datasets    int
	Published   bool
	NothingNew  bool          // nothing had changed, so nothing was published
	Changes     []load.Change // backfill --dry-run: what would change
	Staged      string        // a shard: the folder it staged
	Elapsed     time.Duration
}

// workbookResult is what reading one workbook gave.
type workbookResult struct {
	input    load.Input
	facts    []fact.Fact
	findings []transform.Finding
	err      error
	abs      string
	elapsed  time.Duration
	cells    int64
	// void lists versions whose facts were streamed but must not count:
	// attempts of a file that changed, or a workbook quarantined midway.
	void []load.FileVersion
}

// Progress is how far the reading of a run has come.
type Progress struct {
	Done, Total int // workbooks
	Quarantined int
	Cells       int64 // non-empty cells read
	Facts       int64
	Elapsed     time.Duration
	File        string // the workbook just finished
}

// sink receives facts as Arrow batches while workbooks are read; nil keeps
// them in the results instead.
type sink func(context.Context, arrow.RecordBatch) error

// Run reads the workbooks of the inbox that are new or changed since the
// last publication (all of them with cfg.Full), runs the analyses and
// publishes the output folder. A workbook that cannot be read is quarantined
// and the run goes on; an error return means nothing new was published.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Summary, error) {
	return execute(ctx, cfg, job{command: "run", full: cfg.Full}, log)
}

func newRunID(t time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// readAll extracts and transforms the workbooks on cfg.Workers workers and
// returns their results in input order.
func readAll(ctx context.Context, cfg Config, inbox string, files []string, rs readSetup, log *slog.Logger, out sink) []workbookResult {
	results := make([]workbookResult, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	prog := Progress{Total: len(files)}
	began := time.Now()
	for w := 0; w < min(cfg.Workers, max(len(files), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = readOne(ctx, inbox, files[i], rs, out)
				r := &results[i]
				if cfg.Progress != nil {
					mu.Lock()
					prog.Done++
					prog.Cells += r.cells
					prog.Facts += int64(r.input.Facts)
					if r.err != nil {
						prog.Quarantined++
					}
					prog.Elapsed, prog.File = time.Since(began), r.input.Path
					cfg.Progress(prog)
					mu.Unlock()
				}
				if r.err != nil {
					log.Warn("quarantined", keyFile, r.input.Path, keyReason, r.input.Reason, keyElapsed, r.elapsed.Round(time.Millisecond))
				} else {
					log.Info("read", keyFile, r.input.Path, keyFacts, r.input.Facts, keyFindings, len(r.findings), keyElapsed, r.elapsed.Round(time.Millisecond))
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

// readSetup is what reading a workbook needs besides the workbook.
type readSetup struct {
	specs   *transform.SpecIndex
	cals    func(string) (transform.Calendar, bool)
	timeout time.Duration // 0: no limit
	tmp     string        // excelize's temporary files; "" for the system's
	// excelize reads every sheet with excelize instead of the fast reader
	// (MARGINMIX_READER=excelize): the way back should a workbook read
	// differently (docs/operations.md).
	excelize bool
}

func newReadSetup(specs []*transform.Spec, timeout time.Duration, tmp string) readSetup {
	return readSetup{specs: transform.NewSpecIndex(specs), cals: calendars(specs), timeout: timeout, tmp: tmp,
		excelize: os.Getenv("MARGINMIX_READER") == "excelize"}
}

// readOne extracts and transforms one workbook. Whatever goes wrong, a
// damaged file, a bad cell, a reader that panics or runs past timeout, comes
// back as the result's error, for quarantine.
func readOne(ctx context.Context, inbox, rel string, rs readSetup, facts sink) (out workbookResult) {
	start := time.Now()
	abs := filepath.Join(inbox, filepath.FromSlash(rel))
	defer func() {
		if p := recover(); p != nil {
			r := workbookResult{abs: abs, input: load.Input{Path: rel}}
			out = failed(r, &extract.CellError{File: rel, Err: fmt.Errorf("%w: the reader failed: %v", extract.ErrCorrupt, p)})
		}
		out.elapsed = time.Since(start)
	}()
	if rs.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, rs.timeout)
		defer cancel()
	}
	// A file still being written (a download, a save over the network) is
	// read again once; if it changes again it is quarantined.
	var void []load.FileVersion
	for attempt := 1; ; attempt++ {
		r := readAttempt(ctx, abs, rel, rs, facts)
		r.void = append(void, r.void...)
		if r.err != nil {
			return r
		}
		if afterRead != nil {
			afterRead(abs)
		}
		sum, _, err := load.FileSHA256(abs)
		if err == nil && sum == r.input.SHA256 {
			return r
		}
		void = append(r.void, load.FileVersion{File: rel, SHA256: r.input.SHA256})
		if attempt == 2 {
			r.facts, r.findings, r.void = nil, nil, void
			if err == nil {
				err = extract.ErrChanged
			}
			return failed(r, &extract.CellError{File: rel, Err: err})
		}
	}
}

// afterRead, when set by a test, runs between reading a workbook and
// checking that it did not change meanwhile.
var afterRead func(path string)

func readAttempt(ctx context.Context, abs, rel string, rs readSetup, facts sink) workbookResult {
	r := workbookResult{abs: abs, input: load.Input{Path: rel, Status: load.StatusOK}}
	streamed := false
	fail := func(err error) workbookResult {
		if errors.Is(err, context.DeadlineExceeded) {
			err = &extract.CellError{File: rel, Err: fmt.Errorf("%w: reading took longer than %s", extract.ErrTooLarge, rs.timeout)}
		}
		if streamed {
			r.void = append(r.void, load.FileVersion{File: rel, SHA256: r.input.SHA256})
		}
		return failed(r, err)
	}
	spec := rs.specs.First(rel)
	if spec == nil {
		return fail(&extract.CellError{File: rel, Err: ErrNoSpec})
	}
	r.input.Company = spec.Company
	wb, err := extract.Open(abs, extract.Options{Name: rel, TmpDir: rs.tmp, Excelize: rs.excelize})
	if err != nil {
		return fail(err)
	}
	defer wb.Close()
	r.input.SHA256, r.input.Bytes = wb.SHA256, wb.Size
	opt := transform.Options{SourceFile: rel, Calendar: rs.cals, OnRowError: skipBadCell}
	if facts != nil {
		opt.Batch = func(batch []fact.Fact) error {
			rec := fact.Record(memory.DefaultAllocator, batch)
			defer rec.Release()
			streamed = true
			return facts(ctx, rec)
		}
	}
	res, err := transform.Workbook(ctx, wb, spec, opt)
	if err != nil {
		return fail(err)
	}
	r.facts, r.findings = res.Facts, res.Findings
	r.input.Findings = manifestFindings(res.Findings)
	r.input.Company = res.Company // the spec's, or the cover sheet's
	r.input.Facts = res.Count
	r.cells = wb.Cells
	return r
}

// skipBadCell lets a read go on past a cell that cannot be read as a
// number, a date or a cached formula value: transform notes the cell as a
// finding and the rest of the sheet is read. Only a strict spec's
// unmapped row stops the workbook, since stopping is what strict asks for.
func skipBadCell(err error) error {
	if errors.Is(err, transform.ErrUnmappedRow) {
		return err
	}
	return nil
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
func quarantine(dir string, r workbookResult, copyIt bool) error {
	dst := filepath.Join(dir, "_quarantine", filepath.FromSlash(r.input.Path))
	if copyIt {
		if err := copyFile(r.abs, dst); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("quarantine %s: %w", r.input.Path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
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
	seen := map[string]bool{"facts": true, "facts_vintages": true, "facts_preferred": true, "facts_new": true}
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

// manifestFindings are the reader's findings as the manifest keeps them.
func manifestFindings(fs []transform.Finding) []load.Finding {
	if len(fs) == 0 {
		return nil
	}
	out := make([]load.Finding, len(fs))
	for i, f := range fs {
		out[i] = load.Finding{Sheet: f.Sheet, Cell: f.Cell, Message: f.Message, Cells: f.Cells}
	}
	return out
}
