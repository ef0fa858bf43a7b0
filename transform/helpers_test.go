package transform

// fakeFormulas is a formulaReader whose answers a test chooses.
type fakeFormulas struct {
	FormulaFunc func(sheet string, col, row int) (string, error)
}

func (f fakeFormulas) Formula(sheet string, col, row int) (string, error) {
	return f.FormulaFunc(sheet, col, row)
}

// noFormulas is a workbook whose empty cells hold no formulas.
var noFormulas = fakeFormulas{FormulaFunc: func(string, int, int) (string, error) { return "", nil }}
