package lake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go/table"

	"github.com/marginmix/marginmix/internal/fakes3"
	"github.com/marginmix/marginmix/internal/pgtest"
)

// A publication written by hand: two fact files and an analysis, as the
// pipeline lays them out, with a manifest that hashes them.
type fixture struct {
	dir   string
	run   string
	files map[string][]row // path: rows
}

type row struct {
	company string
	value   float64
}

var factSchema = arrow.NewSchema([]arrow.Field{
	{Name: "company", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

func writeFixture(t *testing.T, f fixture) Publication {
	t.Helper()
	pub := Publication{Dir: f.dir, RunID: f.run, Summary: map[string]string{"facts": "3"}}
	var outputs []map[string]any
	for _, p := range sortedKeys(f.files) {
		full := filepath.Join(f.dir, filepath.FromSlash(p))
		writeParquet(t, full, f.files[p])
		sum, err := fileSHA256(full)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(full)
		pub.Files = append(pub.Files, File{Path: p, SHA256: sum, Rows: int64(len(f.files[p]))})
		outputs = append(outputs, map[string]any{"path": p, "rows": len(f.files[p]), "bytes": st.Size(), "sha256": sum})
	}
	m, _ := json.Marshal(map[string]any{"run_id": f.run, "outputs": outputs})
	mustWrite(t, filepath.Join(f.dir, manifestName), m)
	mustWrite(t, filepath.Join(f.dir, "_state", "catalog.duckdb"), []byte("state of "+f.run))
	pub.Meta = []string{manifestName, "_state/catalog.duckdb"}
	return pub
}

func mustWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeParquet(t *testing.T, p string, rows []row) {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, factSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.company)
		b.Field(1).(*array.Float64Builder).Append(r.value)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	tbl := array.NewTableFromRecords(factSchema, []arrow.RecordBatch{rec})
	defer tbl.Release()
	if err := pqarrow.WriteTable(tbl, &buf, 1024, nil, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, p, buf.Bytes())
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// catalogURI is a catalog URL, or a SQLite catalog's path made one.
func catalogURI(c string) string {
	if strings.Contains(c, "://") {
		return c
	}
	return "sqlite://" + c
}

func openLake(t *testing.T, catalog string) *Lake {
	t.Helper()
	l, err := Open(context.Background(), Options{
		Warehouse: "s3://lake/pub", Catalog: catalogURI(catalog),
		RequestTimeout: 500 * time.Millisecond, MaxBackoff: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// scan reads a table's rows at a snapshot (0: current) with a fresh
// catalog, as another engine would.
func scan(t *testing.T, catalogPath, name string, snap int64) []string {
	t.Helper()
	l := openLake(t, catalogPath)
	ctx := l.ctx(context.Background())
	tbl, err := l.cat.LoadTable(ctx, table.Identifier{Namespace, name})
	if err != nil {
		t.Fatal(err)
	}
	var opts []table.ScanOption
	if snap != 0 {
		opts = append(opts, table.WithSnapshotID(snap))
	}
	at, err := tbl.Scan(opts...).ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	var got []string
	tr := array.NewTableReader(at, 100)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		c := rec.Column(int(rec.Schema().FieldIndices("company")[0])).(*array.String)
		v := rec.Column(int(rec.Schema().FieldIndices("value")[0])).(*array.Float64)
		for i := 0; i < int(rec.NumRows()); i++ {
			got = append(got, fmt.Sprintf("%s=%g", c.Value(i), v.Value(i)))
		}
	}
	slices.Sort(got)
	return got
}

func run1(dir string) fixture {
	return fixture{dir: dir, run: "R1", files: map[string][]row{
		"facts/part-AMZN.parquet": {{"AMZN", 1.5}, {"AMZN", 2.5}},
		"facts/part-MSFT.parquet": {{"MSFT", 7}},
		"ai_mix.parquet":          {{"AMZN", 0.37}},
	}}
}

func run2(dir string) fixture {
	return fixture{dir: dir, run: "R2", files: map[string][]row{
		"facts/part-AMZN.parquet": {{"AMZN", 1.5}, {"AMZN", 2.75}}, // restated
		"facts/part-ORCL.parquet": {{"ORCL", 3}},                   // MSFT gone, ORCL new
		"ai_mix.parquet":          {{"AMZN", 0.37}},                // unchanged
	}}
}

// publishR1 starts a fake S3 with a SQLite catalog and publishes run1.
func publishR1(t *testing.T) (*fakes3.Server, string, *Lake) {
	t.Helper()
	s3 := fakes3.Start(t, "lake")
	cat := filepath.Join(t.TempDir(), "catalog.db")
	l := openLake(t, cat)
	if err := l.Publish(context.Background(), writeFixture(t, run1(t.TempDir())), quiet()); err != nil {
		t.Fatal(err)
	}
	return s3, cat, l
}

func TestPublishPullAndTimeTravel(t *testing.T) {
	s3, cat, l := publishR1(t)
	publishPullAndTimeTravel(t, s3, cat, l)
	if b, _ := os.ReadFile(cat); bytes.Contains(b, []byte(fakes3.SecretKey)) {
		t.Fatal("the secret key is in the catalog")
	}
}

// The same with the catalog in a Postgres database, on a throwaway
// server; the password refused in the URL.
func TestPostgresCatalog(t *testing.T) {
	uri := pgtest.Start(t)
	s3 := fakes3.Start(t, "lake")
	l := openLake(t, uri)
	if err := l.Publish(context.Background(), writeFixture(t, run1(t.TempDir())), quiet()); err != nil {
		t.Fatal(err)
	}
	publishPullAndTimeTravel(t, s3, uri, l)

	_, err := Open(context.Background(), Options{Warehouse: "s3://lake/pub", Catalog: "postgres://mm:hunter2@db.internal/lake"})
	var ce *ConfigError
	if !errors.As(err, &ce) || err.Error() != "catalog postgres://REDACTED@db.internal/lake: put the password in PGPASSWORD or ~/.pgpass, not in the URL, which would carry it into logs and process listings" {
		t.Fatalf("password in the URL: %v", err)
	}
}

// publishPullAndTimeTravel publishes R2 over a published R1 and reads both
// back: by scans through a fresh catalog, by snapshot, and by a pull.
func publishPullAndTimeTravel(t *testing.T, s3 *fakes3.Server, cat string, l *Lake) {
	t.Helper()
	ctx := context.Background()
	if run, err := l.PublishedRun(ctx); err != nil || run != "R1" {
		t.Fatalf("published run = %q, %v; want R1", run, err)
	}
	want1 := []string{"AMZN=1.5", "AMZN=2.5", "MSFT=7"}
	if got := scan(t, cat, "facts", 0); !slices.Equal(got, want1) {
		t.Fatalf("facts after R1 = %v, want %v", got, want1)
	}
	snap1 := currentSnapshot(t, l, "facts")

	pub2 := writeFixture(t, run2(t.TempDir()))
	if err := l.Publish(ctx, pub2, quiet()); err != nil {
		t.Fatal(err)
	}
	want2 := []string{"AMZN=1.5", "AMZN=2.75", "ORCL=3"}
	if got := scan(t, cat, "facts", 0); !slices.Equal(got, want2) {
		t.Fatalf("facts after R2 = %v, want %v", got, want2)
	}
	if got := scan(t, cat, "facts", snap1.SnapshotID); !slices.Equal(got, want1) {
		t.Fatalf("facts as of R1's snapshot = %v, want %v", got, want1)
	}
	checkSummary(t, l, "facts", "R2", "3")
	// ai_mix did not change in R2: its snapshot is still R1's.
	checkSummary(t, l, "ai_mix", "R1", "1")

	// A pull into an empty folder gives R2's files byte for byte.
	dst := filepath.Join(t.TempDir(), "out")
	if run, err := l.Pull(ctx, dst, quiet()); err != nil || run != "R2" {
		t.Fatalf("pull = %q, %v", run, err)
	}
	sameTree(t, pub2.Dir, dst)
	if hits := s3.Contains(t, "lake", []byte(fakes3.SecretKey)); len(hits) > 0 {
		t.Fatalf("the secret key is in objects %v", hits)
	}
}

func currentSnapshot(t *testing.T, l *Lake, name string) *table.Snapshot {
	t.Helper()
	tbl, err := l.cat.LoadTable(l.ctx(context.Background()), table.Identifier{Namespace, name})
	if err != nil {
		t.Fatal(err)
	}
	return tbl.CurrentSnapshot()
}

func checkSummary(t *testing.T, l *Lake, name, run, rows string) {
	t.Helper()
	p := currentSnapshot(t, l, name).Summary.Properties
	if p[PropRunID] != run || p["marginmix.rows"] != rows || p["marginmix.facts"] != "3" {
		t.Fatalf("%s snapshot summary: run %q rows %q facts %q; want %s, %s, 3",
			name, p[PropRunID], p["marginmix.rows"], p["marginmix.facts"], run, rows)
	}
}

// sameTree compares two folders' files byte for byte.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	files := func(root string) map[string]string {
		m := map[string]string{}
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(root, p)
				body, _ := os.ReadFile(p)
				m[filepath.ToSlash(rel)] = string(body)
			}
			return nil
		})
		return m
	}
	fa, fb := files(a), files(b)
	if !slices.Equal(sortedKeys(fa), sortedKeys(fb)) {
		t.Fatalf("files differ:\n%v\n%v", sortedKeys(fa), sortedKeys(fb))
	}
	for k, v := range fa {
		if fb[k] != v {
			t.Fatalf("%s differs", k)
		}
	}
}

