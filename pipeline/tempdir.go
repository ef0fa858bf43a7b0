package pipeline

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tempPrefix names the folders a run keeps DuckDB's database in.
const tempPrefix = "marginmix-db-"

// workFolder makes a run's temporary folder in dir ("" for the system's)
// and holds an flock on a file inside it for as long as the run lives.
// Before that it removes the folders of runs that died without cleaning up
// (SIGKILL, power loss): a folder whose lock nobody holds. A DuckDB file of
// a large run takes hundreds of megabytes, so they must not pile up.
// release closes the lock and removes the folder.
func workFolder(dir string, log *slog.Logger) (path string, release func(), err error) {
	sweepWorkFolders(dir, log)
	path, err = os.MkdirTemp(dir, tempPrefix)
	if err != nil {
		return "", nil, err
	}
	// The lock file gets its name only once it is locked: a sweep running
	// at this moment in another process opens owner.lock only, so it can
	// never take a folder being made for a dead run's.
	f, err := os.OpenFile(filepath.Join(path, "owner.lock.new"), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		os.RemoveAll(path)
		return "", nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		// A file system without flock (some FUSE and NFS mounts): the run
		// goes on; its folder, never named owner.lock, is never swept.
		log.Warn("cannot lock the temporary folder; a run killed now would leave it behind", "folder", path, "error", err)
	} else if err := os.Rename(f.Name(), filepath.Join(path, "owner.lock")); err != nil {
		f.Close()
		os.RemoveAll(path)
		return "", nil, err
	}
	return path, func() {
		os.RemoveAll(path)
		f.Close()
	}, nil
}

// sweepWorkFolders removes the temporary folders of dead runs in dir.
// A folder without a lock file is left alone: it may be one being made.
func sweepWorkFolders(dir string, log *slog.Logger) {
	if dir == "" {
		dir = os.TempDir()
	}
	entries, _ := os.ReadDir(dir) // not a glob: dir is taken literally
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		m := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(filepath.Join(m, "owner.lock"), os.O_RDWR, 0)
		if err != nil {
			continue
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close() // a live run's
			continue
		}
		if err == nil {
			if rmErr := os.RemoveAll(m); rmErr == nil {
				log.Info("removed the temporary folder of a run that did not finish", "folder", m)
			}
		}
		f.Close()
	}
}
