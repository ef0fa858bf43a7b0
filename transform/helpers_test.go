package transform

import (
	"testing"

	"github.com/xuri/excelize/v2"
)

// writeWide saves rows (from A1) to Sheet1 of a new workbook.
func writeWide(t *testing.T, path string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// fakeFormulas is a formulaReader whose answers a test chooses.
type fakeFormulas struct {
	FormulaFunc func(sheet string, col, row int) (string, error)
}

func (f fakeFormulas) Formula(sheet string, col, row int) (string, error) {
	return f.FormulaFunc(sheet, col, row)
}

// noFormulas is a workbook whose empty cells hold no formulas.
var noFormulas = fakeFormulas{FormulaFunc: func(string, int, int) (string, error) { return "", nil }}
