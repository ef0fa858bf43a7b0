//go:build !linux

package load

// exchange swaps two folders with two renames; the output folder is briefly
// absent in between (never half-written).
func exchange(newDir, out string) error { return swapByRename(newDir, out) }
