//go:build duckdb_arrow

package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	stdmath "math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/math"

	"github.com/marginmix/marginmix/fixtures"
	"github.com/marginmix/marginmix/internal/fakes3"
	"github.com/marginmix/marginmix/load/lake"
)

// lakeEnv is a fake S3 with an inbox bucket and a lake bucket, a SQLite
// catalog, and a local inbox and output folder fed the same workbooks.
type lakeEnv struct {
	s3         *fakes3.Server
	args       []string // --out s3://... --catalog ... --cache ...
	catalog    string
	localInbox string
	localOut   string
}

func newLakeEnv(t *testing.T) *lakeEnv {
	t.Helper()
	dir := t.TempDir()
	e := &lakeEnv{
		s3:         fakes3.Start(t, "inbox", "lake"),
		catalog:    "sqlite://" + filepath.Join(dir, "catalog.db"),
		localInbox: filepath.Join(dir, "inbox"),
		localOut:   filepath.Join(dir, "out"),
	}
	e.args = []string{"--out", "s3://lake/mm", "--catalog", e.catalog, "--cache", filepath.Join(dir, "cache")}
	os.MkdirAll(e.localInbox, 0o755)
	fs.WalkDir(fixtures.Samples(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(fixtures.Samples(), p)
			e.put(t, filepath.Base(p), b)
		}
		return err
	})
	return e
}

