package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/marginmix/marginmix/fact"
	"github.com/marginmix/marginmix/load"
)

// A sharded run (docs/operations.md, "Sharded runs") reads its inbox in N
// shards, on as many machines, each staging what it read; a commit then
// builds the fact datasets and analyses from all of them and publishes
// once, as one run would have.

// Shard is one share of a sharded run: index I, counted from 0, of N. The
// zero Shard is a run that is not sharded.
type Shard struct{ I, N int }

// MaxShards bounds the shards of a batch.
const MaxShards = 10000

// ParseShard reads "I/N", as Kubernetes' JOB_COMPLETION_INDEX gives I.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	I, err1 := strconv.Atoi(i)
	N, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || N < 1 || N > MaxShards || I < 0 || I >= N {
		return Shard{}, fmt.Errorf("%q is not a shard I/N with 0 <= I < N <= %d, such as 0/3", s, MaxShards)
	}
	return Shard{I: I, N: N}, nil
}

// Sharded reports whether s names a shard.
func (s Shard) Sharded() bool { return s.N > 0 }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Holds reports whether a workbook, named by its path in the inbox, is
// this shard's: FNV-1a of the path modulo N. The split depends on the path
// alone, so every machine and every run agrees on it.
func (s Shard) Holds(rel string) bool {
	h := fnv.New64a()
	h.Write([]byte(rel))
	return h.Sum64()%uint64(s.N) == uint64(s.I)
}

// Folder is the shard's folder in its batch's staging folder.
func (s Shard) Folder() string { return fmt.Sprintf("shard-%d-of-%d", s.I, s.N) }

var reBatch = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// CheckBatch checks a batch name: it names a folder and objects, so letters,
// digits, '.', '_' and '-', at most 100, starting with a letter or digit.
func CheckBatch(b string) error {
	if b == "" {
		return &ConfigError{Field: "batch", Err: errors.New("required: a name the shards and the commit share, such as the Kubernetes Job's name")}
	}
	if !reBatch.MatchString(b) {
		return &ConfigError{Field: "batch", Err: fmt.Errorf("%q: use letters, digits, '.', '_' and '-' (at most 100), starting with a letter or digit", b)}
	}
	return nil
}

// ShardsDir is where the shards of a batch stage what they read for the
// output folder out: beside it, in .OUT.shards/BATCH, where neither the
// swap of a publication nor a reader of the folder meets it.
func ShardsDir(out, batch string) (string, error) {
	out, err := load.ResolveOut(out)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".shards", batch), nil
}

// The files of a staged shard.
const (
	StagedRecord = "shard.json" // written last: a shard without it is not staged
	stagedFacts  = "facts.parquet"
)

// staged is what a shard records of its reading, for the commit.
type staged struct {
	Format  int         `json:"format"`
	Batch   string      `json:"batch"`
	Shard   int         `json:"shard"`
	Shards  int         `json:"shards"`
	Command string      `json:"command"`
	Full    bool        `json:"full,omitempty"`
	Scope   *load.Scope `json:"scope,omitempty"`
	// Base is the run the shard read against ("" when none was published):
	// what it kept unchanged is that run's.
	Base               string             `json:"base_run_id"`
	ExtractFingerprint string             `json:"extract_fingerprint"`
	Inbox              string             `json:"inbox_listing_sha256"` // every path in the inbox, not only the shard's
	Workbooks          int                `json:"inbox_workbooks"`
	Version            string             `json:"version"`
	Started            time.Time          `json:"started_at"`
	Finished           time.Time          `json:"finished_at"`
	Facts              int64              `json:"facts"`
	Read               []load.Input       `json:"read"`
	Kept               []load.Input       `json:"kept"`
	Void               []load.FileVersion `json:"void,omitempty"`

	dir string
}

const stagedFormat = 1

