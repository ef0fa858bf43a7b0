package pipeline

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// Config is what a run needs to know. The zero value of Inbox and Specs means
// the sample workbooks and specs bundled in the binary.
type Config struct {
	Inbox   string // folder of workbooks; "" = bundled samples
	Specs   string // folder of YAML specs; "" = bundled specs
	Out     string // output folder
	Workers int    // workbooks read in parallel
	Full    bool   // re-extract every workbook even if unchanged
	Threads int    // DuckDB threads; 0 = DuckDB's default
}

// Default returns the defaults of `marginmix run`.
func Default() Config {
	return Config{Out: "out", Workers: runtime.NumCPU()}
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
	for _, f := range []struct{ name, dir string }{{"inbox", c.Inbox}, {"specs", c.Specs}} {
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
