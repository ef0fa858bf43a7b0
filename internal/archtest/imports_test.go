package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/marginmix/marginmix/"

// allowed lists, per package, the project packages and the big dependencies
// its non-test files may import (docs/architecture.md, "Rules of the
// house"). A package missing here fails the test: say where it belongs.
var allowed = map[string][]string{
	"fact":                 {"arrow"},
	"extract":              {"excelize"},
	"transform":            {"extract", "fact", "internal/suggest"},
	"sql":                  {},
	"load":                 {"fact", "sql", "arrow", "duckdb"},
	"load/lake":            {"arrow", "iceberg", "aws", "sqlite", "postgres"},
	"pipeline":             {"extract", "transform", "fact", "load", "sql", "fixtures", "arrow"},
	"report":               {"gonum"},
	"schedule":             {"cron", "prometheus"},
	"cmd/marginmix":        {"pipeline", "load", "load/lake", "report", "schedule", "cobra", "internal/suggest"},
	"fixtures":             {"excelize"},
	"fixtures/gen":         {"fixtures"},
	"fixtures/benchgen":    {"fixtures"},
	"bench":                {"load", "sql", "excelize"},
	"bench/floor":          {"bench", "excelize"},
	"bench/analyses":       {"bench", "pipeline", "load", "sql", "fact"},
	"internal/archtest":    {},
	"internal/corpus":      {},
	"internal/fakes3":      {"gofakes3"},
	"internal/pgtest":      {"postgres"},
	"internal/metricstest": {"prometheus"},
	"internal/suggest":     {},
}

// big names the third-party modules whose use is confined.
var big = map[string]string{
	"github.com/xuri/excelize/":    "excelize",
	"github.com/apache/arrow-go/":  "arrow",
	"github.com/duckdb/duckdb-go/": "duckdb",
	"github.com/robfig/cron/":      "cron",
	"github.com/prometheus/":       "prometheus",
	"gonum.org/v1/plot":            "gonum",
	"github.com/spf13/cobra":       "cobra",
	"github.com/apache/iceberg-go": "iceberg",
	"github.com/aws/":              "aws",
	"modernc.org/sqlite":           "sqlite",
	"github.com/jackc/pgx/":        "postgres",
	"github.com/johannesboyne/":    "gofakes3",
}

func TestImportsPointDownstream(t *testing.T) {
	root := filepath.Join("..", "..")
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		dir, _ := filepath.Rel(root, filepath.Dir(p))
		dir = filepath.ToSlash(dir)
		seen[dir] = true
		ok, known := allowed[dir]
		if !known {
			t.Errorf("%s: package %s is not in the import rules", p, dir)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if name := kind(path); name != "" && !contains(ok, name) {
				t.Errorf("%s imports %s: %s may import only %v", p, path, dir, ok)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for dir := range allowed {
		if !seen[dir] {
			missing = append(missing, dir)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the rules name packages that do not exist: %v", missing)
	}
}

// kind is what an import counts as: a project package (by its folder), a
// confined dependency, or "" for the standard library and the rest.
func kind(path string) string {
	if strings.HasPrefix(path, module) {
		return strings.TrimPrefix(path, module)
	}
	for prefix, name := range big {
		if strings.HasPrefix(path, prefix) {
			return name
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
