package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/marginmix/marginmix/load"
)

// Config is what a run needs to know. The zero value of Inbox and Specs means
// the sample workbooks and specs bundled in the binary.
type Config struct {
	Inbox string // folder of workbooks; "" = bundled samples
	Specs string // folder of YAML specs; "" = bundled specs
	Out   string // output folder
	// FollowLinks reads links in the inbox that lead outside it; without
	// it such a link is quarantined unread and uncopied.
	FollowLinks bool
	// AllowEmptyInbox publishes from an inbox without workbooks; without
	// it such a run is a configuration error (an unmounted share).
	AllowEmptyInbox bool
	Workers         int    // workbooks read in parallel, and DuckDB's threads at most
	Full            bool   // re-extract every workbook even if unchanged
	Threads         int    // DuckDB threads; 0 = DuckDB's default
	SQL             string // folder of the analyst's own .sql analyses, added to the built-in ones
	// WorkbookTimeout bounds the time one workbook may take to read; past it
	// the workbook is quarantined. 0 means no bound.
	WorkbookTimeout time.Duration
	// Memory is the run's memory budget ("1GiB"; "" = DefaultMemory):
	// DuckDB gets half as its memory_limit and keeps the rest of its data
	// in a temporary file under TempDir ("" = the system's), so a run's
	// memory does not grow with the number of facts (memory.go).
	Memory string
	// DuckDBMemory and AnalysisMemory override DuckDB's memory_limit while
	// loading and while the analyses run ("" = half of Memory).
	DuckDBMemory   string
	AnalysisMemory string
	// StepFacts bounds the facts one fact-building step holds (0: as
	// DuckDB's memory allows, load.StepFor); tests make it tiny.
	StepFacts int64
	TempDir   string
	// Progress, when set, is called after each workbook is read, one call at
	// a time.
	Progress func(Progress)
	Params   Params
	// Shard makes a run or backfill read only its share of the inbox and
	// stage it in Batch for a Commit (shard.go); the zero Shard reads all.
	Shard Shard
	Batch string // the batch a shard stages into, or a commit publishes
}

// Params are the analyses' settings, visible to every .sql file as DuckDB
// variables: getvariable('trend_window') and so on.
type Params struct {
	TrendWindow           int     // trend_window: quarters in the margin trend slope
	TrendThresholdBps     float64 // trend_threshold_bps: slope beyond which a trend is rising or declining
	CommonServerLifeYears float64 // common_server_life_years: server life margins are restated to
	ReconToleranceUnits   float64 // reconciliation_tolerance_units: allowed rounding, in units of the reported scale per summed value
	LargeMoveBps          float64 // large_move_bps: a Q/Q margin move flagged as large
}

// DefaultParams are the documented defaults (docs/analyses.md).
func DefaultParams() Params {
	return Params{TrendWindow: 4, TrendThresholdBps: 25, CommonServerLifeYears: 6, ReconToleranceUnits: 0.5, LargeMoveBps: 1000}
}

// vars lists the parameters as DuckDB variables, in a fixed order.
func (p Params) vars() []load.Variable {
	return []load.Variable{
		{Name: "trend_window", Value: p.TrendWindow},
		{Name: "trend_threshold_bps", Value: p.TrendThresholdBps},
		{Name: "common_server_life_years", Value: p.CommonServerLifeYears},
		{Name: "reconciliation_tolerance_units", Value: p.ReconToleranceUnits},
		{Name: "large_move_bps", Value: p.LargeMoveBps},
	}
}

// Default returns the defaults of `marginmix run`.
func Default() Config {
	return Config{Out: "out", Workers: runtime.NumCPU(), Params: DefaultParams(), WorkbookTimeout: 10 * time.Minute}
}