// A store that fails requests: six in a row, more than the SDK's five
// tries, at points spread over a publish (uploads, metadata, commits, the
// run's record). The publish then fails and leaves the previous run
// published and readable; a rerun completes.
func TestFailingStoreNeverHalfPublishes(t *testing.T) {
	total := publishRequests(t)
	failures := 0
	for at := 1; at < total; at += max(1, total/10) {
		t.Run(fmt.Sprintf("from request %d of %d", at, total), func(t *testing.T) {
			s3, _, l := publishR1(t)
			ctx := context.Background()
			pub2 := writeFixture(t, run2(t.TempDir()))
			s3.Fail(at, 6)
			err := l.Publish(ctx, pub2, quiet())
			s3.Fail(0, 0)
			want := "R2"
			if err != nil {
				failures++
				want = "R1"
				if strings.Contains(err.Error(), fakes3.SecretKey) || strings.Contains(err.Error(), fakes3.AccessKey) {
					t.Fatalf("the error shows a credential: %v", err)
				}
			}
			if run, _ := l.PublishedRun(ctx); run != want {
				t.Fatalf("publish error %v, and run %q is published; want %s", err, run, want)
			}
			pullMatches(t, l, want)
			if err := l.Publish(ctx, pub2, quiet()); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			pullMatches(t, l, "R2")
		})
	}
	if failures < 5 {
		t.Fatalf("only %d faulty publishes failed: the fault injection misses", failures)
	}
}

