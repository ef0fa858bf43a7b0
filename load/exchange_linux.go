package load

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps two folders atomically with renameat2(RENAME_EXCHANGE).
// Where the file system does not support it, it falls back to two renames,
// between which the output folder is briefly absent (never half-written).
func exchange(newDir, out string) error {
	err := unix.Renameat2(unix.AT_FDCWD, newDir, unix.AT_FDCWD, out, unix.RENAME_EXCHANGE)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.ENOTSUP) {
		return &os.LinkError{Op: "renameat2", Old: newDir, New: out, Err: err}
	}
	return swapByRename(newDir, out)
}
