package load

import "os"

// swapByRename moves out aside, newDir into its place, and the old folder to
// newDir's name, so that the caller finds the previous publication where the
// staging folder was (as after a RENAME_EXCHANGE).
func swapByRename(newDir, out string) error {
	aside := newDir + ".old"
	if err := os.Rename(out, aside); err != nil {
		return err
	}
	if err := os.Rename(newDir, out); err != nil {
		_ = os.Rename(aside, out)
		return err
	}
	return os.Rename(aside, newDir)
}
