//go:build duckdb_arrow

package pipeline

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretLink puts a link in a copy of the sample inbox to a private (0600)
// file outside it, and returns the config and the secret.
func secretLink(t *testing.T) (Config, string) {
	t.Helper()
	inbox, out := inboxCopy(t)
	secret := "TOPSECRET-" + strings.Repeat("k", 20)
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(path, filepath.Join(inbox, "amzn_notes.xlsx")); err != nil {
		t.Fatal(err)
	}
	return cfgFor(inbox, out), secret
}

// noSecret fails if any file under out holds the secret or a piece of it.
func noSecret(t *testing.T, out, secret string) {
	t.Helper()
	filepath.WalkDir(out, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), secret[:8]) {
			t.Errorf("%s holds the secret's bytes", p)
		}
		return nil
	})
}

// A link to a file outside the inbox is quarantined unread and uncopied:
// its reason names the link, and no byte of it is published.
func TestLinkOutOfInboxNotFollowed(t *testing.T) {
	cfg, secret := secretLink(t)
	sum, err := Run(context.Background(), cfg, nil)
	if err != nil || sum.Quarantined != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	in := inputNamed(t, sum.Inputs, "amzn_notes.xlsx")
	if in.Status != "quarantined" || in.SHA256 != "" ||
		in.Reason != "amzn_notes.xlsx: a link to a file outside the inbox; not followed (--follow-links reads such links)" {
		t.Errorf("input %+v", in)
	}
	if _, err := os.Lstat(filepath.Join(cfg.Out, "_quarantine", "amzn_notes.xlsx")); err == nil {
		t.Error("the link's target was copied into _quarantine/")
	}
	noSecret(t, cfg.Out, secret)
	// Nothing changed: the next run publishes nothing.
	if again, err := Run(context.Background(), cfg, nil); err != nil || !again.NothingNew {
		t.Errorf("second run: %+v, %v", again, err)
	}
}

// With --follow-links the file is read (it is no workbook), and its copy in
// _quarantine/ is no more readable than the file; the reason says what it
// looks like, not what it holds.
func TestFollowedLinkKeepsItsPermissions(t *testing.T) {
	cfg, secret := secretLink(t)
	cfg.FollowLinks = true
	sum, err := Run(context.Background(), cfg, nil)
	if err != nil || sum.Quarantined != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	if r := inputNamed(t, sum.Inputs, "amzn_notes.xlsx").Reason; r != "amzn_notes.xlsx: not an .xlsx workbook: not a zip package (it looks like text, such as a CSV file)" {
		t.Errorf("reason %q", r)
	}
	st, err := os.Stat(filepath.Join(cfg.Out, "_quarantine", "amzn_notes.xlsx"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("quarantine copy: %v, %v; want mode 0600", st, err)
	}
	os.Remove(filepath.Join(cfg.Out, "_quarantine", "amzn_notes.xlsx")) // the one place the bytes may be
	noSecret(t, cfg.Out, secret)
}

// A file over maxQuarantineCopy is quarantined with its reason but not
// copied: a refused 1 GiB file must not be copied at every publication.
func TestLargeRefusedFileNotCopied(t *testing.T) {
	inbox, out := inboxCopy(t)
	big := filepath.Join(inbox, "amzn_big.xlsx")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxQuarantineCopy + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	sum, err := Run(context.Background(), cfgFor(inbox, out), nil)
	if err != nil || sum.Quarantined != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	q := filepath.Join(out, "_quarantine", "amzn_big.xlsx")
	if _, err := os.Stat(q); err == nil {
		t.Error("a file over the limit was copied into _quarantine/")
	}
	if b, err := os.ReadFile(q + ".reason.txt"); err != nil || !strings.HasPrefix(string(b), "amzn_big.xlsx: ") {
		t.Errorf("reason %q, %v", b, err)
	}
}
