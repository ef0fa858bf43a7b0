package transform

import "github.com/marginmix/marginmix/extract"

// fakeFormulas is a formulaReader whose answers a test chooses.
type fakeFormulas struct {
	FormulaFunc func(sheet string, col, row int) (string, error)
}

func (f fakeFormulas) Formula(sheet string, col, row int) (string, error) {
	return f.FormulaFunc(sheet, col, row)
}

// noFormulas is a workbook whose empty cells hold no formulas.
var noFormulas = fakeFormulas{FormulaFunc: func(string, int, int) (string, error) { return "", nil }}

// feedSheet reads rows as the sheet name of rd's workbook.
func feedSheet(rd *reader, name string, in []extract.Row) error {
	return rd.readSheet(name, func(fn func(extract.Row) error) error {
		for _, r := range in {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}