// listingDigest hashes every path of an inbox listing, so that a commit can
// tell that its shards saw the same inbox.
func listingDigest(files, outside []string) string {
	h := sha256.New()
	for _, group := range [][]string{files, outside} {
		for _, p := range group {
			fmt.Fprintf(h, "%d:%s\n", len(p), p)
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// runShard reads the shard's share of the inbox and stages it.
func (x *execution) runShard(ctx context.Context) (*Summary, error) {
	if err := x.planShard(); err != nil {
		return nil, err
	}
	db, err := x.openDB(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := x.read(ctx, db); err != nil {
		return nil, err
	}
	return x.stage(ctx, db)
}

// planShard is plan for one shard: the whole inbox is listed (its digest
// goes to the commit), the shard's share chosen from it. No lock is taken:
// a shard writes only its own staging folder.
func (x *execution) planShard() error {
	if err := x.setUp(); err != nil {
		return err
	}
	if err := x.openInbox(); err != nil {
		return err
	}
	x.listing, x.workbooks = listingDigest(x.files, x.outside), len(x.files)+len(x.outside)
	x.files, x.outside = x.cfg.Shard.share(x.files), x.cfg.Shard.share(x.outside)
	if err := x.readPrevious(); err != nil {
		return err
	}
	x.log = x.log.With("shard", x.cfg.Shard.String(), "batch", x.cfg.Batch)
	return x.chooseWorkbooks()
}

func (s Shard) share(paths []string) []string {
	var out []string
	for _, p := range paths {
		if s.Holds(p) {
			out = append(out, p)
		}
	}
	return out
}

// stage writes what the shard read (its facts, its quarantine, its record)
// into a hidden folder of its batch and renames it into place, replacing
// what an earlier attempt of the shard staged.
func (x *execution) stage(ctx context.Context, db *load.DB) (*Summary, error) {
	batch, err := ShardsDir(x.cfg.Out, x.cfg.Batch)
	if err != nil {
		return nil, err
	}
	final := filepath.Join(batch, x.cfg.Shard.Folder())
	tmp := filepath.Join(batch, "."+x.cfg.Shard.Folder()+"-"+x.runID)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	rec := x.stagedRecord()
	if len(x.toRead) > 0 {
		if err := db.WriteTable(ctx, load.NewFacts, filepath.Join(tmp, stagedFacts)); err != nil {
			return nil, err
		}
	}
	for _, r := range x.quarantined {
		if err := quarantine(tmp, r, x.mayCopy(r.abs)); err != nil {
			return nil, err
		}
	}
	rec.Finished = time.Now().UTC().Truncate(time.Millisecond)
	if err := writeJSON(filepath.Join(tmp, StagedRecord), rec); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(final); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("stage shard %s: %w", x.cfg.Shard, err)
	}
	return x.stagedSummary(final), nil
}

func (x *execution) stagedRecord() *staged {
	read := map[string]bool{}
	for _, p := range x.toRead {
		read[p] = true
	}
	rec := &staged{Format: stagedFormat, Batch: x.cfg.Batch, Shard: x.cfg.Shard.I, Shards: x.cfg.Shard.N,
		Command: x.job.command, Full: x.job.full, Scope: x.job.scope, Base: x.prev.runID(),
		ExtractFingerprint: x.extractFP, Inbox: x.listing, Workbooks: x.workbooks, Version: Version,
		Started: x.start.UTC().Truncate(time.Millisecond), Facts: int64(x.sum.FactsRead),
		Kept: x.kept, Void: x.void, Read: []load.Input{}}
	for _, in := range x.sum.Inputs {
		if read[in.Path] {
			rec.Read = append(rec.Read, in)
		}
	}
	return rec
}

func (x *execution) stagedSummary(dir string) *Summary {
	sum := x.sum
	sum.Staged = dir
	sum.Elapsed = time.Since(x.start)
	x.log.Info("staged", "dir", dir, "read", sum.Read, "unchanged", sum.Unchanged,
		"quarantined", sum.Quarantined, keyFacts, sum.FactsRead, keyElapsed, sum.Elapsed.Round(time.Millisecond))
	return sum
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// runID is the run the previous publication holds, "" when none.
func (p *previous) runID() string {
	if p.manifest == nil {
		return ""
	}
	return p.manifest.RunID
}

// Commit publishes a batch of staged shards (cfg.Batch) as one run: the
// facts every shard read, the inputs every shard kept, the fact datasets
// and analyses built from them. It refuses a batch that is incomplete,
// whose shards disagree, or that was read against another publication
// than the one in place. Once published, the batch's staging folder and
// every batch staged before it (read against the publication this one
// replaced, so never to be committed) are removed.
func Commit(ctx context.Context, cfg Config, log *slog.Logger) (*Summary, error) {
	if err := CheckBatch(cfg.Batch); err != nil {
		return nil, err
	}
	began := time.Now()
	sum, err := execute(ctx, cfg, job{command: "commit", commit: true}, log)
	if err != nil || !(sum.Published || sum.NothingNew) {
		return sum, err
	}
	if err := dropStaged(cfg.Out, cfg.Batch, began, sum.Published); err != nil && log != nil {
		log.Warn("staged shards were not all removed", "err", err)
	}
	return sum, nil
}

// dropStaged removes a committed batch's staging folder and, after a
// publication, every other batch last changed before the commit began.
func dropStaged(out, batch string, before time.Time, others bool) error {
	dir, err := ShardsDir(out, batch)
	if err != nil {
		return err
	}
	errs := []error{os.RemoveAll(dir)}
	root := filepath.Dir(dir)
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if info, err := e.Info(); others && err == nil && info.ModTime().Before(before) {
			errs = append(errs, os.RemoveAll(filepath.Join(root, e.Name())))
		}
	}
	if rest, err := os.ReadDir(root); err == nil && len(rest) == 0 {
		errs = append(errs, os.Remove(root))
	}
	return errors.Join(errs...)
}

// IncompleteError is a batch some of whose shards have not staged yet.
type IncompleteError struct {
	Batch   string
	Missing []int // shard indexes
	N       int
}

func (e *IncompleteError) Error() string {
	if e.N == 0 {
		return fmt.Sprintf("batch %s: no shard is staged (run `marginmix run --shard I/N --batch %s` first)", e.Batch, e.Batch)
	}
	idx := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		idx[i] = strconv.Itoa(m)
	}
	return fmt.Sprintf("batch %s: %d of %d shards are not staged yet (missing: %s)", e.Batch, len(e.Missing), e.N, strings.Join(idx, ", "))
}

// StagedShards reads the staged shards of a batch for the output folder
// out, in shard order, and checks that they make one whole batch. An
// incomplete batch is an *IncompleteError.
func StagedShards(out, batch string) error {
	dir, err := ShardsDir(out, batch)
	if err != nil {
		return err
	}
	_, err = readStaged(dir, batch)
	return err
}

func readStaged(dir, batch string) ([]*staged, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var shards []*staged
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "shard-") {
			continue
		}
		rec, err := readRecord(filepath.Join(dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // being replaced by a retried shard
		}
		if err != nil {
			return nil, err
		}
		shards = append(shards, rec)
	}
	return shards, wholeBatch(shards, batch)
}

func readRecord(dir string) (*staged, error) {
	b, err := os.ReadFile(filepath.Join(dir, StagedRecord))
	if err != nil {
		return nil, err
	}
	var rec staged
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StagedRecord), err)
	}
	if rec.Format != stagedFormat {
		return nil, fmt.Errorf("%s: format %d; this marginmix reads format %d", filepath.Join(dir, StagedRecord), rec.Format, stagedFormat)
	}
	rec.dir = dir
	return &rec, nil
}

