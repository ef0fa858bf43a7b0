package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
)

// RemoveOrphans deletes what a killed run uploaded and no snapshot, and no
// run record, refers to: data files, Iceberg metadata of a commit that never
// happened, and the files of runs never named. Only objects older than
// before are touched (pass the current run's start), so that a file being
// written this moment is never taken. It returns how many it removed.
func (l *Lake) RemoveOrphans(ctx context.Context, before time.Time, log *slog.Logger) (int, error) {
	ctx = l.ctx(ctx)
	keepRuns := map[string]bool{}
	removed := 0
	for id, err := range l.cat.ListTables(ctx, l.ns) {
		if err != nil {
			return removed, fmt.Errorf("catalog: tables of %s: %w", l.opts.Namespace, err)
		}
		tbl, err := l.cat.LoadTable(ctx, id)
		if err != nil {
			return removed, err
		}
		n, err := l.tableOrphans(ctx, tbl, before, keepRuns)
		removed += n
		if err != nil {
			return removed, fmt.Errorf("table %s: %w", strings.Join(id, "."), err)
		}
	}
	n, err := l.runOrphans(ctx, before, keepRuns)
	removed += n
	if removed > 0 {
		log.Info("removed orphan files", "files", removed)
	}
	return removed, err
}

// tableOrphans removes a table's unreferenced data and metadata files and
// notes the runs its snapshots came from.
func (l *Lake) tableOrphans(ctx context.Context, tbl *table.Table, before time.Time, keepRuns map[string]bool) (int, error) {
	keep, err := referenced(ctx, tbl, keepRuns)
	if err != nil {
		return 0, err
	}
	loc := strings.TrimRight(tbl.Location(), "/")
	n1, err := l.removeUnkept(loc+"/data", before, keep)
	if err != nil {
		return n1, err
	}
	n2, err := l.removeUnkept(loc+"/metadata", before, keep)
	return n1 + n2, err
}

// referenced is every file a table's metadata refers to: its metadata files,
// and each snapshot's manifest list, manifests and data files.
func referenced(ctx context.Context, tbl *table.Table, runs map[string]bool) (map[string]bool, error) {
	keep := map[string]bool{tbl.MetadataLocation(): true}
	for e := range tbl.Metadata().PreviousFiles() {
		keep[e.MetadataFile] = true
	}
	fsys, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	for _, snap := range tbl.Metadata().Snapshots() {
		if snap.Summary != nil && snap.Summary.Properties[PropRunID] != "" {
			runs[snap.Summary.Properties[PropRunID]] = true
		}
		keep[snap.ManifestList] = true
		if err := keepSnapshot(ctx, fsys, tbl, &snap, keep); err != nil {
			return nil, err
		}
	}
	return keep, nil
}

func keepSnapshot(ctx context.Context, fsys icebergio.IO, tbl *table.Table, snap *table.Snapshot, keep map[string]bool) error {
	manifests, err := snap.Manifests(fsys)
	if err != nil {
		return err
	}
	for _, m := range manifests {
		keep[m.FilePath()] = true
	}
	files, err := snapshotFiles(ctx, tbl, snap)
	for f := range files {
		keep[f] = true
	}
	return err
}

// runOrphans removes the files of runs that no snapshot came from and that
// the namespace does not name.
func (l *Lake) runOrphans(ctx context.Context, before time.Time, keepRuns map[string]bool) (int, error) {
	run, err := l.PublishedRun(ctx)
	if err != nil {
		return 0, err
	}
	keepRuns[run] = true
	root := l.location("_runs")
	locs, err := l.listOld(root, before)
	if err != nil {
		return 0, err
	}
	return l.removeWhere(locs, func(loc string) bool {
		id, _, _ := strings.Cut(strings.TrimPrefix(loc, root+"/"), "/")
		return !keepRuns[id]
	})
}

func (l *Lake) removeUnkept(root string, before time.Time, keep map[string]bool) (int, error) {
	locs, err := l.listOld(root, before)
	if err != nil {
		return 0, err
	}
	return l.removeWhere(locs, func(loc string) bool { return !keep[loc] })
}

// removeWhere deletes the objects an orphan test picks.
func (l *Lake) removeWhere(locs []string, orphan func(string) bool) (int, error) {
	removed := 0
	for _, loc := range locs {
		if !orphan(loc) {
			continue
		}
		if err := l.fs.Remove(loc); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove %s: %w", loc, err)
		}
		removed++
	}
	return removed, nil
}

// listOld lists the objects under root last written before a time.
func (l *Lake) listOld(root string, before time.Time) ([]string, error) {
	lio, ok := l.fs.(icebergio.ListableIO)
	if !ok {
		return nil, fmt.Errorf("%s: the store cannot be listed", l.opts.Warehouse)
	}
	var locs []string
	err := lio.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().Before(before) {
			locs = append(locs, p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	return locs, nil
}
