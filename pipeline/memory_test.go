package pipeline

import (
	"runtime"
	"testing"
)

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{
		"1GiB": 1 << 30, "512MB": 512e6, "2 GB": 2e9, "256mib": 256 << 20, "1.5GB": 1.5e9, "4096": 4096, "64K": 64e3,
	} {
		if got, err := ParseMemory(in); err != nil || got != want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "12XB", "-1GB", "1e9"} {
		if _, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) took it", in)
		}
	}
	if _, err := ParseMemory("99999999999TB"); err == nil || err.Error() != `"99999999999TB" is more memory than any machine has` {
		t.Errorf("a huge amount: %v", err)
	}
}

func TestFormatMemory(t *testing.T) {
	for n, want := range map[int64]string{1 << 30: "1GiB", 3 << 30: "3GiB", 512 << 20: "512MiB", 1536 << 20: "1536MiB"} {
		if got := FormatMemory(n); got != want {
			t.Errorf("FormatMemory(%d) = %q, want %q", n, got, want)
		}
	}
}

// The default is a quarter of the machine up to 1 GiB, never below the
// floor, and 1 GiB where the machine's size is unknown.
func TestDefaultMemory(t *testing.T) {
	for system, want := range map[int64]int64{
		24 << 30: 1 << 30, 4 << 30: 1 << 30, 2 << 30: 512 << 20, 512 << 20: 256 << 20, 0: 1 << 30,
	} {
		if got := defaultMemory(system); got != want {
			t.Errorf("defaultMemory(%s) = %s, want %s", FormatMemory(system), FormatMemory(got), FormatMemory(want))
		}
	}
}

// DuckDB gets half the budget, as many threads as 125 MB each allows (at
// most the CPUs and the workers), and the overrides win.
func TestMemoryPlan(t *testing.T) {
	c := Default()
	c.Memory = "1GiB"
	p := c.plan()
	if p.budget != 1<<30 || p.duckLoad != "512MiB" || p.duckBytes != 512<<20 || p.duckAnalysis != "384MiB" || p.goLimit != 384<<20 || p.threads != min(runtime.NumCPU(), 4) {
		t.Errorf("1GiB: %+v", p)
	}
	if p.ingestRows() != 1<<18 {
		t.Errorf("1GiB: %d facts an insert", p.ingestRows())
	}
	if want := map[bool]string{true: "384MiB", false: "512MiB"}[p.threads > 1]; p.duckBuild != want {
		t.Errorf("1GiB, %d threads: DuckDB builds within %s, want %s", p.threads, p.duckBuild, want)
	}
	c.Workers = 1 // one CPU for the whole run, one build step at a time
	if p := c.plan(); p.threads != 1 || p.duckLoad != "512MiB" || p.duckBuild != "512MiB" {
		t.Errorf("1GiB, --workers 1: %+v", p)
	}
	c.Workers = 64 // more workers than CPUs give DuckDB no more threads
	if p := c.plan(); p.threads != min(runtime.NumCPU(), 4) {
		t.Errorf("1GiB, --workers 64: %+v", p)
	}
	c.Workers, c.Threads = 0, 7 // 7 x 125 MB is more than DuckDB's half: it gets the half, never more
	if p := c.plan(); p.duckIngest != "512MiB" || p.duckBuild != "512MiB" {
		t.Errorf("1GiB, --threads 7: %+v", p)
	}
	c.Threads = 0
	c.Memory = "256MiB"
	if p := c.plan(); p.duckLoad != "128MiB" || p.threads != 1 || p.ingestRows() != 100663 {
		t.Errorf("256MiB: %+v", p)
	}
	c.DuckDBMemory, c.AnalysisMemory, c.Threads = "2GB", "3GB", 7
	if p := c.plan(); p.duckLoad != "2GB" || p.duckBytes != 2e9 || p.duckAnalysis != "3GB" || p.threads != 7 {
		t.Errorf("overrides: %+v", p)
	}
}
