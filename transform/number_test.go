package transform

import (
	"math"
	"strconv"
	"testing"
)

// formatPlain writes v as Excel stores numbers.
func formatPlain(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		kind NumKind
	}{
		{"1234", 1234, Number},
		{"1234.5", 1234.5, Number},
		{"-3560", -3560, Number},
		{"1.2345E-2", 0.012345, Number},
		{"1,234", 1234, Number},
		{"(1,234)", -1234, Number},
		{"( 1,234 )", -1234, Number},
		{"−1,234", -1234, Number},
		{"–12.5", -12.5, Number},
		{"$1,234.50", 1234.5, Number},
		{"($1,234)", -1234, Number},
		{"US$ 12", 12, Number},
		{"€ 1.234", 1.234, Number},
		{"1 234 567", 1234567, Number},
		{"1\u00a0234", 1234, Number},
		{"12.5%", 0.125, Percent},
		{"(12.5)%", -0.125, Percent},
		{"(12.5%)", -0.125, Percent},
		{"-3.2 %", -0.032, Percent},
		{"1,234 (1)", 1234, Number},
		{"1,234(a)", 0, NotNumber},
		{"1,234 (a)", 1234, Number},
		{"1,234¹", 1234, Number},
		{"987*", 987, Number},
		{"  42  ", 42, Number},
		{"—", 0, Missing},
		{"–", 0, Missing},
		{"-", 0, Missing},
		{"n/a", 0, Missing},
		{"N/A", 0, Missing},
		{"NM", 0, Missing},
		{"nm", 0, Missing},
		{"", 0, Missing},
		{"— (2)", 0, Missing},
		{"Net sales", 0, NotNumber},
		{"Q1 2026", 0, NotNumber},
		{"Inf", 0, NotNumber},
		{"NaN", 0, NotNumber},
		{"0x1p4", 0, NotNumber},
		{"1.2.3", 0, NotNumber},
		{",123", 0, NotNumber},
		{"--5", 0, NotNumber},
		{"(-5)", 0, NotNumber},
		{"12e", 0, NotNumber},
	} {
		v, k := ParseNumber(tc.in)
		if k != tc.kind || math.Abs(v-tc.want) > 1e-12 {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", tc.in, v, k, tc.want, tc.kind)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1,234", "(1,234)", "12.5%", "—", "1,234 (1)", "$1.5E3", "−7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, k := ParseNumber(s)
		if math.IsNaN(v) || math.IsInf(v, 0) && k != NotNumber && len(s) < 300 {
			t.Fatalf("ParseNumber(%q) = %v, %v", s, v, k)
		}
		if k == NotNumber || k == Missing {
			if v != 0 {
				t.Fatalf("ParseNumber(%q) = %v with kind %v", s, v, k)
			}
			return
		}
		// Idempotence: the number written plainly parses to itself.
		if k == Number && !math.IsInf(v, 0) {
			if w, k2 := ParseNumber(formatPlain(v)); k2 != Number || w != v {
				t.Fatalf("ParseNumber(%q) = %v; re-parse of %q = %v, %v", s, v, formatPlain(v), w, k2)
			}
		}
		// Scaling drops at most what lies past Excel's 15 digits.
		for _, scale := range []float64{1, 1e3, 1e6, 1e9, 0.01} {
			got, plain := Scaled(v, scale), v*scale
			if math.IsInf(plain, 0) || plain == 0 || math.Abs(plain) < 1e-300 {
				continue
			}
			if math.Abs(got-plain) > 1e-14*math.Abs(plain) {
				t.Fatalf("Scaled(%v, %v) = %v, far from %v", v, scale, got, plain)
			}
		}
	})
}

func TestScaled(t *testing.T) {
	for _, tc := range []struct {
		v, scale, want float64
	}{
		{37800, 1e6, 37800e6},
		{8244.9999999999991, 1e6, 8245e6}, // Excel's 17 digits of a cell showing 8,245
		{-0.268, 1e9, -268e6},
		{1.5, 1e9, 1.5e9},
		{57, 0.01, 0.57}, // 57 * 0.01 is 0.5700000000000001
		{25, 0.01, 0.25},
		{0.1 + 0.2, 1, 0.3},
		{0.21, 1, 0.21},
		{29267.4, 1e3, 29267400},
		{-1234, 1e3, -1234e3},
		{6, 1, 6},
		{2.5, 3, 7.5},     // not a power of ten: plain product
		{3, 1e-4, 0.0003}, // math.Log10(1e-4) is not exactly -4
		{7, 1e15, 7e15},
		{1.5e300, 1e9, math.Inf(1)},
	} {
		if got := Scaled(tc.v, tc.scale); got != tc.want {
			t.Errorf("Scaled(%v, %v) = %v, want %v", tc.v, tc.scale, got, tc.want)
		}
	}
	if !math.IsNaN(Scaled(math.NaN(), 1e6)) {
		t.Error("Scaled(NaN) is not NaN")
	}
}
