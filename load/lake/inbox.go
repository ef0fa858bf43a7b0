package lake

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	icebergio "github.com/apache/iceberg-go/io"
)

// MirrorInbox makes dst a copy of the workbooks under src (s3://bucket/
// prefix): new and changed objects are downloaded, files whose object is
// gone are removed. An object is taken as unchanged when the local copy has
// its size and its modification time. dst must be marginmix's own cache
// folder. It returns how many objects it downloaded.
func MirrorInbox(ctx context.Context, opts Options, src, dst string, log *slog.Logger) (int, error) {
	opts.Warehouse = src
	if err := checkWarehouse(src); err != nil {
		return 0, fmt.Errorf("--inbox: %w", err)
	}
	cfg, err := awsConfig(ctx, opts)
	if err != nil {
		return 0, fmt.Errorf("object storage credentials: %w", err)
	}
	l := &Lake{opts: opts, aws: cfg}
	ctx = l.ctx(ctx)
	if l.fs, err = icebergio.LoadFS(ctx, storeProps(opts), src); err != nil {
		return 0, fmt.Errorf("open %s: %w", src, err)
	}
	objs, err := l.objects(src)
	if err != nil {
		return 0, err
	}
	n, err := l.fetchChanged(objs, src, dst)
	if err != nil {
		return n, err
	}
	log.Info("inbox mirrored", "from", src, "objects", len(objs), "downloaded", n)
	return n, removeMissing(dst, objs)
}

// objects are the inbox's objects by path relative to root.
func (l *Lake) objects(root string) (map[string]fs.FileInfo, error) {
	root = strings.TrimRight(root, "/")
	lio, ok := l.fs.(icebergio.ListableIO)
	if !ok {
		return nil, fmt.Errorf("%s: the store cannot be listed", root)
	}
	objs := map[string]fs.FileInfo{}
	err := lio.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, root+"/")
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			return fmt.Errorf("object %s: its name leaves the inbox", p)
		}
		info, err := d.Info()
		objs[rel] = info
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	return objs, nil
}

func (l *Lake) fetchChanged(objs map[string]fs.FileInfo, src, dst string) (int, error) {
	n := 0
	for _, rel := range sortedKeys(objs) {
		info := objs[rel]
		local := filepath.Join(dst, filepath.FromSlash(rel))
		if st, err := os.Stat(local); err == nil && st.Size() == info.Size() && st.ModTime().Equal(info.ModTime()) {
			continue
		}
		tmp := local + ".part"
		if err := l.get(strings.TrimRight(src, "/")+"/"+rel, dst, rel+".part"); err != nil {
			os.Remove(tmp)
			return n, err
		}
		if err := os.Chtimes(tmp, info.ModTime(), info.ModTime()); err != nil {
			return n, err
		}
		if err := os.Rename(tmp, local); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// removeMissing deletes mirrored files whose object is gone.
func removeMissing(dst string, objs map[string]fs.FileInfo) error {
	return filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dst, p)
		if err != nil {
			return err
		}
		if _, ok := objs[filepath.ToSlash(rel)]; !ok {
			return os.Remove(p)
		}
		return nil
	})
}
