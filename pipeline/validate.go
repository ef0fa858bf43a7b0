package pipeline

import (
	"context"
	"os"
	"path/filepath"

	"github.com/marginmix/marginmix/extract"
	"github.com/marginmix/marginmix/fact"
	"github.com/marginmix/marginmix/transform"
)

// Checked is what validating one workbook found.
type Checked struct {
	Path     string // as named on the command line, or relative to the inbox
	Company  string
	Facts    []fact.Fact
	Findings []transform.Finding
	Err      error // why the workbook would be quarantined; nil when it reads
}

// Validate reads workbooks as a run would and returns what each yields,
// publishing nothing. With no files it checks the whole inbox.
func Validate(ctx context.Context, cfg Config, files []string) ([]Checked, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	specs, err := loadSpecs(specsFS(cfg.Specs))
	if err != nil {
		return nil, &ConfigError{Field: "specs", Err: err}
	}
	rs := newReadSetup(specs, cfg.WorkbookTimeout, "")
	type job struct{ dir, rel string }
	var jobs []job
	var refused []Checked // links out of the inbox: not read
	if len(files) == 0 {
		inbox := cfg.Inbox
		if inbox == "" {
			if inbox, err = materialise(samplesFS(), ""); err != nil {
				return nil, err
			}
			defer os.RemoveAll(inbox)
		}
		rels, outside, err := listInbox(inbox, cfg.FollowLinks)
		if err != nil {
			return nil, &ConfigError{Field: "inbox", Err: err}
		}
		for _, r := range rels {
			jobs = append(jobs, job{inbox, r})
		}
		for _, r := range outside {
			refused = append(refused, Checked{Path: r, Err: &extract.CellError{File: r, Err: ErrLinkOutside}})
		}
	} else {
		for _, f := range files {
			if _, err := os.Stat(f); err != nil {
				return nil, &ConfigError{Field: "file", Err: err}
			}
			jobs = append(jobs, job{filepath.Dir(f), filepath.Base(f)})
		}
	}
	out := make([]Checked, 0, len(jobs))
	for i, j := range jobs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := readOne(ctx, j.dir, j.rel, rs, nil)
		name := j.rel
		if len(files) > 0 {
			name = files[i]
		}
		out = append(out, Checked{Path: name, Company: r.input.Company, Facts: r.facts, Findings: r.findings, Err: r.err})
	}
	return append(out, refused...), nil
}
