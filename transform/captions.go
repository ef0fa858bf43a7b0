package transform

import (
	"regexp"
	"strings"
)

// A cell longer than this is never a scale caption, except in a sheet's
// first two rows, where EDGAR writes its long sheet titles ("... (Details) -
// USD ($) $ / shares in Units, $ in Millions"); skipping long cells
// elsewhere keeps sheets full of text fast and prose out of the scale.
const maxCaption = 160

var (
	// The plural alone ("(in millions)"), a symbol or code with a short
	// form ("$m", "€m", "USD m") or with the singular, the European style
	// ("(EUR million)", "€ million", "CHF million", "in million").
	reScale = regexp.MustCompile(`\b(thousands|millions|billions)\b|[$€£¥]\s?(000s?|mm?|mn|bn|b|k)\b|\b(usd|eur|gbp|chf|jpy)\s?(m|mn|bn|k)\b|(?:[$€£¥]|\b(?:usd|eur|gbp|chf|jpy|in))\s*(thousand|million|billion)\b`)
	// reShareScale: the scale of a count that is no money, in a caption
	// ("shares in Thousands") or in a row label that states its own
	// ("Weighted-average shares outstanding (in thousands)", "Number of
	// employees (in thousands)"). It must not become the money's scale.
	reShareScale = regexp.MustCompile(`\b(shares?|employees|headcount|customers|subscribers|users|members|stores)\b[^,;$€£¥]*?\bin\s+(thousands|millions|billions)`)
)

// caption takes the sheet's scale, and the currency if it names one, from a
// text cell of row row that states them ("(in millions)", "€m"), unless the
// spec fixes the scale. The latest caption wins.
func (s *sheetReader) caption(text string, row int) {
	if s.spec.scale != 0 || len(text) > maxCaption && row > 2 {
		return
	}
	if sc, ok := captionScale(text); ok {
		s.scale = sc
		if cur := captionCurrency(text); cur != "" {
			s.currency = cur
		}
	}
}

// captionScale finds a scale statement such as "(in millions)", "$ in
// billions", "USD m" or "$000s" in a text cell.
func captionScale(s string) (float64, bool) {
	// EDGAR: "USD ($) shares in Thousands, $ in Millions": the share count's
	// scale is not the money's.
	s = strings.ToLower(s)
	if !strings.ContainsAny(s, "$€£¥") && !containsAny(s, "illion", "housand", "usd", "eur", "gbp", "chf", "jpy") {
		return 0, false
	}
	s = reShareScale.ReplaceAllString(s, "")
	m := reScale.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	word := m[1] + m[2] + m[4] + m[5]
	switch word {
	case "thousands", "thousand", "000", "000s", "k":
		return 1e3, true
	case "millions", "million", "m", "mm", "mn":
		return 1e6, true
	case "billions", "billion", "bn", "b":
		return 1e9, true
	}
	return 0, false
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// captionCurrency finds a currency other than the dollar in a caption or
// unit: "" when it names none.
func captionCurrency(s string) string {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(s, "€") || strings.Contains(l, "eur"):
		return "EUR"
	case strings.Contains(s, "£") || strings.Contains(l, "gbp"):
		return "GBP"
	case strings.Contains(l, "chf"):
		return "CHF"
	case strings.Contains(s, "¥") || strings.Contains(l, "jpy"):
		return "JPY"
	}
	return ""
}
