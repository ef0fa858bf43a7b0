package suggest

import "testing"

func TestNearest(t *testing.T) {
	flags := []string{"inbox", "specs", "out", "workers", "full", "follow-links"}
	for word, want := range map[string]string{
		"inbx": "inbox", "spces": "specs", "wrokers": "workers", "otu": "out", "bogus": "", "x": "",
	} {
		if got := Nearest(word, flags); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", word, got, want)
		}
	}
	if got := Nearest("fiscal_yaer_end", []string{"company", "fiscal_year_end", "fiscal_year_named", "files"}); got != "fiscal_year_end" {
		t.Errorf("spec field: %q", got)
	}
}
