package transform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/marginmix/marginmix/fact"
	"github.com/marginmix/marginmix/internal/suggest"

	"go.yaml.in/yaml/v3"
)

// Spec tells marginmix how to read one company's workbooks. See
// docs/specs.md for the format.
type Spec struct {
	Company       string `yaml:"company"`         // ticker; default the EDGAR cover sheet's trading symbol
	FiscalYearEnd string `yaml:"fiscal_year_end"` // month name or number; default December
	// FiscalYearNamed says which calendar year names a fiscal year: "end"
	// (the default: Oracle's year ending May 2026 is fiscal 2026) or "most",
	// the year holding most of its months (retailers' 52/53-week years: the
	// year ending 31 January 2015 is fiscal 2014).
	FiscalYearNamed string   `yaml:"fiscal_year_named"`
	Files           []string `yaml:"files"`  // globs matched against the path below the inbox
	Sheets          []string `yaml:"sheets"` // names or globs; default every visible sheet
	// PreferSheets names (or globs) the sheets whose values win over the
	// same fact stated on another sheet of the workbook.
	PreferSheets  []string          `yaml:"prefer_sheets"`
	IncludeHidden bool              `yaml:"include_hidden"`
	Layout        string            `yaml:"layout"`         // auto (default), wide or long
	QuarterLabels string            `yaml:"quarter_labels"` // fiscal (default) or calendar
	Currency      string            `yaml:"currency"`       // ISO code of money values; default USD
	Scale         string            `yaml:"scale"`          // override: units, thousands, millions, billions
	SourceKind    string            `yaml:"source_kind"`    // reported (default) or estimate
	AsOf          string            `yaml:"as_of"`          // YYYY-MM-DD vintage; default the workbook's modified date
	Metrics       map[string]string `yaml:"metrics"`        // row label -> canonical metric
	Segments      map[string]string `yaml:"segments"`       // row label -> canonical segment
	Strict        bool              `yaml:"strict"`         // a row in a table that maps to nothing is an error

	// Name is where the spec came from (file name), for messages.
	Name string `yaml:"-"`

	fye    time.Month
	fyeSet bool // fiscal_year_end was given, not defaulted
	asOf   time.Time
	scale  float64
	dict   Dict
}

// SpecError names the spec and field at fault.
type SpecError struct {
	Spec  string
	Field string
	Err   error
}

func (e *SpecError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("spec %s: %v", e.Spec, e.Err)
	}
	return fmt.Sprintf("spec %s: %s: %v", e.Spec, e.Field, e.Err)
}

func (e *SpecError) Unwrap() error { return e.Err }

