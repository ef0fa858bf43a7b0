package sql_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/marginmix/marginmix/fact"
	queries "github.com/marginmix/marginmix/sql"
)

// The names the SQL and the docs compare a column with: metric = 'revenue',
// metric IN ('revenue', 'capex'), metric BETWEEN 'a' AND 'b', and the same
// for unit and source_kind; pandas' == "revenue" too.
var (
	reCompare = regexp.MustCompile(`\b(metric|unit|source_kind)\s*(?:=|==|<>|!=)\s*['"]([^'"]*)['"]`)
	reIn      = regexp.MustCompile(`(?i)\b(metric|unit|source_kind)\s+(?:NOT\s+)?IN\s*\(([^)]*)\)`)
	reBetween = regexp.MustCompile(`(?i)\b(metric)\s+BETWEEN\s+'([^']*)'\s+AND\s+'([^']*)'`)
	reQuoted  = regexp.MustCompile(`'([^']*)'`)
)

// vocabularyErrors lists the names in text that the fact vocabulary lacks.
func vocabularyErrors(text string) []string {
	var bad []string
	check := func(col, name string) {
		ok := false
		switch col {
		case "metric":
			ok = fact.IsMetric(name)
		case "unit":
			ok = fact.IsUnit(name)
		case "source_kind":
			ok = name == fact.Reported || name == fact.Estimate
		}
		if !ok {
			bad = append(bad, col+" "+name)
		}
	}
	for _, m := range reCompare.FindAllStringSubmatch(text, -1) {
		check(m[1], m[2])
	}
	for _, m := range reIn.FindAllStringSubmatch(text, -1) {
		for _, q := range reQuoted.FindAllStringSubmatch(m[2], -1) {
			check(strings.ToLower(m[1]), q[1])
		}
	}
	for _, m := range reBetween.FindAllStringSubmatch(text, -1) {
		check(m[1], m[2])
		check(m[1], m[3])
	}
	return bad
}

func TestVocabularyCheckFindsUnknownNames(t *testing.T) {
	text := `WHERE metric = 'revnue' AND unit <> 'usd' AND metric IN ('revenue', 'capx')
	AND metric BETWEEN 'operating_income' AND 'revenues' AND source_kind = 'guess'; df.metric == "ebitda"`
	want := []string{"metric revnue", "unit usd", "source_kind guess", "metric ebitda", "metric capx", "metric revenues"}
	if got := vocabularyErrors(text); !reflect.DeepEqual(got, want) {
		t.Fatalf("vocabularyErrors = %q, want %q", got, want)
	}
}

func TestSQLNamesOnlyKnownMetricsAndUnits(t *testing.T) {
	names, err := fs.Glob(queries.FS(), "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no SQL files: %v", err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(queries.FS(), n)
		if err != nil {
			t.Fatal(err)
		}
		if bad := vocabularyErrors(string(b)); len(bad) > 0 {
			t.Errorf("sql/%s names what the fact vocabulary (fact/vocab.go) lacks: %s", n, strings.Join(bad, ", "))
		}
	}
}

func TestDocsNameOnlyKnownMetricsAndUnits(t *testing.T) {
	docs, _ := filepath.Glob("../docs/*.md")
	for _, p := range append(docs, "../README.md") {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bad := vocabularyErrors(string(b)); len(bad) > 0 {
			t.Errorf("%s names what the fact vocabulary (fact/vocab.go) lacks: %s", p, strings.Join(bad, ", "))
		}
	}
}

// TestDocsListEveryFactColumn: the column table of docs/analyses.md and the
// README's list of a fact row's columns name the columns of fact.Columns,
// all of them and no others.
func TestDocsListEveryFactColumn(t *testing.T) {
	want := append([]string(nil), fact.Names()...)
	sort.Strings(want)

	b, err := os.ReadFile("../docs/analyses.md")
	if err != nil {
		t.Fatal(err)
	}
	section := between(t, string(b), "## facts and facts_vintages", "\n## ")
	var table []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.TrimSpace(cells[1]) == "column" || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		for _, n := range strings.Split(cells[1], ",") {
			table = append(table, strings.TrimSpace(n))
		}
	}
	sort.Strings(table)
	if !reflect.DeepEqual(table, want) {
		t.Errorf("docs/analyses.md's fact columns:\n got %v\nwant %v", table, want)
	}

	b, err = os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	para := between(t, string(b), "Each fact row:", "\n\n")
	para = regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(para, "")
	var readme []string
	for _, item := range regexp.MustCompile(`,|\band\b`).Split(para, -1) {
		if item = strings.TrimSpace(item); item != "" {
			readme = append(readme, strings.Fields(item)[0])
		}
	}
	sort.Strings(readme)
	if !reflect.DeepEqual(readme, want) {
		t.Errorf("README's fact columns:\n got %v\nwant %v", readme, want)
	}
}

func TestDocsListEveryMetric(t *testing.T) {
	b, err := os.ReadFile("../docs/analyses.md")
	if err != nil {
		t.Fatal(err)
	}
	line := between(t, string(b), "| metric | VARCHAR | canonical metric: ", " |")
	var got, want []string
	for _, n := range strings.Split(line, ",") {
		got = append(got, strings.TrimSpace(n))
	}
	for _, m := range fact.Metrics {
		want = append(want, m.Name)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("docs/analyses.md's metrics:\n got %v\nwant %v (fact.Metrics)", got, want)
	}
}

func between(t *testing.T, s, from, to string) string {
	t.Helper()
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		t.Fatalf("%q not found", from)
	}
	if i := strings.Index(rest, to); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
