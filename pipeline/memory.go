package pipeline

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// A run's memory budget (--memory, docs/operations.md). DuckDB gets half of
// it as its memory_limit, which covers only DuckDB's buffer manager: its
// resident memory runs above that. The readers' Go heap gets three eighths
// (Go's soft limit), and an eighth is left for what DuckDB holds beyond its
// limit: with the half for Go, 10,000 supplements peaked at 1,054 MiB under
// a budget of 1 GiB. DuckDB keeps what does not fit in its database file
// under the run's temporary folder.
const (
	// minMemory is the smallest budget: DuckDB wants at least 125 MB a
	// thread, and the readers need some too.
	minMemory = 256 << 20
	// maxDefaultMemory bounds the default on a large machine.
	maxDefaultMemory = 1 << 30
	// duckThreadMemory is DuckDB's documented minimum memory per thread.
	duckThreadMemory = 125_000_000
)

// DefaultMemory is the default budget: a quarter of the memory this process
// may have (the machine's, or less under a cgroup limit such as a
// container's), at most 1 GiB and at least 256 MiB.
func DefaultMemory() int64 { return defaultMemory(systemMemory()) }

func defaultMemory(system int64) int64 {
	b := int64(maxDefaultMemory)
	if system > 0 && system/4 < b {
		b = system / 4
	}
	return max(b, minMemory)
}

// systemMemory is MemTotal, or a lower cgroup limit; 0 when unknown.
func systemMemory() int64 {
	total := memTotal()
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n // "max", or v1's huge "no limit", stay above MemTotal
		}
	}
	return total
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if kb, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}

var reAmount = regexp.MustCompile(`(?i)^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|k|m|g|t)?\s*$`)

// unitBytes are DuckDB's units: KB, MB... are powers of 1000, KiB, MiB...
// of 1024; K, M, G, T as KB, MB, GB, TB; no unit is bytes.
var unitBytes = map[string]float64{"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}

// ParseMemory reads an amount of memory as DuckDB does: "512MB", "1GiB",
// "2 GB".
func ParseMemory(s string) (int64, error) {
	m := reAmount.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not an amount of memory such as 512MB or 2GB", s)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	n := v * unitBytes[strings.ToLower(m[2])]
	if n >= math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is more memory than any machine has", s)
	}
	return int64(n), nil
}

// FormatMemory writes bytes in whole MiB or GiB, as DuckDB reads them.
func FormatMemory(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%dGiB", n>>30)
	}
	return fmt.Sprintf("%dMiB", n>>20)
}

// memoryPlan is how a run spends its budget.
type memoryPlan struct {
	budget       int64
	duckLoad     string // DuckDB's memory_limit while facts are loaded and built
	duckBytes    int64  // the same in bytes: it sizes the fact-building steps
	duckIngest   string // while the readers run: an eighth of the budget less
	duckBuild    string // while the fact datasets are built: an eighth less when steps run side by side
	duckAnalysis string // and while the analyses run
	threads      int    // DuckDB's threads: as many as its limit allows, at most the CPUs and the workers
	goLimit      int64  // Go's soft memory limit: the budget but DuckDB's half and the headroom
}

// ingestRows is how many facts the readers' records gather before one
// INSERT into DuckDB: each INSERT costs more as the table grows, so larger
// groups load faster (1,008,000 facts: 57,000 a second in groups of 32,768,
// 135,000 in groups of 262,144; docs/performance.md), while a group's
// records (about 1,000 bytes a fact with Arrow's buffers) stay within the
// readers' half of the budget.
func (p memoryPlan) ingestRows() int64 {
	return min(max(p.goLimit/1000, 1<<15), 1<<18)
}

// plan makes the memory plan of a validated config.
func (c *Config) plan() memoryPlan {
	budget := DefaultMemory()
	if c.Memory != "" {
		budget, _ = ParseMemory(c.Memory)
	}
	duck := budget / 2
	// The analyses get an eighth less: DuckDB's resident memory runs
	// furthest above its limit in data_quality (1,033 MiB under a budget of
	// 1 GiB over 33.6 M facts with the half, and again with a sixteenth
	// less), and the readers are done.
	p := memoryPlan{budget: budget, duckLoad: FormatMemory(duck), duckBytes: duck, duckAnalysis: FormatMemory(duck - budget/8),
		goLimit: budget - duck - budget/8}
	if c.DuckDBMemory != "" {
		p.duckLoad = c.DuckDBMemory
		p.duckBytes, _ = ParseMemory(c.DuckDBMemory)
	}
	if c.AnalysisMemory != "" {
		p.duckAnalysis = c.AnalysisMemory
	}
	p.threads = c.Threads
	if p.threads == 0 {
		p.threads = int(max(1, min(int64(runtime.NumCPU()), duck/duckThreadMemory)))
		// --workers is how many CPUs the run takes: DuckDB no more
		// either, so that --workers 1 on a shared machine uses one.
		if c.Workers > 0 {
			p.threads = min(p.threads, c.Workers)
		}
	}
	// While the readers run, DuckDB only takes in their facts, spilling to
	// its temporary folder what does not fit, and the readers' heap is at
	// its largest: DuckDB gets an eighth of the budget less then (10,000
	// supplements peaked at 1,033 MiB under 1 GiB with the half).
	p.duckIngest, p.duckBuild = p.duckLoad, p.duckLoad
	if c.DuckDBMemory == "" {
		lower := FormatMemory(min(duck, max(duck-budget/8, int64(p.threads)*duckThreadMemory)))
		p.duckIngest = lower
		// Build steps side by side (load.BuildFacts, one a thread) hold
		// more beside DuckDB's buffers than one at a time: 10,000
		// supplements peaked at 1,034 MiB under 1 GiB with the half. The
		// steps stay sized by the half (duckBytes), so the files do not
		// move; two of the usual size fit well within the lower limit.
		if p.threads > 1 {
			p.duckBuild = lower
		}
	}
	return p
}

// checkMemory validates the budget and DuckDB's own limits.
func (c *Config) checkMemory() error {
	if c.Memory != "" {
		n, err := ParseMemory(c.Memory)
		if err != nil {
			return &ConfigError{Field: "memory", Err: err}
		}
		if n < minMemory {
			return &ConfigError{Field: "memory", Err: fmt.Errorf("%s: must be at least %s (DuckDB needs 125 MB a thread, the readers the rest)", c.Memory, FormatMemory(minMemory))}
		}
	}
	for _, m := range []struct{ name, v string }{{"duckdb-memory", c.DuckDBMemory}, {"analysis-memory", c.AnalysisMemory}} {
		if m.v == "" {
			continue
		}
		if _, err := ParseMemory(m.v); err != nil {
			return &ConfigError{Field: m.name, Err: err}
		}
	}
	return nil
}

// DuckDBSettings are DuckDB's memory limits (while loading, while
// analysing) and threads for c, as a run sets them: for tools that open
// DuckDB as a run would (bench/analyses).
func (c *Config) DuckDBSettings() (loadLimit, analysisLimit string, threads int) {
	p := c.plan()
	return p.duckLoad, p.duckAnalysis, p.threads
}
