package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
)

// Publication is a local output folder as the lake sees it.
type Publication struct {
	Dir   string
	RunID string
	Files []File   // the datasets' Parquet files
	Meta  []string // the run's other files (manifest, state catalog, quarantine), relative to Dir
	// Summary goes into every snapshot's summary (the run's figures), each
	// key prefixed "marginmix.".
	Summary map[string]string
}

// File is one published Parquet file.
type File struct {
	Path   string // relative to Dir, with forward slashes
	SHA256 string
	Rows   int64
}

// Dataset is the table a file belongs to: its folder (facts/part-X.parquet)
// or its name (segment_margins.parquet).
func (f File) Dataset() string {
	if i := strings.IndexByte(f.Path, '/'); i >= 0 {
		return f.Path[:i]
	}
	return strings.TrimSuffix(f.Path, ".parquet")
}

// runRecord is _runs/<run>/_lake.json: each table's snapshot of the run.
type runRecord struct {
	RunID  string           `json:"run_id"`
	Tables map[string]int64 `json:"tables"` // dataset: snapshot id
}

const recordName = "_lake.json"

// Publish uploads a publication's files and commits them. Data files go
// first, then the run's files, then one snapshot per changed table, then the
// run record and the namespace's run. Until that last step every reader,
// and the next Pull, sees the previous run.
func (l *Lake) Publish(ctx context.Context, pub Publication, log *slog.Logger) error {
	ctx = l.ctx(ctx)
	groups := groupByDataset(pub.Files)
	plans, err := l.planTables(ctx, pub, groups)
	if err != nil {
		return err
	}
	if err := l.uploadData(ctx, pub, plans, log); err != nil {
		return err
	}
	if err := l.uploadMeta(ctx, pub); err != nil {
		return err
	}
	snaps, err := l.commitTables(ctx, pub, plans, log)
	if err != nil {
		return err
	}
	return l.recordRun(ctx, pub.RunID, snaps)
}

// tablePlan is one dataset's table and the files it gains and loses.
type tablePlan struct {
	name     string
	tbl      *table.Table
	created  bool
	upload   map[string]File
	add, del []string
	schema   *iceberg.Schema // the files' schema when it adds columns
	rows     int64
}

