//go:build duckdb_arrow

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/pipeline"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")

	code, _, stderr := run(t, "run", "--out", out)
	if code != exitOK || !strings.Contains(stderr, "published "+out+": 7 workbooks (7 read, 0 unchanged, 0 quarantined), 585 facts, 10 datasets in ") {
		t.Fatalf("run: %d\n%s", code, stderr)
	}

	inbox := filepath.Join(dir, "inbox")
	os.MkdirAll(inbox, 0o755)
	os.WriteFile(filepath.Join(inbox, "amzn_bad.xlsx"), []byte("not a workbook"), 0o644)
	code, _, stderr = run(t, "run", "--inbox", inbox, "--out", out)
	if code != exitQuarantined || !strings.Contains(stderr, "marginmix: 1 workbook(s) quarantined; see _manifest.json and _quarantine/") {
		t.Fatalf("quarantine: %d\n%s", code, stderr)
	}

	for _, args := range [][]string{
		{"run", "--workers", "0"},
		{"run", "--bogus"},
		{"run", "extra-arg"},
		{"run", "--inbox", filepath.Join(dir, "missing")},
		{"run", "--log-level", "loud"},
	} {
		if code, _, stderr := run(t, append(args, "--out", out)...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

// --out at a folder of the user's files is a usage error that says why,
// and the folder is left as it was.
func TestRunRefusesAnOutFolderOfUserFiles(t *testing.T) {
	docs := t.TempDir()
	mine := filepath.Join(docs, "notes.md")
	os.WriteFile(mine, []byte("mine"), 0o644)
	code, _, stderr := run(t, "run", "--out", docs)
	want := "marginmix: out: " + docs + " holds files that are not a marginmix publication (it has no _manifest.json); " +
		"marginmix publishes only into a missing or empty folder, or one it published before, and changed nothing\n"
	if code != exitUsage || stderr != want {
		t.Errorf("exit %d, stderr %q, want 2 and %q", code, stderr, want)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "mine" {
		t.Errorf("notes.md: %q, %v", b, err)
	}
}

// A mistyped flag names the flag meant.
func TestUnknownFlagSuggestsTheNearest(t *testing.T) {
	for args, want := range map[string]string{
		"run --inbx x":        "marginmix: unknown flag: --inbx (did you mean --inbox?)\n",
		"validate --spces x":  "marginmix: unknown flag: --spces (did you mean --specs?)\n",
		"run --nothing-alike": "marginmix: unknown flag: --nothing-alike\n",
	} {
		code, _, stderr := run(t, strings.Fields(args)...)
		if code != exitUsage || stderr != want {
			t.Errorf("%s: exit %d, %q; want 2, %q", args, code, stderr, want)
		}
	}
}

func TestUnknownCommandIsUsage(t *testing.T) {
	code, _, stderr := run(t, "bogus")
	if code != exitUsage || stderr != "marginmix: unknown command \"bogus\" for \"marginmix\"\n" {
		t.Fatalf("exit %d: %q", code, stderr)
	}
}

func TestHelpListsFlagsAndExitCodes(t *testing.T) {
	code, stdout, _ := run(t, "run", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--inbox", "--specs", "--out", "--workers", "--full", "Exit status:", "3    published, but some workbooks were quarantined",
		`(default "` + pipeline.FormatMemory(pipeline.DefaultMemory()) + `")`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	// Each flag states its default once (issue 16: --workers said it twice).
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Count(line, "default") > 1 {
			t.Errorf("a default said twice: %s", strings.TrimSpace(line))
		}
	}
}

func TestInterruptedExit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := execute(ctx, []string{"run", "--out", filepath.Join(t.TempDir(), "out")}, &out, &errb)
	if code != exitInterrupted {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

func TestValidate(t *testing.T) {
	code, stdout, stderr := run(t, "validate", "../../fixtures/samples/crwv_1q26_financials.xlsx")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"== ../../fixtures/samples/crwv_1q26_financials.xlsx (CRWV)\n",
		"cell                  metric            segment  calendar quarter  fiscal     as written  unit  value\n",
		"Financial Summary!J7  operating_income  Total    2026Q1            FY2026 Q1  -17         USD   -17000000\n",
		`note Financial Summary!A8: 2 rows not mapped to a metric and segment; skipped: "Operating margin" (A8), "Adjusted operating income" (A9)` + "\n",
		"18 facts, 1 note\n",
		"1 workbook(s): 1 read, 0 would be quarantined\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("validate output lacks %q:\n%s", want, stdout)
		}
	}

	// Microsoft's fiscal year ends in June: calendar 2026Q1 is its FY2026 Q3.
	_, stdout, _ = run(t, "validate", "../../fixtures/samples/msft_fy26q3_segments.xlsx")
	if want := "Segment Results!L12  revenue           Intelligent Cloud                    2026Q1            FY2026 Q3  34700       USD   34700000000\n"; !strings.Contains(stdout, want) {
		t.Errorf("validate output lacks %q:\n%s", want, stdout)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "amzn_broken.xlsx")
	os.WriteFile(bad, []byte("PK\x03\x04junk"), 0o644)
	code, stdout, stderr = run(t, "validate", bad)
	if code != exitQuarantined || !strings.Contains(stdout, "QUARANTINE amzn_broken.xlsx: corrupt workbook: zip: not a valid zip file\n") ||
		stderr != "marginmix: 1 workbook(s) would be quarantined\n" {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Fatal("validate wrote an output folder")
	}
	// With no files: the bundled samples, all readable.
	code, stdout, _ = run(t, "validate")
	if code != exitOK || !strings.Contains(stdout, "workbook(s): ") {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
}

// A second writer fails at once with exit status 1 and names the holder.
func TestSecondWriterExitsOne(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	l, err := load.Acquire(out, "schedule")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	code, _, stderr := run(t, "run", "--out", out)
	want := fmt.Sprintf(": output folder is locked by another writer: pid %d on ", os.Getpid())
	if code != exitFailed || !strings.Contains(stderr, want) || !strings.Contains(stderr, ", schedule since ") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
