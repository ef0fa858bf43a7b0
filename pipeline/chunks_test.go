//go:build duckdb_arrow

package pipeline

import (
	"context"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/marginmix/marginmix/load"
)

// BuildFacts works company range by company range, and splits a company
// with more than a step's facts (Config.StepFacts) by segment, to bound DuckDB's memory.
// The steps must not show in what is published: through a first run, a
// rerun that restates a cell and a backfill, the analyses are
// byte-identical, and each company's facts, read in file-name order, are
// the same rows in the same order, whether all companies share one step,
// several share one, or every company is split segment by segment.
func TestCompanyRangesDoNotShow(t *testing.T) {
	type published struct {
		files map[string]string           // analyses and other files, by path
		facts map[string][]map[string]any // dataset/company -> rows in file-name order
		parts map[string]int              // dataset/company -> files
	}
	publish := func(chunkRows int64) published {
		inbox, out := inboxCopy(t)
		cfgFor := func(inbox, out string) Config {
			cfg := cfgFor(inbox, out)
			cfg.StepFacts = chunkRows
			return cfg
		}
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
		p := published{files: map[string]string{}, facts: map[string][]map[string]any{}, parts: map[string]int{}}
		for path, b := range fileBytes(t, out) {
			if !strings.HasPrefix(path, "facts") {
				p.files[path] = b
			}
		}
		p.facts = factRowsBut(t, out, "")
		for _, co := range []string{"AMZN", "CRWV", "GOOGL", "MSFT", "ORCL"} {
			for _, f := range factFilesHolding(t, out, co) {
				p.parts[path.Dir(f)+"/"+co]++
			}
		}
		return p
	}
	one := publish(1 << 40)
	if len(one.files) != 8 || len(one.facts) != 2*5 { // eight analyses; two datasets of five companies
		t.Fatalf("%d analysis files, %d company folders", len(one.files), len(one.facts))
	}
	// At 250 facts a step, CRWV (45 facts) and GOOGL (117) share one.
	for name, chunkRows := range map[string]int64{"several companies a step": 250, "one segment a step": 1} {
		other := publish(chunkRows)
		for path := range one.files {
			if one.files[path] != other.files[path] {
				t.Errorf("%s: %s differs", name, path)
			}
		}
		if len(one.files) != len(other.files) {
			t.Errorf("%s: %d files, want %d", name, len(other.files), len(one.files))
		}
		if !reflect.DeepEqual(one.facts, other.facts) {
			t.Errorf("%s: the facts differ", name)
		}
		if chunkRows == 1 && other.parts["facts/AMZN"] < 2 {
			t.Errorf("%s: AMZN's facts are in %d file(s); the company was not split", name, other.parts["facts/AMZN"])
		}
	}
	if one.parts["facts/AMZN"] != 1 {
		t.Errorf("one step: AMZN's facts are in %d files", one.parts["facts/AMZN"])
	}
}