// wholeBatch checks that shards 0 to N-1 are all there, once each, and
// that they read the same inbox against the same publication with the
// same specs and command. It sorts them by index.
func wholeBatch(shards []*staged, batch string) error {
	if len(shards) == 0 {
		return &IncompleteError{Batch: batch}
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].Shard < shards[j].Shard })
	first := shards[0]
	have := map[int]bool{}
	for _, s := range shards {
		if err := sameBatch(first, s); err != nil {
			return fmt.Errorf("batch %s: %w; run every shard of the batch again", batch, err)
		}
		have[s.Shard] = true
	}
	var missing []int
	for i := range first.Shards {
		if !have[i] {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return &IncompleteError{Batch: batch, Missing: missing, N: first.Shards}
	}
	return nil
}

// sameBatch says how shard s disagrees with the batch's first shard.
func sameBatch(first, s *staged) error {
	name := fmt.Sprintf("shard %d/%d", s.Shard, s.Shards)
	switch {
	case s.Shards != first.Shards:
		return fmt.Errorf("%s was staged for %d shards, shard %d/%d for %d", name, s.Shards, first.Shard, first.Shards, first.Shards)
	case s.Shard < 0 || s.Shard >= s.Shards:
		return fmt.Errorf("%s is out of range", name)
	case s.Base != first.Base:
		return fmt.Errorf("%s read against run %q, shard %d against %q (a run was published between them)", name, s.Base, first.Shard, first.Base)
	case s.Inbox != first.Inbox:
		return fmt.Errorf("%s saw another inbox than shard %d (%d workbooks against %d: the inbox changed between them)", name, first.Shard, s.Workbooks, first.Workbooks)
	case s.Version != first.Version:
		return fmt.Errorf("%s was read by marginmix %s, shard %d by %s", name, s.Version, first.Shard, first.Version)
	case s.ExtractFingerprint != first.ExtractFingerprint:
		return fmt.Errorf("%s read with other specs than shard %d", name, first.Shard)
	case s.Command != first.Command || s.Full != first.Full || !sameScope(s.Scope, first.Scope):
		return fmt.Errorf("%s ran another command than shard %d (%s against %s)", name, first.Shard, describe(s), describe(first))
	}
	return nil
}