var reTicker = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,31}$`)

// ValidTicker reports whether s can name a company: it becomes a partition
// folder (company=T), so it holds no path separators or other surprises.
func ValidTicker(s string) bool { return reTicker.MatchString(s) }

// ParseSpec reads one YAML spec; unknown fields are errors, so typos surface.
func ParseSpec(name string, r io.Reader) (*Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &SpecError{Spec: name, Err: errors.New("empty spec")}
		}
		return nil, &SpecError{Spec: name, Err: plainYAMLError(err)}
	}
	s.Name = name
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// ParseSpecBytes is ParseSpec over a byte slice.
func ParseSpecBytes(name string, b []byte) (*Spec, error) {
	return ParseSpec(name, bytes.NewReader(b))
}

var scales = map[string]float64{"": 0, "units": 1, "ones": 1, "thousands": 1e3, "millions": 1e6, "billions": 1e9}

// Validate checks every field and fills in defaults. Errors are *SpecError.
func (s *Spec) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &SpecError{Spec: s.Name, Field: field, Err: fmt.Errorf(format, args...)}
	}
	s.Company = strings.ToUpper(strings.TrimSpace(s.Company))
	// No company: an EDGAR workbook's cover sheet gives it (applyCover).
	if s.Company != "" && !ValidTicker(s.Company) {
		return bad("company", "%q is not a ticker: letters, digits, '.', '-' and '_', at most 32", s.Company)
	}
	if len(s.Files) == 0 {
		return bad("files", "required: at least one file glob")
	}
	for _, g := range append(append([]string{}, s.Files...), s.Sheets...) {
		if _, err := path.Match(g, ""); err != nil {
			return bad("files", "bad glob %q", g)
		}
	}
	for _, g := range s.PreferSheets {
		if _, err := path.Match(g, ""); err != nil {
			return bad("prefer_sheets", "bad glob %q", g)
		}
	}
	m, err := parseMonth(s.FiscalYearEnd)
	if err != nil {
		return bad("fiscal_year_end", "%v", err)
	}
	s.fye, s.fyeSet = m, strings.TrimSpace(s.FiscalYearEnd) != ""
	switch s.FiscalYearNamed {
	case "":
		s.FiscalYearNamed = "end"
	case "end", "most":
	default:
		return bad("fiscal_year_named", "%q is not end or most", s.FiscalYearNamed)
	}
	switch s.Layout {
	case "":
		s.Layout = "auto"
	case "auto", "wide", "long":
	default:
		return bad("layout", "%q is not auto, wide or long", s.Layout)
	}
	switch s.QuarterLabels {
	case "":
		s.QuarterLabels = "fiscal"
	case "fiscal", "calendar":
	default:
		return bad("quarter_labels", "%q is not fiscal or calendar", s.QuarterLabels)
	}
	if s.Currency == "" {
		s.Currency = "USD"
	}
	if len(s.Currency) != 3 || strings.ToUpper(s.Currency) != s.Currency {
		return bad("currency", "%q is not an ISO 4217 code such as USD", s.Currency)
	}
	sc, ok := scales[strings.ToLower(s.Scale)]
	if !ok {
		return bad("scale", "%q is not units, thousands, millions or billions", s.Scale)
	}
	s.scale = sc
	switch s.SourceKind {
	case "":
		s.SourceKind = "reported"
	case "reported", "estimate":
	default:
		return bad("source_kind", "%q is not reported or estimate", s.SourceKind)
	}
	if s.AsOf != "" {
		t, err := time.Parse("2006-01-02", s.AsOf)
		if err != nil {
			return bad("as_of", "%q is not a date YYYY-MM-DD", s.AsOf)
		}
		s.asOf = t
	}
	s.dict = Dict{Metrics: map[string]string{}, Segments: map[string]string{}}
	for label, metric := range s.Metrics {
		if !fact.IsMetric(metric) {
			return bad("metrics", "%q maps to %q, which is not a canonical metric", label, metric)
		}
		s.dict.Metrics[NormKey(label)] = metric
	}
	for label, seg := range s.Segments {
		if strings.TrimSpace(seg) == "" {
			return bad("segments", "%q maps to an empty segment", label)
		}
		s.dict.Segments[NormKey(label)] = seg
	}
	return nil
}

func parseMonth(s string) (time.Month, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return time.December, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 12 {
			return 0, fmt.Errorf("month %d out of range 1..12", n)
		}
		return time.Month(n), nil
	}
	if len(s) >= 3 {
		if m, ok := monthNum[s[:3]]; ok && strings.HasPrefix(strings.ToLower(time.Month(m).String()), s) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%q is not a month", s)
}

// Calendar returns the company's fiscal calendar.
func (s *Spec) Calendar() Calendar {
	return Calendar{FYEndMonth: s.fye, CalendarLabels: s.QuarterLabels == "calendar", NamedByMost: s.FiscalYearNamed == "most"}
}

// Matches reports whether the spec covers a workbook, given its path
// relative to the inbox (slash-separated).
func (s *Spec) Matches(rel string) bool {
	for _, g := range s.Files {
		if ok, _ := path.Match(g, rel); ok {
			return true
		}
		if !strings.Contains(g, "/") {
			if ok, _ := path.Match(g, path.Base(rel)); ok {
				return true
			}
		}
	}
	return false
}

// wantsSheet reports whether a sheet is to be read.
func (s *Spec) wantsSheet(name string, hidden bool) bool {
	if hidden && !s.IncludeHidden {
		return false
	}
	if len(s.Sheets) == 0 {
		return true
	}
	for _, g := range s.Sheets {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// prefersSheet reports whether prefer_sheets names the sheet.
func (s *Spec) prefersSheet(name string) bool {
	for _, g := range s.PreferSheets {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// reUnknownField matches yaml's message for a key the spec does not have.
var reUnknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)

// plainYAMLError says what is wrong with a spec's YAML in the spec's words:
// an unknown key names the nearest field ("did you mean fiscal_year_end?"),
// never a Go type.
func plainYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		sub := reUnknownField.FindStringSubmatch(m)
		if sub == nil {
			msgs[i] = m
			continue
		}
		msgs[i] = fmt.Sprintf("line %s: unknown field %q", sub[1], sub[2])
		if near := suggest.Nearest(sub[2], specFields()); near != "" {
			msgs[i] += fmt.Sprintf(" (did you mean %s?)", near)
		}
	}
	return errors.New(strings.Join(msgs, "; "))
}

// specFields are the keys a spec may have.
func specFields() []string {
	t := reflect.TypeOf(Spec{})
	var out []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}
