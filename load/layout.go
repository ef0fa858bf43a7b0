//go:build duckdb_arrow

package load

import (
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
)

// The fact datasets' layout (docs/architecture.md). A fact dataset is a
// folder of a few files, each a range of companies in name order with its
// rows sorted by company, segment, metric and quarter, so that a reader
// skips the row groups of other companies by their statistics:
//
//	facts/part-AMZN.parquet          AMZN up to the next file's first company
//	facts/part-MSFT~000001.parquet   the second file of MSFT, split by segment
//
// A file is named after its first company ('~' cannot be in a ticker), so
// that a backfill of one company rewrites the file holding it and leaves
// the other files' names and bytes alone. The number of files grows with the
// facts, not with the companies.
//
// Publications before issue 15 had a folder per company
// (facts/company=AMZN/part-0.parquet): a run reads them and publishes the
// layout above, which is how an output folder migrates.

// factFile is the name of the file of range r in a fact dataset folder.
func factFile(r companyRange) string {
	if r.part >= 0 {
		return fmt.Sprintf("part-%s~%06d.parquet", r.lo, r.part)
	}
	return "part-" + r.lo + ".parquet"
}

// factSource is a read_parquet over the published fact dataset in dir, of
// either layout, with company as text (a ticker such as 0700 is no
// number); "" when dir holds no Parquet file.
func factSource(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	if files, _ := filepath.Glob(filepath.Join(globEscape(dir), "*.parquet")); len(files) > 0 {
		glob, err := pathLiteral(dir, "*.parquet")
		return "read_parquet(" + glob + ")", err
	}
	if files, _ := filepath.Glob(filepath.Join(globEscape(dir), "company=*", "*.parquet")); len(files) > 0 {
		glob, err := pathLiteral(dir, "company=*", "*.parquet")
		return "read_parquet(" + glob + ", hive_partitioning = true, hive_types = {'company': VARCHAR})", err
	}
	return "", nil
}

// OldFactLayout reports whether a publication's outputs are in the layout
// of a folder per company, which the next run replaces.
func OldFactLayout(outputs []Output) bool {
	for _, o := range outputs {
		for _, ds := range FactDatasets {
			if strings.HasPrefix(o.Path, ds+"/company=") {
				return true
			}
		}
	}
	return false
}

// rangeStride is how many companies a file holds on average when they are
// small: a power of two, so that it changes only when the companies'
// average size halves or doubles. Files then hold about step/2 facts.
func rangeStride(companies int, facts, step int64) uint32 {
	if companies == 0 || facts == 0 {
		return 1
	}
	per := step / 2 / max(1, facts/int64(companies))
	s := uint32(1)
	for int64(s)*2 <= per && s < 1<<30 {
		s *= 2
	}
	return s
}

// startsRange reports whether company c begins a file by its name alone
// (about one company in stride): cuts that depend on the name, not on the
// companies before it, stay where they are when a company grows or
// shrinks, so that only the files near it change.
func startsRange(c string, stride uint32) bool {
	h := fnv.New32a()
	h.Write([]byte(c))
	return h.Sum32()%stride == 0
}
