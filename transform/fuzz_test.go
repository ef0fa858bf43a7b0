package transform

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/marginmix/marginmix/extract"
)

// headerSeeds reads testdata/headers.txt: one row per line, cells split by |.
func headerSeeds(f *testing.F) []string {
	b, err := os.Open("testdata/headers.txt")
	if err != nil {
		f.Fatal(err)
	}
	defer b.Close()
	var out []string
	sc := bufio.NewScanner(b)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func rowOf(num int, line string) extract.Row {
	r := extract.Row{Num: num}
	for i, v := range strings.Split(line, "|") {
		if v != "" {
			r.Cells = append(r.Cells, extract.Cell{Col: i + 1, Raw: v})
		}
	}
	return r
}

// FuzzHeader feeds a context row, a candidate header row and a data row to
// the sheet reader: it must not panic, a recognised header maps each column
// once to a resolved period, and only quarter columns yield facts.
func FuzzHeader(f *testing.F) {
	seeds := headerSeeds(f)
	for i, s := range seeds {
		f.Add(seeds[(i+len(seeds)-1)%len(seeds)], s, "Revenue|100|(200)|3,000|n/a|12%")
	}
	spec := &Spec{Company: "FUZZ", Files: []string{"*"}, FiscalYearEnd: "June"}
	if err := spec.Validate(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, above, header, data string) {
		if len(above)+len(header)+len(data) > 4096 {
			return
		}
		rd := newReader(book{name: "fuzz.xlsx", formulas: noFormulas}, spec, Options{OnRowError: func(error) error { return nil }}, time.Time{}, "")
		res := rd.res
		st := newSheetReader(rd, "S")
		for i, line := range []string{above, header, data} {
			if err := st.row(rowOf(i+1, line)); err != nil {
				t.Fatalf("row %d: %v", i+1, err)
			}
		}
		for col, cp := range st.wide.cols {
			if col < st.wide.firstCol {
				t.Fatalf("column %d left of the first period column %d", col, st.wide.firstCol)
			}
			if cp.ok && cp.p.Kind != KindQuarter {
				t.Fatalf("column %d: %v marked as quarter", col, cp.p.Kind)
			}
			if cp.p.FiscalQuarter < 1 || cp.p.FiscalQuarter > 4 {
				t.Fatalf("column %d: %+v", col, cp.p)
			}
		}
		for _, fact := range res.Facts {
			if fact.CalendarQuarter != (Period{End: fact.PeriodEnd}).CalendarQuarter() || fact.SourceScale == 0 {
				t.Fatalf("fact %+v", fact)
			}
		}
	})
}
