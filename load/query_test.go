//go:build duckdb_arrow

package load

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// generation writes the Parquet files of a small publication whose every
// row carries g: two top-level datasets and a fact folder partitioned by
// company, three rows per company.
func generation(t *testing.T, dir string, g int) {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		fmt.Sprintf(`COPY (SELECT %d AS g, 'a' AS name) TO %s (FORMAT parquet)`, g, Literal(filepath.Join(dir, "alpha.parquet"))),
		fmt.Sprintf(`COPY (SELECT %d AS g, DATE '2026-03-31' AS period_end) TO %s (FORMAT parquet)`, g, Literal(filepath.Join(dir, "beta.parquet"))),
		fmt.Sprintf(`COPY (SELECT c AS company, %d AS g, i AS n FROM (VALUES ('AMZN'), ('MSFT'), ('ORCL')) AS t(c), range(3) AS r(i))
		             TO %s (FORMAT parquet, PARTITION_BY (company), FILENAME_PATTERN 'part-{i}')`, g, Literal(filepath.Join(dir, "facts"))),
	}
	for _, s := range stmts {
		if err := d.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// Something a reader must skip.
	if err := os.MkdirAll(filepath.Join(dir, "_state"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_state", "junk.parquet"), []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	outs, err := Outputs(ctx, d, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteManifest(filepath.Join(dir, ManifestName), &Manifest{RunID: fmt.Sprint("gen-", g), Outputs: outs}); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies a generation's files into a staging folder.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// stage builds the next publication of out from generation folder src,
// without committing it.
func stage(t *testing.T, out, src, id string) *Publication {
	t.Helper()
	p, err := NewPublication(out, id)
	if err != nil {
		t.Fatal(err)
	}
	copyTree(t, src, p.Dir)
	return p
}

// consistency reads every dataset's g (and the manifest's run id) in one
// query, with the row count of the partitioned facts.
const consistency = `SELECT (SELECT min(g) FROM alpha) AS a_min, (SELECT max(g) FROM alpha) AS a_max,
	(SELECT min(g) FROM beta) AS b_min, (SELECT max(g) FROM beta) AS b_max,
	(SELECT min(g) FROM facts) AS f_min, (SELECT max(g) FROM facts) AS f_max,
	(SELECT count(*) FROM facts) AS f_rows, (SELECT string_agg(DISTINCT company, ',' ORDER BY company) FROM facts) AS companies`

// gens checks a consistency row and returns its generation.
func gens(t *testing.T, tb *Table) int64 {
	t.Helper()
	if len(tb.Rows) != 1 {
		t.Fatalf("rows: %v", tb.Rows)
	}
	r := tb.Rows[0]
	g := r[0].(int32)
	for i := 1; i < 6; i++ {
		if r[i] != g {
			t.Fatalf("one query saw two publications: %v %v", tb.Columns, r)
		}
	}
	if r[6] != int64(9) || r[7] != "AMZN,MSFT,ORCL" {
		t.Fatalf("facts incomplete: %v %v", tb.Columns, r)
	}
	return int64(g)
}

func TestQueryViewsAndTypes(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "gen1")
	generation(t, src, 1)
	out := filepath.Join(root, "out")
	if err := stage(t, out, src, "1").Commit(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err := Read(ctx, out, ReaderOptions{}, func(r *Reader) error {
		if !reflect.DeepEqual(r.Views, []string{"alpha", "beta", "facts"}) {
			t.Errorf("views = %v", r.Views)
		}
		if !strings.HasPrefix(r.Root, "/proc/self/fd/") {
			t.Errorf("root = %s, want a descriptor path", r.Root)
		}
		if r.Manifest.RunID != "gen-1" {
			t.Errorf("run id %q", r.Manifest.RunID)
		}
		tb, err := r.Query(ctx, consistency)
		if err != nil {
			return err
		}
		if g := gens(t, tb); g != 1 {
			t.Errorf("generation %d", g)
		}
		tb, err = r.Query(ctx, "SELECT g, period_end, NULL::DOUBLE AS nothing, 1.50::DECIMAL(5,2) AS d FROM beta")
		if err != nil {
			return err
		}
		want := &Table{
			Columns: []string{"g", "period_end", "nothing", "d"},
			Types:   []string{"INTEGER", "DATE", "DOUBLE", "DECIMAL(5,2)"},
			Rows:    [][]any{{int32(1), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), nil, "1.5"}},
		}
		got := *tb
		got.Rows = [][]any{{tb.Rows[0][0], tb.Rows[0][1], tb.Rows[0][2], fmt.Sprint(tb.Rows[0][3])}}
		if !reflect.DeepEqual(&got, want) {
			t.Errorf("got %#v\nwant %#v", &got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNoPublication(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	for _, dir := range []string{filepath.Join(root, "missing"), root} { // no folder; a folder without a manifest
		_, err := QueryOutput(ctx, dir, "SELECT 1", ReaderOptions{})
		var np *NoPublicationError
		if !errors.As(err, &np) || err.Error() != "no publication in "+dir+": run marginmix run first" {
			t.Errorf("%s: %v", dir, err)
		}
	}
}

// A Reader keeps reading the publication it opened after a run swaps a new
// one in; once the old one is deleted, its queries fail and Read starts over
// on the new publication.
func TestReaderKeepsItsPublication(t *testing.T) {
	root := t.TempDir()
	g1, g2 := filepath.Join(root, "gen1"), filepath.Join(root, "gen2")
	generation(t, g1, 1)
	generation(t, g2, 2)
	out := filepath.Join(root, "out")
	if err := stage(t, out, g1, "1").Commit(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	r, err := OpenReader(ctx, out, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Swap generation 2 in, as Commit does, but keep the old folder for now.
	p := stage(t, out, g2, "2")
	if err := exchange(p.Dir, p.Out); err != nil {
		t.Fatal(err)
	}
	tb, err := r.Query(ctx, consistency)
	if err != nil {
		t.Fatal(err)
	}
	if g := gens(t, tb); g != 1 {
		t.Fatalf("after the swap the reader sees generation %d, want the one it opened (1)", g)
	}
	if !r.replaced() {
		t.Fatal("replaced() = false after the swap")
	}
	// Now delete it, as Commit does next.
	if err := os.RemoveAll(p.Dir); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Query(ctx, consistency); err == nil {
		t.Fatal("a query of a deleted publication succeeded")
	}

	// Read starts over: the first attempt publishes generation 1 again
	// (deleting the one it opened) before querying, the retry reads it whole.
	var seen []int64
	calls := 0
	err = Read(ctx, out, ReaderOptions{}, func(r *Reader) error {
		calls++
		if calls == 1 {
			if err := stage(t, out, g1, "3").Commit(); err != nil {
				t.Fatal(err)
			}
		}
		tb, err := r.Query(ctx, consistency)
		if err != nil {
			return err
		}
		seen = append(seen, gens(t, tb))
		return nil
	})
	if err != nil || calls != 2 || !reflect.DeepEqual(seen, []int64{1}) { // one retry
		t.Fatalf("Read: err %v, %d calls, saw %v; want one retry that sees generation 1", err, calls, seen)
	}
}

// Queries run while runs keep publishing: each sees one whole publication.
func TestQueryWhilePublishing(t *testing.T) {
	root := t.TempDir()
	g1, g2 := filepath.Join(root, "gen1"), filepath.Join(root, "gen2")
	generation(t, g1, 1)
	generation(t, g2, 2)
	out := filepath.Join(root, "out")
	if err := stage(t, out, g1, "0").Commit(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Runs publish further apart than a query takes (~60 ms here, several
	// times that on a loaded machine: at 150 ms apart one query started over
	// three times under a load average of 8), as real runs do, so one
	// start-over is enough; several queries overlap a swap.
	const publications = 6
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := 1; i <= publications; i++ {
			src := g1
			if i%2 == 1 {
				src = g2
			}
			if err := stage(t, out, src, fmt.Sprint(i)).Commit(); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(400 * time.Millisecond)
		}
	}()
	defer func() { <-done }() // the publisher outlives no failing check
	seen := map[int64]int{}
	queries := 0
	before := restarts.Load()
	for {
		select {
		case <-done:
		default:
			tb, err := QueryOutput(ctx, out, consistency, ReaderOptions{})
			if err != nil {
				t.Errorf("query %d: %v", queries, err)
				<-done
				break
			}
			seen[gens(t, tb)]++
			queries++
			continue
		}
		break
	}
	wg.Wait()
	t.Logf("%d queries during %d publications saw generations %v; %d started over", queries, publications, seen, restarts.Load()-before)
	if len(seen) < 2 {
		t.Errorf("the queries saw only %v; want both generations", seen)
	}
}

func TestAsOf(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	d, err := Open(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "gen")
	os.MkdirAll(dir, 0o755)
	// Two vintages of one fact, one of another, written as a run writes them.
	q := `COPY (SELECT * FROM (VALUES
	        ('MSFT', 'Intelligent Cloud', 'revenue', '2025Q3', 'reported', 30.9e9, 'USD', DATE '2026-04-29', 'old.xlsx', 'S', 'J12'),
	        ('MSFT', 'Intelligent Cloud', 'revenue', '2025Q3', 'reported', 31.15e9, 'USD', DATE '2026-06-15', 'new.xlsx', 'S', 'J12'),
	        ('MSFT', 'Total', 'revenue', '2025Q3', 'reported', 69.1e9, 'USD', DATE '2026-04-29', 'old.xlsx', 'S', 'J20'))
	        AS t(company, segment, metric, calendar_quarter, source_kind, value, unit, as_of, source_file, source_sheet, source_cell))
	      TO ` + Literal(filepath.Join(dir, "facts_vintages")) + ` (FORMAT parquet, PARTITION_BY (company))`
	if err := d.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := d.Exec(ctx, `COPY (SELECT 1 AS x) TO `+Literal(filepath.Join(dir, "segment_margins.parquet"))+` (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	outs, err := Outputs(ctx, d, dir)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	WriteManifest(filepath.Join(dir, ManifestName), &Manifest{RunID: "v", Outputs: outs})
	out := filepath.Join(root, "out")
	if err := stage(t, out, dir, "1").Commit(); err != nil {
		t.Fatal(err)
	}
	const ic = `SELECT value, strftime(as_of, '%Y-%m-%d') FROM facts WHERE segment = 'Intelligent Cloud'`
	for _, c := range []struct {
		date  string
		value any
		asOf  string
		n     int64
	}{
		{"2026-05-01", 30.9e9, "2026-04-29", 2},
		{"2026-06-15", 31.15e9, "2026-06-15", 3},
		{"2026-04-28", nil, "", 0},
	} {
		day, _ := time.Parse(time.DateOnly, c.date)
		err := Read(ctx, out, ReaderOptions{AsOf: day}, func(r *Reader) error {
			if !reflect.DeepEqual(r.Views, []string{"facts", "facts_vintages"}) {
				t.Errorf("as of %s: views %v", c.date, r.Views)
			}
			tb, err := r.Query(ctx, ic)
			if err != nil {
				return err
			}
			if c.value == nil {
				if len(tb.Rows) != 0 {
					t.Errorf("as of %s: %v, want nothing", c.date, tb.Rows)
				}
			} else if len(tb.Rows) != 1 || tb.Rows[0][0] != c.value || tb.Rows[0][1] != c.asOf {
				t.Errorf("as of %s: %v, want %v as of %s", c.date, tb.Rows, c.value, c.asOf)
			}
			tb, err = r.Query(ctx, "SELECT count(*) FROM facts_vintages")
			if err != nil {
				return err
			}
			if tb.Rows[0][0] != c.n {
				t.Errorf("as of %s: %v vintages, want %d", c.date, tb.Rows[0][0], c.n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
