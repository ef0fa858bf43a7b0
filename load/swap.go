package load

import "os"

// swapByRename moves out aside, newDir into its place, and the old folder to
// newDir's name, so that the caller finds the previous publication where the
// staging folder was (as after a RENAME_EXCHANGE).
//
// A process killed between the first two renames leaves no output folder
// and the previous publication at newDir + ".old": SweepStale puts it back.
func swapByRename(newDir, out string) error {
	aside := newDir + asideSuffix
	if err := os.Rename(out, aside); err != nil {
		return err
	}
	if err := swapStep(1); err != nil {
		return err
	}
	if err := os.Rename(newDir, out); err != nil {
		_ = os.Rename(aside, out)
		return err
	}
	if err := swapStep(2); err != nil {
		return err
	}
	return os.Rename(aside, newDir)
}

// asideSuffix names where swapByRename keeps the previous publication while
// the new one moves in.
const asideSuffix = ".old"

// swapStep, set by tests, runs after each rename of swapByRename; an error
// stops it there, as a kill would.
var swapStep = func(int) error { return nil }
