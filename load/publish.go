package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Publication builds the next version of an output folder beside it and
// swaps it in with one rename, so readers see the old folder or the new one,
// never a mix. Hold the Lock while using it.
type Publication struct {
	Out   string // the output folder
	Dir   string // the staging folder being filled
	flipd bool
}

func stagePrefix(out string) string {
	return "." + filepath.Base(out) + ".next-"
}

// NewPublication creates an empty staging folder next to out.
func NewPublication(out, runID string) (*Publication, error) {
	out, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	dir := filepath.Join(filepath.Dir(out), stagePrefix(out)+runID)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("staging folder: %w", err)
	}
	return &Publication{Out: out, Dir: dir}, nil
}

// SweepStale removes staging folders left by runs that were killed. Call it
// only while holding the lock. A run killed in the middle of a swap by two
// renames (where RENAME_EXCHANGE is missing) left no output folder and the
// previous publication aside: that is put back first, never removed.
func SweepStale(out string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if restored, err := restoreAside(out, entries); err != nil {
		return fmt.Errorf("restore the previous publication: %w", err)
	} else if restored {
		if entries, err = os.ReadDir(filepath.Dir(out)); err != nil {
			return err
		}
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), stagePrefix(out)) {
			errs = append(errs, os.RemoveAll(filepath.Join(filepath.Dir(out), e.Name())))
		}
	}
	return errors.Join(errs...)
}

// Commit makes the staging folder the output folder: its files are synced,
// then the two folders are exchanged in one rename and the old one removed.
func (p *Publication) Commit() error {
	if err := syncTree(p.Dir); err != nil {
		return fmt.Errorf("sync staging folder: %w", err)
	}
	if _, err := os.Lstat(p.Out); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(p.Dir, p.Out); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		p.flipd = true
		return syncDir(filepath.Dir(p.Out))
	}
	if err := exchange(p.Dir, p.Out); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	p.flipd = true
	if err := syncDir(filepath.Dir(p.Out)); err != nil {
		return err
	}
	// p.Dir now holds the previous publication.
	return os.RemoveAll(p.Dir)
}

// Abort removes the staging folder of a publication that was not committed.
func (p *Publication) Abort() error {
	if p.flipd {
		return nil
	}
	return os.RemoveAll(p.Dir)
}

func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return syncDir(p)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// restoreAside puts a publication that swapByRename moved aside back in
// place of a missing output folder: the latest such folder that holds a
// manifest (staging names sort by run time).
func restoreAside(out string, entries []fs.DirEntry) (bool, error) {
	if _, err := os.Lstat(out); !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	var best string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, stagePrefix(out)) || !strings.HasSuffix(name, asideSuffix) {
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(out), name, ManifestName)); err == nil && name > best {
			best = name
		}
	}
	if best == "" {
		return false, nil
	}
	if err := os.Rename(filepath.Join(filepath.Dir(out), best), out); err != nil {
		return false, err
	}
	return true, syncDir(filepath.Dir(out))
}

// ResolveOut is the output folder with symbolic links resolved: the folder
// that is locked, staged beside and swapped. A link given as --out so stays
// a link (its target is replaced, not the link), and two paths to one
// folder share one lock. A link to a folder not made yet resolves to it.
func ResolveOut(out string) (string, error) {
	p, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	for range 40 { // as many links as the kernel follows
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return real, nil
		}
		fi, err := os.Lstat(p)
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(p), target)
			}
			p = filepath.Clean(target)
			continue
		}
		// Not there yet: its parent, resolved.
		parent, err := filepath.EvalSymlinks(filepath.Dir(p))
		if err != nil {
			return p, nil // made by the run (MkdirAll)
		}
		return filepath.Join(parent, filepath.Base(p)), nil
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", out)
}
