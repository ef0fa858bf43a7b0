package transform

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NumKind classifies a cell's content as a number.
type NumKind int

const (
	NotNumber NumKind = iota // text that is not a number
	Missing                  // an explicit "no value": —, -, n/a, NM
	Number
	Percent // a number written with %; the value is already divided by 100
)

func (k NumKind) String() string {
	return [...]string{"not a number", "missing", "number", "percent"}[k]
}

// missingWords are the spellings of "no value" used in financial tables.
var missingWords = map[string]bool{
	"": true, "-": true, "--": true, "—": true, "–": true, "―": true, "‒": true, "−": true,
	"n/a": true, "na": true, "n.a.": true, "nm": true, "n.m.": true, "nmf": true,
	"*": true, "**": true, "—%": true, "-%": true, "n/m": true, "none": true, "nil": true,
}

// ParseNumber reads a number the way financial tables write it:
// "1,234", "(1,234)" and "−1,234" (negative), "$1,234.5", "12.5%",
// "1,234 (1)" and "1,234¹" (footnote markers), " 1 234 " (spaces as
// thousands separators), and the raw values Excel stores ("1234.5", "1.2E-3").
// Dashes, n/a and NM are Missing.
func ParseNumber(s string) (float64, NumKind) {
	s = strings.TrimFunc(s, isSpace)
	// Excel's stored numbers first: no spelling of "no value" is one.
	if plainNumber(s) {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return v, Number
		}
	}
	if missingWords[strings.ToLower(s)] {
		return 0, Missing
	}
	s = stripFootnote(s)
	if missingWords[strings.ToLower(s)] {
		return 0, Missing
	}
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimFunc(s[1:len(s)-1], isSpace)
	}
	kind := Number
	if strings.HasSuffix(s, "%") {
		kind, s = Percent, strings.TrimFunc(strings.TrimSuffix(s, "%"), isSpace)
		// (12.5)% as well as (12.5%)
		if !neg && strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
			neg, s = true, strings.TrimFunc(s[1:len(s)-1], isSpace)
		}
	}
	for _, sign := range []string{"-", "−", "–", "—"} {
		if strings.HasPrefix(s, sign) {
			if neg {
				return 0, NotNumber
			}
			neg, s = true, strings.TrimFunc(s[len(sign):], isSpace)
			break
		}
	}
	s = trimCurrency(s)
	if strings.HasPrefix(s, "-") && !neg {
		neg, s = true, s[1:]
	}
	var b strings.Builder
	digits, dots := 0, 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			b.WriteRune(r)
		case r == '.':
			dots++
			b.WriteRune(r)
		case r == ',' || r == '\u00a0' || r == '\u202f' || r == '\u2009' || r == ' ' || r == '\'':
			// thousands separators: only between digits
			if i == 0 || i == len(s)-1 {
				return 0, NotNumber
			}
		case (r == 'e' || r == 'E') && digits > 0:
			rest := s[i+1:]
			if _, err := strconv.Atoi(rest); err != nil {
				return 0, NotNumber
			}
			b.WriteString("e" + rest)
			goto done
		default:
			return 0, NotNumber
		}
	}
done:
	if digits == 0 || dots > 1 {
		return 0, NotNumber
	}
	v, err := strconv.ParseFloat(b.String(), 64)
	if err != nil {
		return 0, NotNumber
	}
	if neg {
		v = -v
	}
	if kind == Percent {
		v /= 100
	}
	return v, kind
}

// plainNumber reports whether s is written as Excel stores numbers: digits,
// a sign, a point and an exponent only (no hex, Inf or NaN).
func plainNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' }

// stripFootnote removes trailing footnote markers: " (1)", " (a)", "*",
// "†", and superscript digits.
func stripFootnote(s string) string {
	for {
		t := strings.TrimRightFunc(s, func(r rune) bool {
			return strings.ContainsRune("*†‡¹²³⁴⁵⁶⁷⁸⁹⁰⁽⁾", r)
		})
		t = strings.TrimFunc(t, isSpace)
		if i := strings.LastIndex(t, " ("); i > 0 && strings.HasSuffix(t, ")") {
			inner := t[i+2 : len(t)-1]
			if len(inner) >= 1 && len(inner) <= 2 && isAlnumASCII(inner) {
				t = strings.TrimFunc(t[:i], isSpace)
			}
		}
		if t == s {
			return s
		}
		s = t
	}
}

func isAlnumASCII(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

var currencyPrefixes = []string{"US$", "USD", "EUR", "GBP", "CHF", "JPY", "$", "€", "£", "¥", "₹"}

func trimCurrency(s string) string {
	for _, c := range currencyPrefixes {
		if strings.HasPrefix(s, c) {
			return strings.TrimFunc(s[len(c):], isSpace)
		}
		if strings.HasSuffix(s, c) && len(s) > len(c) {
			return strings.TrimFunc(s[:len(s)-len(c)], isSpace)
		}
	}
	return s
}

// excelDigits is the precision Excel works and displays in: its files store
// up to 17 significant digits, of which the last are binary noise
// (8244.9999999999991 for a cell that shows 8,245).
const excelDigits = 15

// Scaled is v, a number as written in a cell, times scale (1e6 for a sheet
// in millions, 0.01 for a % unit), as the decimal product: v rounded to
// Excel's 15 significant digits, then its decimal exponent shifted, so that
// no binary residue (8,244,999,999.999999 or -268,000,000.00000003) is
// published. The product of two whole numbers is exact in float64 already.
func Scaled(v, scale float64) float64 {
	if scale == 1 && v == math.Trunc(v) || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	if v == math.Trunc(v) && scale == math.Trunc(scale) && math.Abs(v) < 1<<53 && math.Abs(v*scale) < 1<<53 {
		return v * scale
	}
	exp := math.Round(math.Log10(scale))
	if scale <= 0 || math.Pow10(int(exp)) != scale {
		return v * scale // not a power of ten: no decimal shift to make
	}
	var buf [40]byte
	b := strconv.AppendFloat(buf[:0], v, 'e', excelDigits-1, 64)
	mant, e, _ := strings.Cut(string(b), "e")
	n, _ := strconv.Atoi(e)
	out, err := strconv.ParseFloat(mant+"e"+strconv.Itoa(n+int(exp)), 64)
	if err != nil {
		return v * scale
	}
	return out
}

// maxEcho is how much of a cell's text an error or a note quotes.
const maxEcho = 80

// clip shortens a cell's text for a message: a 10,000-character cell is
// quoted by its start and its length, never in full.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d characters)", s[:cut], utf8.RuneCountInString(s))
}
