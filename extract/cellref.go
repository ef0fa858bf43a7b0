package extract

import (
	"fmt"
	"strconv"
)

// MaxCols and MaxRows are the Excel sheet limits.
const (
	MaxCols = 16384
	MaxRows = 1048576
)

// ColumnName turns a 1-based column number into its letters: 1 -> A, 28 -> AB.
func ColumnName(col int) string {
	if col < 1 {
		return ""
	}
	var buf [4]byte
	i := len(buf)
	for col > 0 {
		col--
		i--
		buf[i] = byte('A' + col%26)
		col /= 26
	}
	return string(buf[i:])
}

// CellName turns 1-based coordinates into an A1-style reference.
func CellName(col, row int) string {
	var buf [24]byte
	return string(AppendCellName(buf[:0], col, row))
}

// AppendCellName appends CellName(col, row) to dst.
func AppendCellName(dst []byte, col, row int) []byte {
	var letters [4]byte
	i := len(letters)
	for ; col > 0; col /= 26 {
		col--
		i--
		letters[i] = byte('A' + col%26)
	}
	return strconv.AppendInt(append(dst, letters[i:]...), int64(row), 10)
}

// ParseCellName turns an A1-style reference (optionally with $ anchors) into
// 1-based column and row numbers within the Excel sheet limits.
func ParseCellName(ref string) (col, row int, err error) {
	i := 0
	if i < len(ref) && ref[i] == '$' {
		i++
	}
	col, n, ok := colLetters(ref[i:])
	if !ok {
		return 0, 0, fmt.Errorf("cell reference %q: column out of range", ref)
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("cell reference %q: no column letters", ref)
	}
	i += n
	if i < len(ref) && ref[i] == '$' {
		i++
	}
	if i == len(ref) {
		return 0, 0, fmt.Errorf("cell reference %q: no row number", ref)
	}
	for ; i < len(ref); i++ {
		c := ref[i]
		if c < '0' || c > '9' {
			return 0, 0, fmt.Errorf("cell reference %q: bad row number", ref)
		}
		row = row*10 + int(c-'0')
		if row > MaxRows {
			return 0, 0, fmt.Errorf("cell reference %q: row out of range", ref)
		}
	}
	if row == 0 {
		return 0, 0, fmt.Errorf("cell reference %q: row out of range", ref)
	}
	return col, row, nil
}

// colLetters reads the column letters at the start of a reference (either
// case): the 1-based column and how many letters; ok is false past MaxCols.
func colLetters[T string | []byte](ref T) (col, n int, ok bool) {
	for ; n < len(ref); n++ {
		c := ref[n]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		col = col*26 + int(c-'A'+1)
		if col > MaxCols {
			return 0, n, false
		}
	}
	return col, n, true
}
