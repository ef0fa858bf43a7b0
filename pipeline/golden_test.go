package pipeline

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestSamplesPublishGoldenBytes: the bundled samples publish exactly the
// Parquet files whose hashes testdata/samples.sha256 holds. A refactoring
// must leave them as they are; a change that means to change them (a new
// fact column, a new analysis column) rewrites the file with -update, and
// the diff shows which files it changed.
func TestSamplesPublishGoldenBytes(t *testing.T) {
	t.Run("fast reader", testGoldenBytes)
	// MARGINMIX_READER=excelize, the way back to excelize alone, publishes
	// the same bytes.
	t.Run("excelize", func(t *testing.T) {
		t.Setenv("MARGINMIX_READER", "excelize")
		testGoldenBytes(t)
	})
}

func testGoldenBytes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	runSamples(t, out)
	var b strings.Builder
	for _, o := range outputsOf(t, out) {
		fmt.Fprintf(&b, "%s  %s\n", o.SHA256, o.Path)
	}
	golden := filepath.Join("testdata", "samples.sha256")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("published files differ from %s (rerun with -update if that is meant):\n got:\n%s\nwant:\n%s", golden, got, want)
	}
}
