//go:build duckdb_arrow

package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The inbox lists workbooks and links to workbooks, and skips lock files,
// hidden files, dangling links and links to folders.
func TestListInboxFollowsLinksToFiles(t *testing.T) {
	root := t.TempDir()
	inbox, elsewhere := filepath.Join(root, "inbox"), filepath.Join(root, "elsewhere")
	for _, d := range []string{inbox, elsewhere, filepath.Join(elsewhere, "folder"), filepath.Join(inbox, "q2")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(inbox, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(inbox, "amzn.xlsx"))
	write(filepath.Join(inbox, "q2", "msft.xlsx"))
	write(filepath.Join(inbox, "~$amzn.xlsx"))
	write(filepath.Join(inbox, ".hidden.xlsx"))
	write(filepath.Join(elsewhere, "orcl.xlsx"))
	link(filepath.Join(elsewhere, "orcl.xlsx"), "orcl.xlsx")
	link(filepath.Join(elsewhere, "gone.xlsx"), "gone.xlsx")
	link(filepath.Join(elsewhere, "folder"), "folder")
	link(filepath.Join(inbox, "q2", "msft.xlsx"), "msft-latest.xlsx")
	// A link out of the inbox is listed apart, to be refused unread; with
	// follow, it is read like the rest.
	got, outside, err := listInbox(inbox, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"amzn.xlsx", "msft-latest.xlsx", "q2/msft.xlsx"}; !reflect.DeepEqual(got, want) || !reflect.DeepEqual(outside, []string{"orcl.xlsx"}) {
		t.Fatalf("listInbox = %q, outside %q; want %q and [orcl.xlsx]", got, outside, want)
	}
	all, outside, err := listInbox(inbox, true)
	if want := []string{"amzn.xlsx", "msft-latest.xlsx", "orcl.xlsx", "q2/msft.xlsx"}; err != nil || !reflect.DeepEqual(all, want) || len(outside) != 0 {
		t.Fatalf("listInbox following links = %q, outside %q, %v; want %q", all, outside, err, want)
	}
	// The inbox itself may be a link.
	linked := filepath.Join(root, "linked-inbox")
	if err := os.Symlink(inbox, linked); err != nil {
		t.Fatal(err)
	}
	if again, _, err := listInbox(linked, false); err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("listInbox through a link = %q, %v; want %q", again, err, got)
	}
}
