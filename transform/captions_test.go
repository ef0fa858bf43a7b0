package transform

import "testing"

func TestCaptionScale(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"(in millions)", 1e6, true},
		{"(In millions) (Unaudited)", 1e6, true},
		{"($ in billions)", 1e9, true},
		{"in thousands, except per share data", 1e3, true},
		{"CONDENSED CONSOLIDATED STATEMENTS - USD ($) shares in Thousands, $ in Millions", 1e6, true},
		{"Weighted-average shares outstanding (in thousands)", 0, false},
		{"Number of employees (in thousands)", 0, false},
		{"Diluted shares (in millions); $ in billions", 1e9, true},
		{"€m", 1e6, true},
		{"USD m", 1e6, true},
		{"$000s", 1e3, true},
		{"In millions of CHF", 1e6, true},
		{"(EUR million)", 1e6, true},
		{"€ million", 1e6, true},
		{"CHF million", 1e6, true},
		{"in CHF million", 1e6, true},
		{"$m", 1e6, true},
		{"EURm", 1e6, true},
		{"(in EUR thousand)", 1e3, true},
		{"USD billion", 1e9, true},
		{"Sales grew by a million units", 0, false},
		{"Net sales", 0, false},
		{"Million-dollar question", 0, false},
	} {
		got, ok := captionScale(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("captionScale(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
