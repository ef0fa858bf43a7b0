package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// stagingDir holds the batches of sharded runs: _staging/<batch>/<shard>/,
// beside the tables, where neither a table nor orphan removal looks.
const stagingDir = "_staging"

// PullManifest makes dir hold the published run's manifest and nothing
// else, which is all a shard needs of the publication: what was read and
// with which hashes. It returns the run's id, "" when none is published.
func (l *Lake) PullManifest(ctx context.Context, dir string) (string, error) {
	run, err := l.PublishedRun(l.ctx(ctx))
	if err != nil {
		return "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil || run == "" {
		return run, err
	}
	return run, l.get(l.location("_runs", run, manifestName), dir, manifestName)
}

// StageShard uploads a shard's staging folder to _staging/<batch>/<shard>/,
// its record last: a shard without its record is not staged. What an
// earlier attempt of the shard staged is removed first, record first.
func (l *Lake) StageShard(ctx context.Context, dir, batch, shard, record string) error {
	root := l.location(stagingDir, batch, shard)
	old, err := l.list(root)
	if err != nil {
		return err
	}
	if _, err := l.removeWhere([]string{root + "/" + record}, func(string) bool { return true }); err != nil {
		return err
	}
	if _, err := l.removeWhere(old, func(string) bool { return true }); err != nil {
		return err
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != record {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, p := range append(files, filepath.Join(dir, record)) {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if err := l.put(ctx, p, root+"/"+filepath.ToSlash(rel)); err != nil {
			return err
		}
	}
	return nil
}

// FetchStaged makes dst a copy of the batch's staged shards, downloading
// only what is new or changed since the last call.
func (l *Lake) FetchStaged(ctx context.Context, batch, dst string) error {
	root := l.location(stagingDir, batch)
	objs, err := l.objects(root)
	if errors.Is(err, fs.ErrNotExist) {
		objs = nil // no shard has staged yet
	} else if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if _, err := l.fetchChanged(objs, root, dst); err != nil {
		return fmt.Errorf("batch %s: %w", batch, err)
	}
	return removeMissing(dst, objs)
}

// DropStaged removes a committed batch and, when others is set (a run was
// published), every staged object written before the commit began: such
// batches were read against the publication this one replaced, and a
// commit would refuse them. It returns how many objects it removed.
func (l *Lake) DropStaged(ctx context.Context, batch string, before time.Time, others bool) (int, error) {
	locs, err := l.list(l.location(stagingDir, batch))
	if err != nil {
		return 0, err
	}
	if others {
		old, err := l.listOld(l.location(stagingDir), before)
		if err != nil {
			return 0, err
		}
		locs = append(locs, old...)
	}
	seen := map[string]bool{}
	return l.removeWhere(locs, func(loc string) bool {
		first := !seen[loc]
		seen[loc] = true
		return first
	})
}
