package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/marginmix/marginmix/transform"
)

// checkCalendars refuses specs that give one company two fiscal calendars:
// facts of one company are placed on one calendar (a multi-company model
// takes a company's from its specs), and the second would be ignored.
func checkCalendars(specs []*transform.Spec) error {
	first := map[string]*transform.Spec{}
	for _, s := range specs {
		if s.Company == "" {
			continue
		}
		f, ok := first[s.Company]
		if !ok {
			first[s.Company] = s
			continue
		}
		if f.Calendar() != s.Calendar() {
			return &ConfigError{Field: "specs", Err: fmt.Errorf("%s and %s give %s two fiscal calendars (fiscal_year_end, fiscal_year_named or quarter_labels); make them agree",
				f.Name, s.Name, s.Company)}
		}
	}
	return nil
}

// checkMatches refuses a workbook that two specs match: which one reads it
// would be the order of the spec files, not a choice.
func checkMatches(specs []*transform.Spec, files []string) error {
	var clash []string
	for _, rel := range files {
		var names []string
		for _, s := range specs {
			if s.Matches(rel) {
				names = append(names, s.Name)
			}
		}
		if len(names) > 1 {
			clash = append(clash, fmt.Sprintf("%s is matched by %s", rel, strings.Join(names, " and ")))
		}
	}
	if len(clash) == 0 {
		return nil
	}
	if len(clash) > 5 {
		clash = append(clash[:5], fmt.Sprintf("and %d more", len(clash)-5))
	}
	return &ConfigError{Field: "specs", Err: fmt.Errorf("%s: narrow the files globs so that one spec matches each workbook", strings.Join(clash, "; "))}
}

// ErrEmptyInbox: the inbox holds no workbook, which is more often an
// unmounted share or a wrong path than a night with nothing to read.
var ErrEmptyInbox = errors.New("holds no workbooks (is it mounted? is the path right?); pass --allow-empty-inbox to publish anyway")

// sharedCompanies lists the companies that several specs name, as "AMZN
// (amzn.yaml, model.yaml)". That is right for a company with workbooks of
// several kinds, and wrong after a copied spec kept its company: the run
// says so, so that GOOGL's workbooks are not filed under AMZN unnoticed.
func sharedCompanies(specs []*transform.Spec) []string {
	names := map[string][]string{}
	var order []string
	for _, s := range specs {
		if s.Company == "" {
			continue
		}
		if _, ok := names[s.Company]; !ok {
			order = append(order, s.Company)
		}
		names[s.Company] = append(names[s.Company], s.Name)
	}
	var out []string
	for _, c := range order {
		if len(names[c]) > 1 {
			out = append(out, fmt.Sprintf("%s (%s)", c, strings.Join(names[c], ", ")))
		}
	}
	return out
}