func sameScope(a, b *load.Scope) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.From == b.From && a.To == b.To && strings.Join(a.Companies, ",") == strings.Join(b.Companies, ",")
}

func describe(s *staged) string {
	d := s.Command
	if s.Full {
		d += " --full"
	}
	if s.Scope != nil {
		d += " --company " + strings.Join(s.Scope.Companies, ",")
	}
	return d
}

// StaleBatchError is a batch read against a publication that is no longer
// the one in place: what its shards kept unchanged may have changed since.
type StaleBatchError struct{ Batch, Base, Published string }

func (e *StaleBatchError) Error() string {
	base, now := "run "+e.Base, "run "+e.Published
	if e.Base == "" {
		base = "an output folder with nothing published"
	}
	if e.Published == "" {
		now = "nothing" // the output folder was removed since
	}
	return fmt.Sprintf("batch %s was read against %s, but %s is published now; run the batch's shards again", e.Batch, base, now)
}

// planCommit is plan for a commit: the writers' lock, the last publication,
// and the staged shards in place of an inbox.
func (x *execution) planCommit() error {
	if err := x.setUp(); err != nil {
		return err
	}
	if err := x.lockOut(); err != nil {
		return err
	}
	if err := x.readPrevious(); err != nil {
		return err
	}
	dir, err := ShardsDir(x.cfg.Out, x.cfg.Batch)
	if err != nil {
		return err
	}
	if x.staged, err = readStaged(dir, x.cfg.Batch); err != nil {
		return err
	}
	first := x.staged[0]
	if first.Version != Version {
		// Another version may have other fact columns, which the staged
		// facts would leave NULL without a word.
		return fmt.Errorf("batch %s was read by marginmix %s; this is %s: commit with the shards' version", x.cfg.Batch, first.Version, Version)
	}
	if first.Base != x.prev.runID() {
		return &StaleBatchError{Batch: x.cfg.Batch, Base: first.Base, Published: x.prev.runID()}
	}
	// The shards' command and reading settings are the run's.
	x.job.command, x.job.full, x.job.scope = first.Command, first.Full, first.Scope
	x.extractFP = first.ExtractFingerprint
	x.log = x.log.With("batch", x.cfg.Batch)
	for _, s := range x.staged {
		for _, in := range s.Read {
			x.toRead = append(x.toRead, in.Path)
		}
		x.kept = append(x.kept, s.Kept...)
	}
	sort.Slice(x.kept, func(i, j int) bool { return x.kept[i].Path < x.kept[j].Path })
	x.sum = &Summary{RunID: x.runID, Seq: x.seq, Read: len(x.toRead)}
	return nil
}

// readStaged loads the facts the shards read into facts_new, as reading
// them would have, and tallies their results.
func (x *execution) readStaged(ctx context.Context, db *load.DB) error {
	if err := db.SetMemoryLimit(ctx, x.mem.duckBuild); err != nil { // no readers here
		return err
	}
	empty := load.NewStream(fact.Schema, 1)
	empty.Close()
	if err := db.Ingest(ctx, load.NewFacts, empty, 1); err != nil {
		return err
	}
	var files []string
	var results []workbookResult
	for _, s := range x.staged {
		if len(s.Read) > 0 {
			files = append(files, filepath.Join(s.dir, stagedFacts))
		}
		for _, in := range s.Read {
			r := workbookResult{input: in}
			if in.Status == load.StatusQuarantined {
				r.err = errors.New(in.Reason)
			}
			results = append(results, r)
		}
		x.void = append(x.void, s.Void...)
	}
	if err := db.AppendParquet(ctx, load.NewFacts, files); err != nil {
		return err
	}
	x.tally(results)
	return nil
}

// stagedQuarantine copies the shards' _quarantine folders into the
// publication: the copies and reasons each shard made from its inbox.
func (x *execution) stagedQuarantine(dir string) error {
	for _, s := range x.staged {
		src := filepath.Join(s.dir, "_quarantine")
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(src, p)
			if err != nil {
				return err
			}
			return copyFile(p, filepath.Join(dir, "_quarantine", rel))
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("quarantine of shard %d: %w", s.Shard, err)
		}
	}
	return nil
}