// ConfigError names the setting at fault; the command line maps it to exit
// status 2.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("%s: %v", e.Field, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// Validate checks the settings and that the folders exist.
func (c *Config) Validate() error {
	if c.Out == "" {
		return &ConfigError{Field: "out", Err: errors.New("must not be empty")}
	}
	if c.Workers < 1 {
		return &ConfigError{Field: "workers", Err: fmt.Errorf("%d: must be at least 1", c.Workers)}
	}
	if c.Threads < 0 {
		return &ConfigError{Field: "threads", Err: fmt.Errorf("%d: must not be negative", c.Threads)}
	}
	if strings.Contains(c.TempDir, "?") {
		// DuckDB reads a '?' in a database's path as the start of its
		// options, and resolves links, so no alias helps there.
		return &ConfigError{Field: "temp-dir", Err: fmt.Errorf("%s: DuckDB keeps its database there and cannot take a '?' in its path; choose a folder without one", c.TempDir)}
	}
	if c.WorkbookTimeout < 0 {
		return &ConfigError{Field: "workbook-timeout", Err: fmt.Errorf("%s: must not be negative (0 means no limit)", c.WorkbookTimeout)}
	}
	if err := c.checkMemory(); err != nil {
		return err
	}
	if c.Shard.Sharded() {
		if err := CheckBatch(c.Batch); err != nil {
			return err
		}
	}
	p := c.Params
	for _, f := range []struct {
		name string
		v    float64
	}{{"trend-threshold-bps", p.TrendThresholdBps}, {"common-server-life", p.CommonServerLifeYears},
		{"recon-tolerance", p.ReconToleranceUnits}, {"large-move-bps", p.LargeMoveBps}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return &ConfigError{Field: f.name, Err: fmt.Errorf("%v: must be a finite number", f.v)}
		}
	}
	switch {
	case p.TrendWindow < 2:
		return &ConfigError{Field: "trend-window", Err: fmt.Errorf("%d: must be at least 2 quarters", p.TrendWindow)}
	case p.TrendThresholdBps < 0:
		return &ConfigError{Field: "trend-threshold-bps", Err: fmt.Errorf("%v: must not be negative", p.TrendThresholdBps)}
	case p.CommonServerLifeYears <= 0:
		return &ConfigError{Field: "common-server-life", Err: fmt.Errorf("%v: must be positive", p.CommonServerLifeYears)}
	case p.ReconToleranceUnits < 0:
		return &ConfigError{Field: "recon-tolerance", Err: fmt.Errorf("%v: must not be negative", p.ReconToleranceUnits)}
	case p.LargeMoveBps <= 0:
		return &ConfigError{Field: "large-move-bps", Err: fmt.Errorf("%v: must be positive", p.LargeMoveBps)}
	}
	for _, f := range []struct{ name, dir string }{{"inbox", c.Inbox}, {"specs", c.Specs}, {"sql", c.SQL}} {
		if f.dir == "" {
			continue
		}
		st, err := os.Stat(f.dir)
		if err != nil {
			return &ConfigError{Field: f.name, Err: err}
		}
		if !st.IsDir() {
			return &ConfigError{Field: f.name, Err: fmt.Errorf("%s is not a folder", f.dir)}
		}
	}
	return nil
}

// ErrNotPublication: --out names a folder that holds files marginmix did
// not publish. A run replaces the whole folder, so it refuses.
var ErrNotPublication = errors.New("holds files that are not a marginmix publication (it has no " + load.ManifestName +
	"); marginmix publishes only into a missing or empty folder, or one it published before, and changed nothing")

// CheckOut checks the output folder a run would publish into (validate,
// which publishes nothing, does not).
func (c *Config) CheckOut() error {
	if err := c.checkOut(); err != nil {
		return &ConfigError{Field: "out", Err: err}
	}
	return nil
}

// checkOut refuses an output folder whose contents a run would replace
// without their being ours: a folder of the user's files (docs/, the inbox
// itself), a file, or a folder inside the inbox (whose outputs would be read
// back as workbooks).
func (c *Config) checkOut() error {
	st, err := os.Stat(c.Out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c.outsideInbox()
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is a file, not a folder", c.Out)
	}
	entries, err := os.ReadDir(c.Out)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(c.Out, load.ManifestName)); err != nil {
			return fmt.Errorf("%s %w", c.Out, ErrNotPublication)
		}
	}
	return c.outsideInbox()
}

// outsideInbox refuses an output folder inside the inbox.
func (c *Config) outsideInbox() error {
	if c.Inbox == "" {
		return nil
	}
	out, err1 := filepath.Abs(c.Out)
	in, err2 := filepath.Abs(c.Inbox)
	if err1 != nil || err2 != nil {
		return errors.Join(err1, err2)
	}
	if under(in, out) {
		return fmt.Errorf("%s is inside the inbox %s: its outputs would be read back as workbooks", c.Out, c.Inbox)
	}
	return nil
}
