//go:build duckdb_arrow

package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/marginmix/marginmix/fact"
	queries "github.com/marginmix/marginmix/sql"
)

func TestStatementParameters(t *testing.T) {
	fsys := fstest.MapFS{"step.sql": {Data: []byte("-- $not_a_parameter in a comment\nSELECT $b + $a + $b;\n")}}
	st, err := readStatements(fsys)
	if err != nil {
		t.Fatal(err)
	}
	s := st["step"]
	if s.sql != "-- $not_a_parameter in a comment\nSELECT $b + $a + $b" || strings.Join(s.params, ",") != "a,b" {
		t.Fatalf("statement = %q with %v", s.sql, s.params)
	}
	for _, c := range []struct {
		p    params
		want string
	}{
		{params{"a": 1}, "sql/facts/step.sql takes $a, $b, was given $a"},
		{params{"a": 1, "b": 2, "c": 3}, "sql/facts/step.sql takes $a, $b, was given $a, $b, $c"},
	} {
		if _, err := s.args(c.p); err == nil || err.Error() != c.want {
			t.Errorf("args(%v) = %v, want %q", c.p, err, c.want)
		}
	}
	db := openDB(t)
	rows, err := db.Conn().QueryContext(context.Background(), s.sql, must(s.args(params{"a": 1, "b": 10}))...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	if !rows.Next() || rows.Scan(&n) != nil || n != 21 {
		t.Fatalf("named parameters bound wrongly: got %d, want 21", n)
	}
}

func must(args []any, err error) []any {
	if err != nil {
		panic(err)
	}
	return args
}

// Every statement the build runs is in sql/facts, and every file there is
// run by the build or the reader.
func TestFactStatementsAllUsed(t *testing.T) {
	names, err := fs.Glob(queries.FactsFS(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	used := "diff setup sources counts_by_company counts_by_segment new_facts previous combine combine_first disputes latest estimated preferred facts_preferred cleanup"
	var files []string
	for _, n := range names {
		files = append(files, strings.TrimSuffix(n, ".sql"))
		if _, err := factStatement(strings.TrimSuffix(n, ".sql")); err != nil {
			t.Error(err)
		}
	}
	want := strings.Fields(used)
	sort.Strings(want)
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("sql/facts holds %v; the build uses %v", files, want)
	}
	if _, err := factStatement("nope"); err == nil || err.Error() != "sql/facts/nope.sql: no such statement" {
		t.Errorf("missing statement: %v", err)
	}
}

func TestOutOfMemory(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if err := db.Exec(ctx, "SET memory_limit = '8MB'"); err != nil {
		t.Fatal(err)
	}
	// A list aggregate cannot spill to disk.
	err := db.Exec(ctx, "CREATE TABLE big AS SELECT list(range) AS l FROM range(50000000)")
	if err == nil {
		t.Fatal("no error from a 400 MB list under an 8 MB limit")
	}
	if !OutOfMemory(fmt.Errorf("build: %w", err)) {
		t.Fatalf("OutOfMemory(%v) = false", err)
	}
	if OutOfMemory(errors.New("Out of Memory Error: said in text only")) || OutOfMemory(nil) {
		t.Error("OutOfMemory is true for an error that is not DuckDB's")
	}
}

// The statements that name the fact's key name fact.Key(), in its order:
// a column added to the key must reach them too. Every PARTITION BY of
// latest.sql and disputes.sql partitions by the key, or by the key and the
// vintage (as_of, ingest_seq), never by part of it.
func TestStatementsNameTheFactKey(t *testing.T) {
	key := strings.Join(fact.Key(), ", ")
	for _, c := range []struct{ file, prefix string }{
		{"latest", "PARTITION BY "},
		{"diff", "USING ("},
		{"diff", "ORDER BY "},
	} {
		s, err := factStatement(c.file)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(s.sql, c.prefix)
		if len(parts) < 2 {
			t.Errorf("sql/facts/%s.sql: no %s", c.file, c.prefix)
		}
		for _, rest := range parts[1:] {
			after, ok := strings.CutPrefix(rest, key)
			if !ok || (strings.HasPrefix(after, ",") && !strings.HasPrefix(after, ", as_of, ingest_seq")) {
				t.Errorf("sql/facts/%s.sql: %s is not followed by the key %s: %.80q", c.file, c.prefix, key, rest)
			}
		}
	}
}

// combine.sql joins a fact read again to its previous vintage on the
// columns of fact.Vintage(), in its order.
func TestCombineJoinsOnTheVintage(t *testing.T) {
	s, err := factStatement("combine")
	if err != nil {
		t.Fatal(err)
	}
	vintage := strings.Join(fact.Vintage(), ", ")
	if !strings.Contains(s.sql, "SELECT "+vintage+",\n") || !strings.Contains(s.sql, "USING ("+vintage+")") {
		t.Errorf("sql/facts/combine.sql does not select and join on the vintage columns %s", vintage)
	}
}

// The statements that make a step's vintages store them in the fact
// datasets' order, which the files are written in without sorting again.
func TestStepVintagesInDatasetOrder(t *testing.T) {
	want := "\nORDER BY " + fact.List(fact.Order())
	for _, name := range []string{"new_facts", "combine"} {
		s, err := factStatement(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(s.sql, want) {
			t.Errorf("sql/facts/%s.sql does not end with%s", name, want)
		}
	}
}
