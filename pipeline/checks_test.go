//go:build duckdb_arrow

package pipeline

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Settings that would be accepted silently and do harm are usage errors,
// before any work, naming the flag.
func TestBadSettingsAreConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*Config)
		field string
		want  string
	}{
		{"memory", func(c *Config) { c.Memory = "nonsense" }, "memory", `"nonsense" is not an amount of memory such as 512MB or 2GB`},
		{"too little memory", func(c *Config) { c.Memory = "200MB" }, "memory", "200MB: must be at least 256MiB (DuckDB needs 125 MB a thread, the readers the rest)"},
		{"duckdb memory", func(c *Config) { c.DuckDBMemory = "nonsense" }, "duckdb-memory", `"nonsense" is not an amount of memory such as 512MB or 2GB`},
		{"analysis memory", func(c *Config) { c.AnalysisMemory = "12XB" }, "analysis-memory", `"12XB" is not an amount of memory`},
		{"negative timeout", func(c *Config) { c.WorkbookTimeout = -5 * time.Second }, "workbook-timeout", "-5s: must not be negative (0 means no limit)"},
		{"NaN life", func(c *Config) { c.Params.CommonServerLifeYears = math.NaN() }, "common-server-life", "NaN: must be a finite number"},
		{"temp dir with ?", func(c *Config) { c.TempDir = "/tmp/a?b" }, "temp-dir", "/tmp/a?b: DuckDB keeps its database there and cannot take a '?' in its path"},
		{"infinite tolerance", func(c *Config) { c.Params.ReconToleranceUnits = math.Inf(1) }, "recon-tolerance", "+Inf: must be a finite number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			cfg.Out = filepath.Join(t.TempDir(), "out")
			tc.set(&cfg)
			_, err := Run(context.Background(), cfg, nil)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want a ConfigError on %s saying %q", err, tc.field, tc.want)
			}
			if _, err := os.Stat(cfg.Out); err == nil {
				t.Error("the run published")
			}
		})
	}
	cfg := Default()
	cfg.Memory, cfg.DuckDBMemory, cfg.AnalysisMemory = "2GiB", "1.5GB", "512 MiB"
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid amounts refused: %v", err)
	}
}

// writeSpecs writes YAML specs by file name into a fresh folder.
func writeSpecs(t *testing.T, specs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range specs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Specs that contradict each other are refused with both names: one
// company on two calendars, one workbook matched twice.
func TestContradictorySpecsRefused(t *testing.T) {
	inbox, out := inboxCopy(t)
	for _, tc := range []struct {
		name  string
		specs map[string]string
		want  string
	}{
		{"two calendars", map[string]string{
			"a.yaml": "company: AMZN\nfiles: [\"amzn_*.xlsx\"]\n",
			"b.yaml": "company: AMZN\nfiscal_year_end: June\nfiles: [\"model_*.xlsx\"]\n",
		}, "specs: a.yaml and b.yaml give AMZN two fiscal calendars (fiscal_year_end, fiscal_year_named or quarter_labels); make them agree"},
		{"one file, two specs", map[string]string{
			"a.yaml": "company: AMZN\nfiles: [\"amzn_*.xlsx\"]\n",
			"b.yaml": "company: GOOGL\nfiles: [\"*_1q26_*.xlsx\"]\n",
		}, "specs: amzn_1q26_segments.xlsx is matched by a.yaml and b.yaml: narrow the files globs so that one spec matches each workbook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cfgFor(inbox, out)
			cfg.Specs = writeSpecs(t, tc.specs)
			_, err := Run(context.Background(), cfg, nil)
			var ce *ConfigError
			if !errors.As(err, &ce) || err.Error() != tc.want {
				t.Fatalf("error %v\nwant %s", err, tc.want)
			}
		})
	}
}

// An empty inbox is an error (an unmounted share looks like one) unless
// allowed; allowed, the manifest's inputs are an empty list, not null.
func TestEmptyInbox(t *testing.T) {
	inbox := t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Run(context.Background(), cfgFor(inbox, out), nil)
	if !errors.Is(err, ErrEmptyInbox) {
		t.Fatalf("error %v, want ErrEmptyInbox", err)
	}
	cfg := cfgFor(inbox, out)
	cfg.AllowEmptyInbox = true
	if sum, err := Run(context.Background(), cfg, nil); err != nil || !sum.Published {
		t.Fatalf("%+v, %v", sum, err)
	}
	b, err := os.ReadFile(filepath.Join(out, "_manifest.json"))
	if err != nil || !strings.Contains(string(b), `"inputs": [],`) {
		t.Errorf("manifest: %s, %v", b, err)
	}
}

// Specs that share a company are allowed (one company, workbooks of two
// kinds) but listed, for the run to warn of a copied spec.
func TestSharedCompaniesListed(t *testing.T) {
	specs, err := loadSpecs(os.DirFS(writeSpecs(t, map[string]string{
		"amzn.yaml":  "company: AMZN\nfiles: [\"amzn_*.xlsx\"]\n",
		"googl.yaml": "company: AMZN\nfiles: [\"googl_*.xlsx\"]\n",
		"msft.yaml":  "company: MSFT\nfiles: [\"msft_*.xlsx\"]\n",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if got := sharedCompanies(specs); len(got) != 1 || got[0] != "AMZN (amzn.yaml, googl.yaml)" {
		t.Errorf("shared = %q", got)
	}
}
