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
	order, byCompany := specsByCompany(specs)
	for _, c := range order {
		first := byCompany[c][0]
		for _, s := range byCompany[c][1:] {
			if first.Calendar() != s.Calendar() {
				return &ConfigError{Field: "specs", Err: fmt.Errorf("%s and %s give %s two fiscal calendars (fiscal_year_end, fiscal_year_named or quarter_labels); make them agree",
					first.Name, s.Name, c)}
			}
		}
	}
	return nil
}

// specsByCompany groups the specs that name a company by it, companies in
// the order their first spec comes.
func specsByCompany(specs []*transform.Spec) (order []string, byCompany map[string][]*transform.Spec) {
	byCompany = map[string][]*transform.Spec{}
	for _, s := range specs {
		if s.Company == "" {
			continue
		}
		if _, ok := byCompany[s.Company]; !ok {
			order = append(order, s.Company)
		}
		byCompany[s.Company] = append(byCompany[s.Company], s)
	}
	return order, byCompany
}

// checkMatches refuses a workbook that two specs match: which one reads it
// would be the order of the spec files, not a choice.
func checkMatches(index *transform.SpecIndex, files []string) error {
	var clash []string
	for _, rel := range files {
		var names []string
		for _, s := range index.Match(rel) {
			names = append(names, s.Name)
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
	order, byCompany := specsByCompany(specs)
	var out []string
	for _, c := range order {
		if group := byCompany[c]; len(group) > 1 {
			names := make([]string, len(group))
			for i, s := range group {
				names[i] = s.Name
			}
			out = append(out, fmt.Sprintf("%s (%s)", c, strings.Join(names, ", ")))
		}
	}
	return out
}
