package extract

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel causes carried by CellError.Err. Test for them with errors.Is.
var (
	// ErrEncrypted: the file is an encrypted (password-protected) OOXML package.
	ErrEncrypted = errors.New("workbook is encrypted or password-protected")
	// ErrFormat: the file is not an .xlsx workbook (legacy .xls, .xlsb, .ods,
	// or not a spreadsheet at all).
	ErrFormat = errors.New("not an .xlsx workbook")
	// ErrCorrupt: the zip container or one of its parts is damaged.
	ErrCorrupt = errors.New("corrupt workbook")
	// ErrTooLarge: a size limit was reached (zip bomb, oversized part,
	// too many parts).
	ErrTooLarge = errors.New("size limit exceeded")
	// ErrNoCachedValue: a formula cell that is used has no value saved with
	// it (the workbook was written by a program that does not calculate).
	ErrNoCachedValue = errors.New("formula has no cached value (open and save the workbook in Excel to calculate it)")
	// ErrChanged: the file changed while it was read, twice.
	ErrChanged = errors.New("the file changed while it was read (is it still being written?)")
	// ErrNoSheet: a sheet named by the caller does not exist.
	ErrNoSheet = errors.New("no such sheet")
)

// CellError locates a problem in a workbook. Sheet, Cell, Row and Col are
// empty or zero when the problem concerns the whole file or sheet.
type CellError struct {
	File  string // path of the workbook as given to the pipeline
	Sheet string
	Cell  string // A1-style reference, e.g. "F12"
	Row   int    // 1-based; 0 when unknown
	Col   int    // 1-based; 0 when unknown
	Err   error  // wraps one of the sentinels where one applies
}

func (e *CellError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		b.WriteString(": sheet ")
		b.WriteString(fmt.Sprintf("%q", e.Sheet))
	}
	if e.Cell != "" {
		b.WriteString(" cell ")
		b.WriteString(e.Cell)
	} else if e.Row > 0 {
		fmt.Fprintf(&b, " row %d", e.Row)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *CellError) Unwrap() error { return e.Err }

// Ref returns the lineage form "Sheet!F12" used in the canonical facts.
func (e *CellError) Ref() string {
	if e.Cell == "" {
		return e.Sheet
	}
	return e.Sheet + "!" + e.Cell
}