// publishRequests is how many requests publishing R2 over R1 makes.
func publishRequests(t *testing.T) int {
	s3, _, l := publishR1(t)
	before := s3.Requests()
	if err := l.Publish(context.Background(), writeFixture(t, run2(t.TempDir())), quiet()); err != nil {
		t.Fatal(err)
	}
	return s3.Requests() - before
}

// A store that stalls every third request past the client's timeout: the
// requests are retried and the publish completes.
func TestStallingStoreIsRetried(t *testing.T) {
	s3 := fakes3.Start(t, "lake")
	l := openLake(t, filepath.Join(t.TempDir(), "catalog.db"))
	ctx := context.Background()
	s3.Stall(3, 5*time.Second)
	start := time.Now()
	if err := l.Publish(ctx, writeFixture(t, run1(t.TempDir())), quiet()); err != nil {
		t.Fatal(err)
	}
	s3.Stall(0, 0)
	pullMatches(t, l, "R1")
	t.Logf("published through stalls in %s", time.Since(start).Round(time.Millisecond))
}

func pullMatches(t *testing.T, l *Lake, run string) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "out")
	got, err := l.Pull(context.Background(), dst, quiet())
	if err != nil || got != run {
		t.Fatalf("pull = %q, %v; want %s", got, err, run)
	}
}

// Orphans: files of an upload that never got committed are removed once
// they are older than the run that cleans up; referenced files stay.
func TestRemoveOrphans(t *testing.T) {
	s3, _, l := publishR1(t)
	ctx := context.Background()
	// A run that uploaded and died before committing.
	pub2 := writeFixture(t, run2(t.TempDir()))
	plans, err := l.planTables(l.ctx(ctx), pub2, groupByDataset(pub2.Files))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.uploadData(l.ctx(ctx), pub2, plans, quiet()); err != nil {
		t.Fatal(err)
	}
	if err := l.uploadMeta(l.ctx(ctx), pub2); err != nil {
		t.Fatal(err)
	}
	before := s3.Keys(t, "lake")
	n, err := l.RemoveOrphans(ctx, time.Now().Add(time.Second), quiet())
	if err != nil {
		t.Fatal(err)
	}
	after := s3.Keys(t, "lake")
	var gone []string
	for _, k := range before {
		if !slices.Contains(after, k) {
			gone = append(gone, k)
		}
	}
	// R2 uploaded a restated AMZN file, an ORCL file and its two run files.
	if n != 4 || len(gone) != 4 {
		t.Fatalf("removed %d: %v", n, gone)
	}
	for _, k := range gone {
		if !strings.Contains(k, "part-AMZN") && !strings.Contains(k, "part-ORCL") && !strings.HasPrefix(k, "pub/_runs/R2/") {
			t.Fatalf("removed %s, which R1 needs", k)
		}
	}
	pullMatches(t, l, "R1")
}