func groupByDataset(files []File) map[string][]File {
	g := map[string][]File{}
	for _, f := range files {
		g[f.Dataset()] = append(g[f.Dataset()], f)
	}
	return g
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (l *Lake) planTables(ctx context.Context, pub Publication, groups map[string][]File) ([]*tablePlan, error) {
	var plans []*tablePlan
	for _, name := range sortedKeys(groups) {
		p, err := l.planTable(ctx, pub.Dir, name, groups[name])
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", name, err)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func (l *Lake) planTable(ctx context.Context, dir, name string, files []File) (*tablePlan, error) {
	sc, err := fileSchema(filepath.Join(dir, filepath.FromSlash(files[0].Path)))
	if err != nil {
		return nil, err
	}
	p := &tablePlan{name: name, upload: map[string]File{}}
	if p.tbl, p.created, err = l.loadOrCreate(ctx, name, sc); err != nil {
		return nil, err
	}
	current, err := snapshotFiles(ctx, p.tbl, p.tbl.CurrentSnapshot())
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range files {
		loc := dataLocation(p.tbl.Location(), f)
		want[loc] = true
		p.rows += f.Rows
		if !current[loc] {
			p.upload[loc], p.add = f, append(p.add, loc)
		}
	}
	for loc := range current {
		if !want[loc] {
			p.del = append(p.del, loc)
		}
	}
	slices.Sort(p.del)
	p.schema, err = addedColumns(p.tbl.Schema(), sc)
	return p, err
}

// dataLocation is where a file's bytes live: under its content's hash, so
// that the same bytes are uploaded once and a file never changes in place.
// The last element is the file's name in the output folder.
func dataLocation(tableLoc string, f File) string {
	return strings.TrimRight(tableLoc, "/") + "/data/" + f.SHA256[:16] + "/" + path.Base(f.Path)
}

// fileSchema is a Parquet file's Arrow schema as Iceberg sees it, with
// fresh field ids.
func fileSchema(p string) (*iceberg.Schema, error) {
	r, err := file.OpenParquetFile(p, false)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	sc, err := fr.Schema()
	if err != nil {
		return nil, err
	}
	return table.ArrowSchemaToIcebergWithFreshIDs(stripMetadata(sc), true)
}

func stripMetadata(sc *arrow.Schema) *arrow.Schema {
	fields := slices.Clone(sc.Fields())
	for i := range fields {
		fields[i].Metadata = arrow.Metadata{}
	}
	return arrow.NewSchema(fields, nil)
}

// addedColumns is the files' schema when it has a column the table lacks
// (a column added by a newer marginmix), nil otherwise.
func addedColumns(have, files *iceberg.Schema) (*iceberg.Schema, error) {
	for _, f := range files.Fields() {
		old, ok := have.FindFieldByName(f.Name)
		if !ok {
			return files, nil
		}
		if !old.Type.Equals(f.Type) {
			return nil, fmt.Errorf("column %s is %s in the table and %s in the new files", f.Name, old.Type, f.Type)
		}
	}
	return nil, nil
}

func (l *Lake) loadOrCreate(ctx context.Context, name string, sc *iceberg.Schema) (*table.Table, bool, error) {
	id := append(slices.Clone(l.ns), name)
	tbl, err := l.cat.LoadTable(ctx, id)
	if err == nil {
		return tbl, false, nil
	}
	if !errors.Is(err, catalog.ErrNoSuchTable) {
		return nil, false, err
	}
	mapping, err := json.Marshal(sc.NameMapping())
	if err != nil {
		return nil, false, err
	}
	tbl, err = l.cat.CreateTable(ctx, id, sc,
		catalog.WithLocation(l.location(name)),
		catalog.WithProperties(iceberg.Properties{
			"format-version":                  "2",
			table.DefaultNameMappingKey:       string(mapping),
			"write.parquet.compression-codec": "zstd",
		}))
	return tbl, true, err
}

// snapshotFiles are the data files of a snapshot, by location.
func snapshotFiles(ctx context.Context, tbl *table.Table, snap *table.Snapshot) (map[string]bool, error) {
	files := map[string]bool{}
	if snap == nil {
		return files, nil
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	manifests, err := snap.Manifests(fs)
	if err != nil {
		return nil, err
	}
	for _, m := range manifests {
		entries, err := m.FetchEntries(fs, true)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			files[e.DataFile().FilePath()] = true
		}
	}
	return files, nil
}

func (l *Lake) uploadData(ctx context.Context, pub Publication, plans []*tablePlan, log *slog.Logger) error {
	n := 0
	for _, p := range plans {
		n += len(p.upload)
	}
	log.Info("uploading data files", "files", n, "to", l.opts.Warehouse)
	for _, p := range plans {
		for _, loc := range sortedKeys(p.upload) {
			src := filepath.Join(pub.Dir, filepath.FromSlash(p.upload[loc].Path))
			if err := l.put(ctx, src, loc); err != nil {
				return err
			}
		}
	}
	return nil
}

// uploadMeta puts the run's own files under _runs/<run>/, where Pull finds
// them once the run is named in the namespace.
func (l *Lake) uploadMeta(ctx context.Context, pub Publication) error {
	for _, rel := range pub.Meta {
		src := filepath.Join(pub.Dir, filepath.FromSlash(rel))
		if err := l.put(ctx, src, l.location("_runs", pub.RunID, rel)); err != nil {
			return err
		}
	}
	return nil
}

// put copies a local file to a location in the store.
func (l *Lake) put(ctx context.Context, src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return l.upload(dst, f)
}

// upload writes an object from r.
func (l *Lake) upload(dst string, r io.Reader) error {
	w, err := l.writer(dst)
	if err != nil {
		return err
	}
	if err := copyClose(w, r); err != nil {
		return fmt.Errorf("upload %s: %w", dst, err)
	}
	return nil
}

// copyClose copies r to w and closes w, which is where a store or a file
// reports a failed write.
func copyClose(w io.WriteCloser, r io.Reader) error {
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// writer creates an object in the store.
func (l *Lake) writer(loc string) (io.WriteCloser, error) {
	wfs, ok := l.fs.(icebergio.WriteFileIO)
	if !ok {
		return nil, fmt.Errorf("%s: the store cannot be written", l.opts.Warehouse)
	}
	w, err := wfs.Create(loc)
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", loc, err)
	}
	return w, nil
}
