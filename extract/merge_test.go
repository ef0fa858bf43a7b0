package extract

import (
	"reflect"
	"testing"
)

func TestMergeScanner(t *testing.T) {
	xml := `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>` +
		`<mergeCells count="3"><mergeCell ref="B4:J4"/><x:mergeCell  ref='A7:A9' /><mergeCell ref="C3"/></mergeCells>` +
		`<mergeCellsExtra ref="A1:B2"/></worksheet>`
	want := []Merge{{Top: 4, Left: 2, Bottom: 4, Right: 10}, {Top: 7, Left: 1, Bottom: 9, Right: 1}}
	// Every split point: tags cut across writes must still be found.
	for split := 0; split <= len(xml); split++ {
		m := &mergeScanner{}
		m.Write([]byte(xml[:split]))
		m.Write([]byte(xml[split:]))
		m.flush()
		if m.err != nil || !reflect.DeepEqual(m.merges, want) {
			t.Fatalf("split at %d: merges %v, err %v; want %v", split, m.merges, m.err, want)
		}
	}
}

func TestMergeScannerBadRange(t *testing.T) {
	m := &mergeScanner{}
	m.Write([]byte(`<mergeCell ref="B4:ZZZZ4"/>`))
	m.flush()
	if m.err == nil || m.err.Error() != `bad merged range "B4:ZZZZ4"` {
		t.Fatalf("err = %v", m.err)
	}
}

func TestMergeFill(t *testing.T) {
	f := newMergeFill([]Merge{{Top: 1, Left: 2, Bottom: 1, Right: 4}, {Top: 2, Left: 1, Bottom: 3, Right: 1}}, 0)
	got1 := f.apply(1, []Cell{{Col: 2, Raw: "Three Months Ended"}, {Col: 5, Raw: "x"}})
	want1 := []Cell{{Col: 2, Raw: "Three Months Ended"}, {Col: 3, Raw: "Three Months Ended", Merged: true},
		{Col: 4, Raw: "Three Months Ended", Merged: true}, {Col: 5, Raw: "x"}}
	if !reflect.DeepEqual(got1, want1) {
		t.Fatalf("row 1 = %v, want %v", got1, want1)
	}
	if got := f.apply(2, []Cell{{Col: 1, Raw: "AWS"}}); !reflect.DeepEqual(got, []Cell{{Col: 1, Raw: "AWS"}}) {
		t.Fatalf("row 2 = %v", got)
	}
	if got := f.apply(3, nil); !reflect.DeepEqual(got, []Cell{{Col: 1, Raw: "AWS", Merged: true}}) {
		t.Fatalf("row 3 = %v", got)
	}
	if got := f.apply(4, nil); len(got) != 0 {
		t.Fatalf("row 4 = %v, want nothing", got)
	}
}

// The rightmost column of a sheet's cells, across writes that split tags;
// a cell without a reference leaves no bound.
func TestExtentScanner(t *testing.T) {
	e := &extentScanner{}
	for _, chunk := range []string{`<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="A`, `B1"><v>1</v></c></row>`, `<row r="2"><c r="C2"/><col min="1" max="99"/></row></sheetData>`} {
		e.Write([]byte(chunk))
	}
	e.flush()
	if e.bound() != 28 {
		t.Errorf("bound = %d, want 28 (AB)", e.bound())
	}
	e = &extentScanner{}
	e.Write([]byte(`<row><c t="s"><v>0</v></c></row>`))
	e.flush()
	if e.bound() != 0 {
		t.Errorf("bound without references = %d, want 0", e.bound())
	}
}

// One merge over a whole sheet fills no further than the sheet's cells
// reach, in every row: its cost is the cells used, not 16,384 a row.
func TestMergeFillBoundedByCells(t *testing.T) {
	f := newMergeFill([]Merge{{Top: 1, Left: 1, Bottom: MaxRows, Right: MaxCols}}, 3)
	want := []Cell{{Col: 1, Raw: "x"}, {Col: 2, Raw: "x", Merged: true}, {Col: 3, Raw: "x", Merged: true}}
	if got := f.apply(1, []Cell{{Col: 1, Raw: "x"}}); !reflect.DeepEqual(got, want) {
		t.Fatalf("row 1 = %v", got)
	}
	want = []Cell{{Col: 1, Raw: "x", Merged: true}, {Col: 2, Raw: "x", Merged: true}, {Col: 3, Raw: "x", Merged: true}}
	if got := f.apply(500000, nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("row 500000 = %v", got)
	}
}
