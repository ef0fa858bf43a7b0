//go:build duckdb_arrow

package pipeline

import "testing"

// The linker's version wins; without one a test binary (no module version,
// no VCS stamp) is "dev".
func TestStampedVersion(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = ""
	if got := stampedVersion(); got != "dev" {
		t.Errorf("unstamped = %q, want dev", got)
	}
	version = "v1.2.3"
	if got := stampedVersion(); got != "v1.2.3" {
		t.Errorf("stamped = %q, want v1.2.3", got)
	}
}