// put writes a workbook to both inboxes.
func (e *lakeEnv) put(t *testing.T, name string, b []byte) {
	t.Helper()
	if _, err := e.s3.Backend.PutObject("inbox", "q1/"+name, nil, bytes.NewReader(b), int64(len(b)), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.localInbox, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// remove deletes a workbook from both inboxes and returns its bytes.
func (e *lakeEnv) remove(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.localInbox, name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.Backend.DeleteObject("inbox", "q1/"+name); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(e.localInbox, name)); err != nil {
		t.Fatal(err)
	}
	return b
}

// both runs a command on the local folder and on object storage; both must
// exit 0 and say the same but for the output's name.
func (e *lakeEnv) both(t *testing.T, args ...string) string {
	t.Helper()
	code, _, local := run(t, append(args, "--inbox", e.localInbox, "--out", e.localOut)...)
	if code != exitOK {
		t.Fatalf("local %v: exit %d\n%s", args, code, local)
	}
	code, _, remote := run(t, append(append(args, "--inbox", "s3://inbox/q1"), e.args...)...)
	if code != exitOK {
		t.Fatalf("s3 %v: exit %d\n%s", args, code, remote)
	}
	e.noSecret(t, remote)
	if strings.Contains(remote, "level=WARN msg=\"orphan") {
		t.Fatalf("s3 %v:\n%s", args, remote)
	}
	return remote
}

func (e *lakeEnv) noSecret(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(s, fakes3.SecretKey) {
		t.Fatalf("the secret key is in the output:\n%s", s)
	}
}

// sameQuery runs a query on both publications and compares the answers.
func (e *lakeEnv) sameQuery(t *testing.T, sql string) string {
	t.Helper()
	code, local, stderr := run(t, "query", "--format", "csv", "--out", e.localOut, sql)
	if code != exitOK {
		t.Fatalf("local query: exit %d\n%s", code, stderr)
	}
	code, remote, stderr := run(t, append([]string{"query", "--format", "csv", sql}, e.args...)...)
	if code != exitOK {
		t.Fatalf("s3 query: exit %d\n%s", code, stderr)
	}
	if local != remote {
		t.Fatalf("%s\nlocal:\n%s\ns3:\n%s", sql, local, remote)
	}
	return remote
}

// icebergFacts reads the facts table with iceberg-go, not through our
// cache: its row count and the sum of its values.
func (e *lakeEnv) icebergFacts(t *testing.T) (int64, float64) {
	t.Helper()
	l, err := lake.Open(context.Background(), lake.Options{Warehouse: "s3://lake/mm", Catalog: e.catalog})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tbl, err := l.Scan(context.Background(), "facts")
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	col := tbl.Column(tbl.Schema().FieldIndices("value")[0])
	sum := 0.0
	for _, c := range col.Data().Chunks() {
		sum += math.Float64.Sum(c.(*array.Float64))
	}
	return tbl.NumRows(), sum
}

var factQueries = []string{
	"SELECT company, count(*) AS n, round(sum(value), 6) AS total FROM facts GROUP BY ALL ORDER BY ALL",
	"SELECT count(*) AS n FROM facts_vintages",
	"SELECT * FROM segment_margins ORDER BY ALL",
	"SELECT check_name, count(*) AS n FROM data_quality GROUP BY ALL ORDER BY ALL",
}

func (e *lakeEnv) sameEverywhere(t *testing.T) {
	t.Helper()
	for _, q := range factQueries {
		e.sameQuery(t, q)
	}
	n, sum := e.icebergFacts(t)
	want := e.sameQuery(t, "SELECT count(*) AS n, sum(value) AS total FROM facts")
	var wn int64
	var wsum float64
	if _, err := fmt.Sscanf(strings.TrimPrefix(want, "n,total\n"), "%d,%g", &wn, &wsum); err != nil {
		t.Fatalf("%q: %v", want, err)
	}
	if n != wn || stdmath.Abs(sum-wsum) > 1e-6*stdmath.Abs(wsum) {
		t.Fatalf("iceberg-go reads %d facts summing to %g; DuckDB %d and %g", n, sum, wn, wsum)
	}
}

// A run, a removed workbook and a backfill each publish to object storage
// what the same commands publish to a local folder.
func TestObjectStorageMatchesLocalFolder(t *testing.T) {
	e := newLakeEnv(t)
	stderr := e.both(t, "run")
	if !strings.Contains(stderr, "published s3://lake/mm: 7 workbooks (7 read, 0 unchanged, 0 quarantined), 585 facts, 10 datasets") {
		t.Fatalf("run:\n%s", stderr)
	}
	e.sameEverywhere(t)

	e.remove(t, "crwv_1q26_financials.xlsx")
	e.both(t, "run")
	e.sameEverywhere(t)

	e.both(t, "backfill", "--company", "AMZN")
	e.sameEverywhere(t)

	// Nothing new: nothing is committed.
	_, _, stderr = run(t, append([]string{"run", "--inbox", "s3://inbox/q1"}, e.args...)...)
	if !strings.HasPrefix(lastLine(stderr), "nothing new: 6 workbooks unchanged") {
		t.Fatalf("rerun:\n%s", stderr)
	}
	if hits := e.s3.Contains(t, "lake", []byte(fakes3.SecretKey)); len(hits) > 0 {
		t.Fatalf("the secret is in %v", hits)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// The object storage flags' mistakes are usage errors that say what to do.
func TestObjectStorageUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--out", "s3://lake/mm"}, "marginmix: --out s3://lake/mm needs --catalog (sqlite:///path/catalog.db, postgres://user@host/db or a REST catalog URL): object storage has no atomic rename, and the catalog's snapshots are what make a publication atomic there\n"},
		{[]string{"run", "--out", filepath.Join(dir, "out"), "--catalog", "sqlite:///x.db"}, "marginmix: --catalog goes with an object storage --out (s3://bucket/prefix); " + filepath.Join(dir, "out") + " is a local folder\n"},
		{[]string{"query", "--out", "s3://lake/mm", "SELECT 1"}, "marginmix: --out s3://lake/mm needs --catalog"},
		{[]string{"query", "--out", "s3://lake/mm", "--catalog", "postgres://u:hunter2@db/x", "SELECT 1"}, "marginmix: catalog postgres://REDACTED@db/x: put the password in PGPASSWORD or ~/.pgpass, not in the URL, which would carry it into logs and process listings\n"},
		{[]string{"query", "--out", "s3://lake/mm", "--catalog", "mysql://u:hunter2@db/x", "SELECT 1"}, `marginmix: catalog "mysql://REDACTED@db/x": want sqlite:///path/catalog.db, postgres://user@host/db or http(s)://host/ (a REST catalog); marginmix links no other catalog driver` + "\n"},
		{[]string{"query", "--out", "s3://", "--catalog", "sqlite:///x.db", "SELECT 1"}, `marginmix: object storage location "s3://": want s3://bucket/prefix` + "\n"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != exitUsage || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("%v: exit %d\n%s\nwant exit 2 and\n%s", c.args, code, stderr, c.want)
		}
	}
}

// report names the object storage location, not the local copy it reads.
func TestReportNamesObjectStorage(t *testing.T) {
	e := newLakeEnv(t)
	code, _, stderr := run(t, append([]string{"run", "--inbox", "s3://inbox/q1"}, e.args...)...)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := run(t, append([]string{"report"}, e.args...)...)
	if code != exitOK || !strings.Contains(stdout, " in s3://lake/mm)\n") {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
