package extract

import "testing"

func TestColumnName(t *testing.T) {
	for _, tc := range []struct {
		col  int
		want string
	}{{1, "A"}, {26, "Z"}, {27, "AA"}, {52, "AZ"}, {53, "BA"}, {702, "ZZ"}, {703, "AAA"}, {16384, "XFD"}, {0, ""}} {
		if got := ColumnName(tc.col); got != tc.want {
			t.Errorf("ColumnName(%d) = %q, want %q", tc.col, got, tc.want)
		}
	}
}

func TestCellName(t *testing.T) {
	for _, tc := range []struct {
		col, row int
		want     string
	}{{1, 1, "A1"}, {28, 7, "AB7"}, {16384, 1048576, "XFD1048576"}, {0, 5, "5"}} {
		if got := CellName(tc.col, tc.row); got != tc.want {
			t.Errorf("CellName(%d, %d) = %q, want %q", tc.col, tc.row, got, tc.want)
		}
		if got := string(AppendCellName([]byte("S!"), tc.col, tc.row)); got != "S!"+tc.want {
			t.Errorf("AppendCellName(S!, %d, %d) = %q, want %q", tc.col, tc.row, got, "S!"+tc.want)
		}
	}
}

func TestParseCellName(t *testing.T) {
	for _, tc := range []struct {
		ref      string
		col, row int
		wantErr  string
	}{
		{ref: "A1", col: 1, row: 1},
		{ref: "F12", col: 6, row: 12},
		{ref: "$AB$7", col: 28, row: 7},
		{ref: "xfd1048576", col: 16384, row: 1048576},
		{ref: "XFE1", wantErr: `cell reference "XFE1": column out of range`},
		{ref: "A1048577", wantErr: `cell reference "A1048577": row out of range`},
		{ref: "A0", wantErr: `cell reference "A0": row out of range`},
		{ref: "12", wantErr: `cell reference "12": no column letters`},
		{ref: "AB", wantErr: `cell reference "AB": no row number`},
		{ref: "A1B", wantErr: `cell reference "A1B": bad row number`},
		{ref: "", wantErr: `cell reference "": no column letters`},
	} {
		col, row, err := ParseCellName(tc.ref)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseCellName(%q) error = %v, want %q", tc.ref, err, tc.wantErr)
			}
			continue
		}
		if err != nil || col != tc.col || row != tc.row {
			t.Errorf("ParseCellName(%q) = %d, %d, %v; want %d, %d", tc.ref, col, row, err, tc.col, tc.row)
		}
	}
}

func FuzzCellName(f *testing.F) {
	for _, s := range []string{"A1", "$B$2", "XFD1048576", "ZZ0", "a9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		col, row, err := ParseCellName(ref)
		if err != nil {
			return
		}
		if col < 1 || col > MaxCols || row < 1 || row > MaxRows {
			t.Fatalf("ParseCellName(%q) = %d, %d out of range", ref, col, row)
		}
		c2, r2, err := ParseCellName(CellName(col, row))
		if err != nil || c2 != col || r2 != row {
			t.Fatalf("round trip of %q: %d,%d -> %q -> %d,%d, %v", ref, col, row, CellName(col, row), c2, r2, err)
		}
	})
}
