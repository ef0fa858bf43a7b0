//go:build duckdb_arrow

package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/marginmix/marginmix/load"
)

// dateColumns are the columns that hold calendar dates.
var dateColumns = map[string]bool{"period_end": true, "as_of": true, "expected_as_of": true}

// arrowTypes are the only Arrow types a published column may read as, so
// that DuckDB, pandas, Polars and Spark all read every file the same way:
// no timestamps at all (dates are DATE), strings as UTF-8 strings.
var arrowTypes = map[arrow.Type]bool{
	arrow.STRING: true, arrow.DATE32: true, arrow.INT32: true, arrow.INT64: true,
	arrow.FLOAT64: true, arrow.BOOL: true,
}

// TestParquetTypesEveryToolReads reads every published file of a run on the
// samples with arrow-go's Parquet reader (not DuckDB's) and checks the types
// of every column, the Parquet logical types behind them, and the hive
// partition folders.
func TestParquetTypesEveryToolReads(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	runSamples(t, out)

	var files []string
	err := filepath.WalkDir(out, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), "_") && p != out {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(out, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	// Every file a reader finds is in the manifest, and every one is Parquet.
	var listed []string
	for _, o := range outputsOf(t, out) {
		listed = append(listed, o.Path)
	}
	if !reflect.DeepEqual(files, listed) {
		t.Errorf("files outside _ folders %v\nmanifest outputs %v", files, listed)
	}

	seenDate := map[string]bool{}
	for _, rel := range files {
		if !strings.HasSuffix(rel, ".parquet") {
			t.Errorf("%s: not a .parquet file", rel)
			continue
		}
		path := filepath.Join(out, filepath.FromSlash(rel))
		tbl := readParquet(t, path)
		for _, f := range tbl.Schema().Fields() {
			col := rel + ":" + f.Name
			if !arrowTypes[f.Type.ID()] {
				t.Errorf("%s: type %s; want string, date32, int32, int64, double or bool", col, f.Type)
			}
			if dateColumns[f.Name] {
				seenDate[f.Name] = true
				if f.Type.ID() != arrow.DATE32 {
					t.Errorf("%s: type %s, want date32 (DATE)", col, f.Type)
				}
			}
		}
		checkLogicalTypes(t, rel, path)
	}
	for c := range dateColumns {
		if !seenDate[c] {
			t.Errorf("no published file has %s; the date check checked nothing", c)
		}
	}

	checkFactLayout(t, out, files)
}

// checkFactLayout checks the fact datasets' layout (load/layout.go): only
// files named part-<first company>[~N].parquet, each with a company
// column, sorted by company, its first company the one it is named after,
// and the files in name order holding the companies in order.
func checkFactLayout(t *testing.T, out string, files []string) {
	t.Helper()
	name := regexp.MustCompile(`^(facts|facts_vintages)/part-([A-Z0-9][A-Z0-9._-]*)(~[0-9]{6})?\.parquet$`)
	companies := map[string][]string{}
	for _, rel := range files {
		if !strings.Contains(rel, "/") {
			continue
		}
		m := name.FindStringSubmatch(rel)
		if m == nil {
			t.Errorf("%s: not <dataset>/part-<TICKER>.parquet", rel)
			continue
		}
		rs := rows(t, readParquet(t, filepath.Join(out, rel)))
		if len(rs) == 0 || rs[0]["company"] != m[2] {
			t.Errorf("%s: %d rows, the first not of %s", rel, len(rs), m[2])
			continue
		}
		for i, r := range rs {
			co := r["company"].(string)
			if i > 0 && co < rs[i-1]["company"].(string) {
				t.Errorf("%s: row %d (%s) is out of company order", rel, i, co)
			}
			if n := len(companies[m[1]]); n == 0 || companies[m[1]][n-1] != co {
				companies[m[1]] = append(companies[m[1]], co)
			}
		}
	}
	want := []string{"AMZN", "CRWV", "GOOGL", "MSFT", "ORCL"}
	for _, ds := range load.FactDatasets {
		if !reflect.DeepEqual(companies[ds], want) {
			t.Errorf("%s companies %v, want %v, each in one file", ds, companies[ds], want)
		}
		entries, err := os.ReadDir(filepath.Join(out, ds))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				t.Errorf("%s/%s: no folder belongs here", ds, e.Name())
			}
		}
	}
}

// checkLogicalTypes checks the Parquet schema itself: dates are INT32 with
// the DATE logical type, byte arrays are annotated as UTF-8 strings, and no
// column is a timestamp (no TIMESTAMP logical type, no INT96).
func checkLogicalTypes(t *testing.T, rel, path string) {
	t.Helper()
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	defer r.Close()
	sc := r.MetaData().Schema
	for i := 0; i < sc.NumColumns(); i++ {
		c := sc.Column(i)
		col := rel + ":" + c.Path()
		lt := c.LogicalType()
		switch {
		case c.PhysicalType() == parquet.Types.Int96:
			t.Errorf("%s: INT96 (a legacy nanosecond timestamp)", col)
		case isTimestamp(lt):
			t.Errorf("%s: timestamp logical type %s", col, lt)
		case dateColumns[c.Name()] && !lt.Equals(schema.DateLogicalType{}):
			t.Errorf("%s: logical type %s, want DATE", col, lt)
		case c.PhysicalType() == parquet.Types.ByteArray && !lt.Equals(schema.StringLogicalType{}):
			t.Errorf("%s: byte array with logical type %s, want String (UTF-8)", col, lt)
		}
	}
}

func isTimestamp(lt schema.LogicalType) bool {
	_, ok := lt.(*schema.TimestampLogicalType)
	return ok
}
