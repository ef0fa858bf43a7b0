// Package sql holds the analyses as .sql files, embedded in the binary; each
// file is one published dataset named after it. Analysts can read them as the
// definition of every figure. The folder facts/ holds the statements that
// build the fact datasets (which value is the latest, which is preferred).
// Import it under another name (queries) where database/sql is also imported.
package sql

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed *.sql
var files embed.FS

//go:embed facts/*.sql
var factFiles embed.FS

//go:embed across/*.sql
var acrossFiles embed.FS

// FS is the folder of built-in analyses.
func FS() fs.FS { return files }

// FactsFS is the folder of the statements that build the fact datasets,
// one file each, named by file name without .sql.
func FactsFS() fs.FS {
	sub, err := fs.Sub(factFiles, "facts")
	if err != nil {
		panic(err) // facts/ is embedded above: it is there
	}
	return sub
}

// Names lists the built-in analyses in a fixed order.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			out = append(out, strings.TrimSuffix(e.Name(), ".sql"))
		}
	}
	sort.Strings(out)
	return out
}

// Query returns the SQL of a named analysis.
func Query(name string) (string, error) {
	b, err := fs.ReadFile(files, path.Clean(name)+".sql")
	if err != nil {
		return "", fmt.Errorf("analysis %q: %w", name, err)
	}
	return string(b), nil
}

// withinCompany are the analyses every row of which comes from one
// company's facts, so that they can run company range by company range
// (load.Analysis.ByCompany).
var withinCompany = map[string]bool{
	"ai_mix": true, "data_quality": true, "depreciation_adjusted": true, "margin_bridge": true,
	"revenue_per_mw": true, "roic": true, "segment_margins": true,
}

// ByCompany reports whether the named built-in analysis can run company
// range by company range (load.Analysis.ByCompany), and the statement that
// then runs across the companies (load.Analysis.Across): "" for one whose
// every row comes from one company's facts (withinCompany); for one that
// compares companies only in a few columns (peer_trends ranks the cloud
// peers against each other), across/<name>.sql, which recomputes those
// columns over the table gathered from the ranges.
func ByCompany(name string) (ok bool, across string) {
	if b, err := fs.ReadFile(acrossFiles, "across/"+path.Clean(name)+".sql"); err == nil {
		return true, string(b)
	}
	return withinCompany[name], ""
}

// Added is a column added to a built-in analysis after its first release,
// with what a publication written before holds in its place.
type Added struct {
	Column string
	SQL    string // the value, over the dataset's own columns
}

// added lists, per analysis, its columns added since, so that readers of
// an older publication (query, report) see every column the docs list.
var added = map[string][]Added{
	"data_quality": {
		{"occurrences", "CAST(1 AS INTEGER)"},
		{"first_quarter", "calendar_quarter"},
	},
	"segment_margins": {
		{"breakdown", "CAST(NULL AS VARCHAR)"},
		{"margin_note", "CAST(NULL AS VARCHAR)"},
	},
}

// AddedColumns are the columns added to the named analysis since its first
// release, in the order they were added.
func AddedColumns(name string) []Added { return added[name] }
