package extract

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// maxCellStyles bounds the cell formats classified; Excel allows 64,000. A
// cell whose style index is beyond it reads as a plain number.
const maxCellStyles = 1 << 16

// dateStyles reads a styles part and reports, for each cell format (the
// index a cell's s attribute holds), whether it shows a number as a date or
// a time. It is nil when no cell format does. Like excelize, it uses the
// cell formats' number format only: a custom <numFmt> with the id wins over
// the built-in one.
func dateStyles(stylesXML []byte) ([]bool, error) {
	dec := xmlDecoder(bytes.NewReader(stylesXML))
	custom := map[int]string{}
	var ids []int // numFmtId of each cell format, -1 when unreadable
	var path []string
tokens:
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			parent := ""
			if len(path) > 0 {
				parent = path[len(path)-1]
			}
			switch {
			case parent == "numFmts" && t.Name.Local == "numFmt" && len(path) == 2:
				var code, code16 string
				id := -1
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "numFmtId":
						if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil {
							id = n
						}
					case "formatCode":
						code = a.Value
					case "formatCode16":
						code16 = a.Value
					}
				}
				if code16 != "" {
					code = code16
				}
				if _, seen := custom[id]; !seen && id >= 0 && len(custom) < maxCellStyles {
					custom[id] = code
				}
			case parent == "cellXfs" && t.Name.Local == "xf" && len(path) == 2:
				id := 0 // an xf without numFmtId shows General
				for _, a := range t.Attr {
					if a.Name.Local == "numFmtId" {
						n, err := strconv.Atoi(strings.TrimSpace(a.Value))
						if err != nil {
							n = -1
						}
						id = n
					}
				}
				if len(ids) < maxCellStyles {
					ids = append(ids, id)
				}
			}
			path = append(path, t.Name.Local)
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
			if len(path) == 0 {
				break tokens // what follows the root element is not read, as in excelize
			}
		}
	}
	var out []bool
	for i, id := range ids {
		date := false
		if code, ok := custom[id]; ok {
			date = isDateFormat(code)
		} else {
			date = isDateFmtID(id)
		}
		if date {
			if out == nil {
				out = make([]bool, len(ids))
			}
			out[i] = true
		}
	}
	return out, nil
}

// isDateFmtID reports whether a built-in number format shows a date or a
// time: 14-22 and 45-47 in every locale, 27-36 and 50-58 (East Asian dates
// and times) and 71-81 (Thai) in the locales that define them.
func isDateFmtID(id int) bool {
	return 14 <= id && id <= 22 || 27 <= id && id <= 36 || 45 <= id && id <= 47 ||
		50 <= id && id <= 58 || 71 <= id && id <= 81
}

// isDateFormat reports whether a number format code shows a positive number
// as a date or a time: its first section holds a y, m, d, h or s outside
// quoted text, escaped characters and brackets ([Red], [$-409], [>100]), or
// an elapsed-time bracket ([h], [mm], [ss]). Elapsed times such as "[h]:mm"
// count, as every time format does: the cell holds a day count either way.
// A digit placeholder (#, ?), a percent sign, an exponent, General or a 0
// before any date part makes it a number format, which is how excelize
// renders such mixed codes too.
func isDateFormat(code string) bool {
	date := false
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ';':
			return date
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return date
			}
			i += j + 1
		case '\\', '!', '_', '*':
			i++ // an escaped literal, a padding width or a fill character
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return date
			}
			if isElapsed(code[i+1 : i+1+j]) {
				date = true
			}
			i += j + 1
		case '#', '?', '%':
			return false
		case '0':
			if !date {
				return false
			}
			// Fractions of a second: "ss.000".
		case 'E', 'e':
			if i+1 < len(code) && (code[i+1] == '+' || code[i+1] == '-') {
				return false
			}
		case 'G', 'g':
			if len(code)-i >= 7 && strings.EqualFold(code[i:i+7], "general") {
				return false
			}
		case 'y', 'Y', 'm', 'M', 'd', 'D', 'h', 'H', 's', 'S':
			date = true
		}
	}
	return date
}

// isElapsed reports whether a bracketed part of a format code is an elapsed
// time: [h], [mm], [ss] and the like.
func isElapsed(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	switch s[0] {
	case 'h', 'H', 'm', 'M', 's', 'S':
		return true
	}
	return false
}
