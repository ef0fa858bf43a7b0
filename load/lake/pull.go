package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/table"
)

// PublishedRun is the run the namespace names: the last run whose tables
// were all committed. "" when nothing is published yet.
func (l *Lake) PublishedRun(ctx context.Context) (string, error) {
	props, err := l.cat.LoadNamespaceProperties(l.ctx(ctx), l.ns)
	if err != nil {
		return "", fmt.Errorf("catalog: namespace %s: %w", l.opts.Namespace, err)
	}
	return props[PropRunID], nil
}

// manifestView is what Pull reads of a publication's _manifest.json.
type manifestView struct {
	RunID   string `json:"run_id"`
	Outputs []struct {
		Path   string `json:"path"`
		Bytes  int64  `json:"bytes"`
		SHA256 string `json:"sha256"`
	} `json:"outputs"`
}

const manifestName = "_manifest.json"

// Pull makes dir hold the published run, or nothing when no run is
// published, and returns the run's id. A dir that already holds the run is
// left alone; otherwise the run is downloaded beside dir, checked against its
// manifest's hashes, and swapped in. dir must be marginmix's own cache
// folder: what it held before is removed.
func (l *Lake) Pull(ctx context.Context, dir string, log *slog.Logger) (string, error) {
	ctx = l.ctx(ctx)
	run, err := l.PublishedRun(ctx)
	if err != nil {
		return "", err
	}
	if run == "" {
		return "", replaceDir(dir, "")
	}
	if holdsRun(dir, run) {
		return run, nil
	}
	log.Info("downloading the published run", "run", run, "from", l.opts.Warehouse)
	tmp := dir + ".pull"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if err := l.download(ctx, run, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return run, replaceDir(dir, tmp)
}

func (l *Lake) download(ctx context.Context, run, tmp string) error {
	rec, err := l.readRecord(run)
	if err != nil {
		return err
	}
	if err := l.downloadMeta(run, tmp); err != nil {
		return err
	}
	for _, name := range sortedKeys(rec.Tables) {
		if err := l.downloadTable(ctx, name, rec.Tables[name], tmp); err != nil {
			return fmt.Errorf("table %s: %w", name, err)
		}
	}
	return verify(tmp, run)
}

func (l *Lake) readRecord(run string) (*runRecord, error) {
	loc := l.location("_runs", run, recordName)
	b, err := l.readObject(loc)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", run, err)
	}
	var rec runRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("run %s: %s: %w", run, loc, err)
	}
	return &rec, nil
}

func (l *Lake) readObject(loc string) ([]byte, error) {
	f, err := l.fs.Open(loc)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// downloadMeta brings the run's manifest, state catalog and quarantine.
func (l *Lake) downloadMeta(run, tmp string) error {
	root := l.location("_runs", run)
	locs, err := l.list(root)
	if err != nil {
		return err
	}
	for _, loc := range locs {
		rel := strings.TrimPrefix(loc, root+"/")
		if rel == recordName {
			continue
		}
		if err := l.get(loc, tmp, rel); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lake) downloadTable(ctx context.Context, name string, snapID int64, tmp string) error {
	tbl, err := l.cat.LoadTable(ctx, append(slices.Clone(l.ns), name))
	if err != nil {
		return err
	}
	snap := tbl.SnapshotByID(snapID)
	if snap == nil {
		return fmt.Errorf("snapshot %d is gone (expired?)", snapID)
	}
	files, err := snapshotFiles(ctx, tbl, snap)
	if err != nil {
		return err
	}
	for _, loc := range sortedKeys(files) {
		if err := l.get(loc, tmp, localPath(name, loc)); err != nil {
			return err
		}
	}
	return nil
}

// localPath is a data file's path in the output folder: the analysis file
// segment_margins.parquet at the top, a fact dataset's files in its folder.
func localPath(dataset, loc string) string {
	base := path.Base(loc)
	if base == dataset+".parquet" {
		return base
	}
	return dataset + "/" + base
}

// get downloads loc to dir/rel, refusing a rel that would leave dir.
func (l *Lake) get(loc, dir, rel string) error {
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fmt.Errorf("object %s: its name leaves the folder", loc)
	}
	dst := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	src, err := l.fs.Open(loc)
	if err != nil {
		return fmt.Errorf("download %s: %w", loc, err)
	}
	defer src.Close()
	return writeFile(dst, src, loc)
}

func writeFile(dst string, src io.Reader, loc string) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := copyClose(out, src); err != nil {
		return fmt.Errorf("download %s: %w", loc, err)
	}
	return nil
}

// list returns the objects under root, in name order.
func (l *Lake) list(root string) ([]string, error) {
	locs, err := l.listOld(root, time.Now().AddDate(100, 0, 0))
	slices.Sort(locs)
	return locs, err
}

// verify checks a downloaded run against its manifest: every output there,
// with the manifest's hash.
func verify(dir, run string) error {
	m, err := readManifestView(dir)
	if err != nil {
		return err
	}
	if m.RunID != run {
		return fmt.Errorf("run %s: its manifest names run %s", run, m.RunID)
	}
	for _, o := range m.Outputs {
		sum, err := fileSHA256(filepath.Join(dir, filepath.FromSlash(o.Path)))
		if err != nil {
			return fmt.Errorf("run %s: output %s: %w", run, o.Path, err)
		}
		if sum != o.SHA256 {
			return fmt.Errorf("run %s: output %s: sha256 %s, the manifest says %s", run, o.Path, sum, o.SHA256)
		}
	}
	return nil
}

func readManifestView(dir string) (*manifestView, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m manifestView
	return &m, json.Unmarshal(b, &m)
}

// holdsRun reports whether dir already holds the run: its manifest names
// it and every output is there with its size.
func holdsRun(dir, run string) bool {
	m, err := readManifestView(dir)
	if err != nil || m.RunID != run {
		return false
	}
	for _, o := range m.Outputs {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(o.Path)))
		if err != nil || st.Size() != o.Bytes {
			return false
		}
	}
	return true
}

// replaceDir puts next (a folder beside dir, or nothing) in dir's place.
func replaceDir(dir, next string) error {
	old := dir + ".old"
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if next != "" {
		if err := os.Rename(next, dir); err != nil {
			return err
		}
	}
	return os.RemoveAll(old)
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Scan reads a table of the published run whole, through iceberg-go's own
// reader (the way Spark or pyiceberg would see it, mapping columns by the
// table's name mapping), as of the snapshot the run recorded.
func (l *Lake) Scan(ctx context.Context, dataset string) (arrow.Table, error) {
	ctx = l.ctx(ctx)
	run, err := l.PublishedRun(ctx)
	if err != nil || run == "" {
		return nil, errors.Join(err, errors.New("nothing is published"))
	}
	rec, err := l.readRecord(run)
	if err != nil {
		return nil, err
	}
	snap, ok := rec.Tables[dataset]
	if !ok {
		return nil, fmt.Errorf("run %s has no table %s", run, dataset)
	}
	tbl, err := l.cat.LoadTable(ctx, append(slices.Clone(l.ns), dataset))
	if err != nil {
		return nil, err
	}
	return tbl.Scan(table.WithSnapshotID(snap)).ToArrowTable(ctx)
}
