//go:build duckdb_arrow

package pipeline

import (
	"context"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/marginmix/marginmix/load"
)

// BuildFacts works company range by company range to bound DuckDB's memory.
// The ranges must not show in what is published: a first run, a rerun
// that restates a cell and a backfill give byte-identical files whether
// every company is a range of its own or all of them share one.
func TestCompanyRangesDoNotShow(t *testing.T) {
	publish := func(chunkRows int64) map[string]string {
		saved := load.ChunkRows
		load.ChunkRows = chunkRows
		defer func() { load.ChunkRows = saved }()
		inbox, out := inboxCopy(t)
		ctx := context.Background()
		if _, err := Run(ctx, cfgFor(inbox, out), nil); err != nil {
			t.Fatal(err)
		}
		setCell(t, filepath.Join(inbox, "amzn_1q26_segments.xlsx"), "Segment Information", "J10", 38000)
		if _, err := Run(ctx, cfgFor(inbox, out), nil); err != nil {
			t.Fatal(err)
		}
		setCell(t, filepath.Join(inbox, "msft_fy26q3_segments_restated.xlsx"), "Segment Results", "J16", 13900)
		if _, err := Backfill(ctx, cfgFor(inbox, out), load.Scope{Companies: []string{"MSFT"}, From: "2025Q1"}, false, nil); err != nil {
			t.Fatal(err)
		}
		return fileBytes(t, out)
	}
	one, each := publish(1<<40), publish(1)
	if len(one) != 5*2+8 { // facts and facts_vintages of five companies, eight analyses
		t.Fatalf("%d files published: %v", len(one), keys(one))
	}
	var differ []string
	for p := range one {
		if one[p] != each[p] {
			differ = append(differ, p)
		}
	}
	sort.Strings(differ)
	if len(differ) > 0 || len(one) != len(each) {
		t.Fatalf("%d and %d files; these differ: %v", len(one), len(each), differ)
	}
	if !reflect.DeepEqual(keys(one), keys(each)) {
		t.Fatal("different file names")
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
