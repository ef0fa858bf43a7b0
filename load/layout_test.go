//go:build duckdb_arrow

package load

import (
	"fmt"
	"reflect"
	"testing"
)

func companies(n int, facts int64) []groupCount {
	out := make([]groupCount, n)
	for i := range out {
		out[i] = groupCount{key: fmt.Sprintf("C%05d", i), n: facts}
	}
	return out
}

// checkCover fails unless ranges cover counts in order, each within
// ChunkRows facts (but a company split by segment), and returns the facts
// of each range.
func checkCover(t *testing.T, counts []groupCount, ranges []companyRange) []int64 {
	t.Helper()
	sizes := make([]int64, len(ranges))
	i := 0
	for k, r := range ranges {
		if i >= len(counts) || counts[i].key != r.lo {
			t.Fatalf("range %d starts at %s, want company %d", k, r.lo, i)
		}
		for ; i < len(counts) && counts[i].key <= r.hi; i++ {
			sizes[k] += counts[i].n
		}
		if sizes[k] > ChunkRows && !r.split {
			t.Errorf("range %s-%s holds %d facts, more than %d", r.lo, r.hi, sizes[k], ChunkRows)
		}
	}
	if i != len(counts) {
		t.Fatalf("ranges end at company %d of %d", i, len(counts))
	}
	return sizes
}

// Thousands of small companies make a few files, not one each, and a
// company that grows moves only the range that holds it.
func TestRangesStayPut(t *testing.T) {
	for _, n := range []int{300, 3000, 30000} {
		counts := companies(n, 40)
		ranges := cutRanges(counts, ChunkRows)
		checkCover(t, counts, ranges)
		total := int64(n) * 40
		if max := 3*total/ChunkRows + 2; int64(len(ranges)) > max {
			t.Errorf("%d companies of 40 facts: %d ranges, want at most %d", n, len(ranges), max)
		}
		grown := append([]groupCount(nil), counts...)
		grown[n/2].n = 400
		after := cutRanges(grown, ChunkRows)
		checkCover(t, grown, after)
		moved := 0
		for _, r := range after {
			if !containsRange(ranges, r) {
				moved++
			}
		}
		if moved > 2 {
			t.Errorf("%d companies: one company grew and %d of %d ranges moved", n, moved, len(after))
		}
	}
}

// containsRange: r's bounds are among rs's (its count of facts may differ).
func containsRange(rs []companyRange, r companyRange) bool {
	r.n = 0
	for _, x := range rs {
		if x.n = 0; reflect.DeepEqual(x, r) {
			return true
		}
	}
	return false
}

// A company larger than ChunkRows is a range of its own, to be split by
// segment, and the next company starts a new range.
func TestLargeCompanyIsARangeOfItsOwn(t *testing.T) {
	counts := companies(3, 40)
	counts[1].n = ChunkRows + 1
	got := cutRanges(counts, ChunkRows)
	want := []companyRange{
		{lo: "C00000", hi: "C00000", part: -1, n: 40},
		{lo: "C00001", hi: "C00001", part: -1, split: true, n: ChunkRows + 1},
		{lo: "C00002", hi: "C00002", part: -1, n: 40},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ranges = %+v", got)
	}
}

func TestFactFileNames(t *testing.T) {
	for r, want := range map[companyRange]string{
		{lo: "AMZN", hi: "MSFT", part: -1}:                  "part-AMZN.parquet",
		{lo: "MSFT", hi: "MSFT", segLo: "A", part: 1}:       "part-MSFT~000001.parquet",
		{lo: "BRK.B", hi: "BRK.B", part: -1}:                "part-BRK.B.parquet",
		{lo: "X-1", hi: "X-1", segLo: "Cloud", part: 12345}: "part-X-1~012345.parquet",
	} {
		if got := factFile(r); got != want {
			t.Errorf("factFile(%+v) = %q, want %q", r, got, want)
		}
	}
}

// An analysis's ranges are filled up to the step: 500 companies of 3,360
// facts in steps of 400,000 are 5 ranges of 119 companies (the last of 24),
// where the files' name-cut ranges are many more; a company over the step
// is a range of its own.
func TestAnalysisRangesAreFull(t *testing.T) {
	counts := companies(500, 3360)
	los := greedyRanges(counts, 400_000)
	want := []string{"C00000", "C00119", "C00238", "C00357", "C00476"}
	if !reflect.DeepEqual(los, want) {
		t.Errorf("ranges from %v, want %v", los, want)
	}
	if files := len(cutRanges(counts, 400_000)); files <= len(los) {
		t.Errorf("%d file ranges, %d analysis ranges: the analysis ranges should be fewer", files, len(los))
	}
	big := []groupCount{{"A", 10}, {"B", 500}, {"C", 10}, {"D", 10}}
	if los := greedyRanges(big, 100); !reflect.DeepEqual(los, []string{"A", "B", "C"}) {
		t.Errorf("with a large company: %v", los)
	}
	if los := greedyRanges(nil, 100); los != nil {
		t.Errorf("no companies: %v", los)
	}
}
