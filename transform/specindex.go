package transform

import (
	"path"
	"slices"
	"strings"
)

// SpecIndex finds the specs whose files globs match a workbook without
// trying every spec: thousands of companies have thousands of specs, and
// trying each for each workbook was quadratic (30,000 of each took minutes).
// A glob can match only names that start with its literal prefix (what
// comes before its first *, ?, [ or \), so globs are filed by that prefix
// and only those whose prefix starts the name are tried, with the same
// rule as Spec.Matches.
type SpecIndex struct {
	specs []*Spec
	byLit map[string][]int // literal prefix, cut at litKey bytes -> spec indices
}

// litKey bounds the prefix length a glob is filed under.
const litKey = 16

// NewSpecIndex files the specs' globs.
func NewSpecIndex(specs []*Spec) *SpecIndex {
	x := &SpecIndex{specs: specs, byLit: map[string][]int{}}
	for i, s := range specs {
		for _, g := range s.Files {
			lit := g
			if j := strings.IndexAny(g, `*?[\`); j >= 0 {
				lit = g[:j]
			}
			if len(lit) > litKey {
				lit = lit[:litKey]
			}
			if ids := x.byLit[lit]; len(ids) == 0 || ids[len(ids)-1] != i {
				x.byLit[lit] = append(ids, i)
			}
		}
	}
	return x
}

// Match returns the specs that match a workbook's path relative to the
// inbox, in spec order, as Spec.Matches says.
func (x *SpecIndex) Match(rel string) []*Spec {
	seen := map[int]bool{}
	var ids []int
	for _, name := range []string{rel, path.Base(rel)} {
		for k := 0; k <= min(litKey, len(name)); k++ {
			for _, i := range x.byLit[name[:k]] {
				if !seen[i] {
					seen[i] = true
					ids = append(ids, i)
				}
			}
		}
	}
	var out []*Spec
	slices.Sort(ids)
	for _, i := range ids {
		if x.specs[i].Matches(rel) {
			out = append(out, x.specs[i])
		}
	}
	return out
}

// First is the first spec, in spec order, that matches rel; nil if none.
func (x *SpecIndex) First(rel string) *Spec {
	if m := x.Match(rel); len(m) > 0 {
		return m[0]
	}
	return nil
}
