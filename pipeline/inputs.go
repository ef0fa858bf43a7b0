package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/marginmix/marginmix/fixtures"
	"github.com/marginmix/marginmix/transform"
)

// ErrNoSpec: no spec's file globs match a workbook.
var ErrNoSpec = errors.New("no spec matches this file (add one to the specs folder)")

// loadSpecs reads every *.yaml / *.yml file of a specs folder, in name order.
func loadSpecs(fsys fs.FS) ([]*transform.Spec, error) {
	var specs []*transform.Spec
	err := fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		s, err := transform.ParseSpecBytes(p, b)
		if err != nil {
			return err
		}
		specs = append(specs, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return nil, errors.New("no *.yaml specs found")
	}
	return specs, nil
}

func specsFS(dir string) fs.FS {
	if dir == "" {
		return fixtures.Specs()
	}
	return os.DirFS(dir)
}

// calendars gives each company's fiscal calendar from its (first) spec.
func calendars(specs []*transform.Spec) func(string) (transform.Calendar, bool) {
	m := map[string]transform.Calendar{}
	for _, s := range specs {
		if _, ok := m[s.Company]; !ok && s.Company != "" {
			m[s.Company] = s.Calendar()
		}
	}
	return func(c string) (transform.Calendar, bool) {
		cal, ok := m[c]
		return cal, ok
	}
}

// ignored reports whether an inbox entry is not a workbook to read: hidden
// files, Excel's lock files (~$Book.xlsx), editors' temporary files, and
// folders starting with _ or . (such as an output folder inside the inbox).
func ignored(name string, dir bool) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
		return true
	}
	if dir {
		return strings.HasPrefix(name, "_")
	}
	for _, suf := range []string{"~", ".tmp", ".part", ".crdownload", ".swp"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// listInbox returns the inbox's files as slash-separated paths relative to
// it, sorted.
func listInbox(dir string, follow bool) (files, outside []string, err error) {
	// An inbox that is itself a link is walked where it leads (WalkDir
	// does not follow a link at its root).
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if ignored(e.Name(), e.IsDir()) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !e.Type().IsRegular() {
			// A link to a workbook in the inbox is read; one that leads
			// out of it only with --follow-links (a link to a private
			// file must not publish it). A link to a folder, a dangling
			// link, a pipe or a device is not read.
			if e.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				return nil
			}
			if !follow && !within(dir, p) {
				outside = append(outside, rel)
				return nil
			}
		}
		files = append(files, rel)
		return nil
	})
	sort.Strings(files)
	sort.Strings(outside)
	return files, outside, err
}

// within reports whether p, links resolved, lies inside the folder root
// (itself resolved).
func within(root, p string) bool {
	real, err := filepath.EvalSymlinks(p)
	return err == nil && under(root, real)
}

// under reports, by the paths' text, whether p is root or lies inside it.
func under(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// ErrLinkOutside: a link in the inbox leads to a file outside it.
var ErrLinkOutside = errors.New("a link to a file outside the inbox; not followed (--follow-links reads such links)")

// materialise copies an embedded folder of workbooks to a temporary folder
// in parent ("" for the system's), since excelize reads files.
func materialise(fsys fs.FS, parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, "marginmix-samples-")
	if err != nil {
		return "", err
	}
	err = fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		src, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		f, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, src); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("bundled samples: %w", err)
	}
	return dir, nil
}

// copyFile copies src to dst, creating dst's folder.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	// The copy is readable by no more than the source: a 0600 file stays
	// private in _quarantine/.
	perm := st.Mode().Perm() & 0o666
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if err := out.Chmod(perm); err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
