package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/load/lake"
	"github.com/marginmix/marginmix/pipeline"
)

// lakeFlags are the object storage flags (docs/operations.md).
type lakeFlags struct {
	catalog  string
	endpoint string
	cache    string
}

func addLakeFlags(cmd *cobra.Command, lf *lakeFlags) {
	f := cmd.Flags()
	f.StringVar(&lf.catalog, "catalog", "", "Iceberg catalog of an s3:// --out: sqlite:///path/catalog.db, postgres://user@host/db (password from PGPASSWORD or ~/.pgpass) or a REST catalog URL")
	f.StringVar(&lf.endpoint, "s3-endpoint", "", "S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3, else AWS)")
	f.StringVar(&lf.cache, "cache", "", "local folder where an s3:// --out or --inbox is staged (default: the user's cache folder)")
}

func (lf lakeFlags) options(out string) lake.Options {
	return lake.Options{Warehouse: out, Catalog: lf.catalog, Endpoint: lf.endpoint, MaxBackoff: lakeBackoff}
}

// lakeBackoff bounds the wait between tries of a request to the store; 0
// is the AWS SDK's default (20 s). Tests shorten it.
var lakeBackoff time.Duration

// cacheDir is where an object storage location is staged locally: one
// folder per location and catalog.
func (lf lakeFlags) cacheDir(loc string) (string, error) {
	root := lf.cache
	if root == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", usageError{fmt.Errorf("no cache folder for %s (%v): pass --cache", loc, err)}
		}
		root = filepath.Join(base, "marginmix")
	}
	h := sha256.Sum256([]byte(loc + "\n" + lf.catalog))
	name := strings.NewReplacer("s3://", "", "/", "_").Replace(strings.TrimRight(loc, "/"))
	return filepath.Join(root, name+"-"+hex.EncodeToString(h[:6])), nil
}

// check rejects flag combinations that cannot work, as usage errors.
func (lf lakeFlags) check(out string) error {
	if !lake.IsRemote(out) {
		if lf.catalog != "" {
			return usageError{fmt.Errorf("--catalog goes with an object storage --out (s3://bucket/prefix); %s is a local folder", out)}
		}
		return nil
	}
	if lf.catalog == "" {
		return usageError{fmt.Errorf("--out %s needs --catalog (sqlite:///path/catalog.db, postgres://user@host/db or a REST catalog URL): object storage has no atomic rename, and the catalog's snapshots are what make a publication atomic there", out)}
	}
	return nil
}

// runFunc is pipeline.Run or a backfill bound to its scope.
type runFunc func(ctx context.Context, cfg pipeline.Config) (*pipeline.Summary, error)

// runStaged runs a run or backfill, staging an object storage --inbox and
// --out in the local cache: the inbox is mirrored, the published run pulled,
// the pipeline run on the local folder, and what it published pushed.
func runStaged(ctx context.Context, cfg pipeline.Config, lf lakeFlags, log *slog.Logger, run runFunc) (*pipeline.Summary, error) {
	if err := lf.check(cfg.Out); err != nil {
		return nil, err
	}
	started := time.Now()
	if lake.IsRemote(cfg.Inbox) {
		dir, err := mirrorInbox(ctx, cfg.Inbox, lf, log)
		if err != nil {
			return nil, err
		}
		cfg.Inbox = dir
	}
	if cfg.Shard.Sharded() {
		return stageShard(ctx, cfg, lf, log, run)
	}
	if !lake.IsRemote(cfg.Out) {
		return run(ctx, cfg)
	}
	l, local, err := openAndPull(ctx, cfg.Out, lf, log)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	remote := cfg.Out
	cfg.Out = local
	sum, err := run(ctx, cfg)
	if err != nil || !(sum.Published || sum.NothingNew) {
		return sum, err
	}
	return sum, publishPulled(ctx, l, local, remote, sum, started, log)
}

// publishPulled publishes what a run published in the local copy of an
// object storage --out (or, when it found nothing new, puts back tables a
// killed run moved), then removes orphans older than the run.
func publishPulled(ctx context.Context, l *lake.Lake, local, remote string, sum *pipeline.Summary, started time.Time, log *slog.Logger) error {
	var err error
	if sum.NothingNew {
		err = repair(ctx, l, local, sum, log)
	} else {
		err = push(ctx, l, local, sum, log)
	}
	if err != nil {
		return fmt.Errorf("publish to %s: %w (the catalog still names the previous run)", remote, err)
	}
	if _, err := l.RemoveOrphans(ctx, started, log); err != nil {
		log.Warn("orphan files were not all removed; the next run tries again", "err", err)
	}
	return nil
}

func push(ctx context.Context, l *lake.Lake, local string, sum *pipeline.Summary, log *slog.Logger) error {
	pub, err := publication(local, sum)
	if err != nil {
		return err
	}
	return l.Publish(ctx, pub, log)
}

// repair publishes the pulled run again when a killed run left some tables
// past it, so that every table is back at the published run.
func repair(ctx context.Context, l *lake.Lake, local string, sum *pipeline.Summary, log *slog.Logger) error {
	drifted, err := l.Drifted(ctx)
	if err != nil || !drifted {
		return err
	}
	log.Warn("tables moved past the published run (a run was killed while committing); putting them back")
	return push(ctx, l, local, sum, log)
}

func mirrorInbox(ctx context.Context, inbox string, lf lakeFlags, log *slog.Logger) (string, error) {
	dir, err := lf.cacheDir(inbox)
	if err != nil {
		return "", err
	}
	dir = filepath.Join(dir, "inbox")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if _, err := lake.MirrorInbox(ctx, lf.options(inbox), inbox, dir, log); err != nil {
		return "", fmt.Errorf("--inbox %s: %w", inbox, err)
	}
	return dir, nil
}

// openAndPull opens the catalog of an object storage --out and brings its
// published run into the local cache, returning the cache's output folder.
func openAndPull(ctx context.Context, out string, lf lakeFlags, log *slog.Logger) (*lake.Lake, string, error) {
	l, dir, err := openLake(ctx, out, lf)
	if err != nil {
		return nil, "", err
	}
	local := filepath.Join(dir, "out")
	if _, err := l.Pull(ctx, local, log); err != nil {
		l.Close()
		return nil, "", fmt.Errorf("read the published run from %s: %w", out, err)
	}
	return l, local, nil
}

// openLake opens the catalog of an object storage --out and makes its
// folder in the cache.
func openLake(ctx context.Context, out string, lf lakeFlags) (*lake.Lake, string, error) {
	dir, err := lf.cacheDir(out)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	l, err := lake.Open(ctx, lf.options(out))
	if err != nil {
		return nil, "", err
	}
	return l, dir, nil
}

// publication describes a local publication for the lake: the manifest's
// Parquet outputs are the tables' files; every other file (the manifest,
// the state catalog, the quarantine) belongs to the run.
func publication(dir string, sum *pipeline.Summary) (lake.Publication, error) {
	pub := lake.Publication{Dir: dir, Summary: map[string]string{
		"seq":         strconv.Itoa(sum.Seq),
		"version":     pipeline.Version,
		"workbooks":   strconv.Itoa(len(sum.Inputs)),
		"read":        strconv.Itoa(sum.Read),
		"unchanged":   strconv.Itoa(sum.Unchanged),
		"quarantined": strconv.Itoa(sum.Quarantined),
		"facts":       strconv.FormatInt(sum.Facts, 10),
	}}
	m, err := load.ReadManifest(filepath.Join(dir, load.ManifestName))
	if err != nil {
		return pub, fmt.Errorf("the run's manifest: %w", err)
	}
	pub.RunID, pub.Summary["command"] = m.RunID, m.Command
	outputs := map[string]bool{}
	for _, o := range m.Outputs {
		if strings.HasSuffix(o.Path, ".parquet") {
			pub.Files = append(pub.Files, lake.File{Path: o.Path, SHA256: o.SHA256, Rows: o.Rows})
			outputs[o.Path] = true
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			if rel = filepath.ToSlash(rel); !outputs[rel] {
				pub.Meta = append(pub.Meta, rel)
			}
		}
		return err
	})
	return pub, err
}

// readable returns a local folder holding what out publishes: out itself,
// or the object storage publication pulled into the cache.
func readable(ctx context.Context, out string, lf lakeFlags) (string, error) {
	if err := lf.check(out); err != nil || !lake.IsRemote(out) {
		return out, err
	}
	log := slog.New(slog.DiscardHandler)
	l, local, err := openAndPull(ctx, out, lf, log)
	if err != nil {
		return "", err
	}
	defer l.Close()
	if _, err := os.Stat(filepath.Join(local, load.ManifestName)); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: nothing is published there yet (no run is named in the catalog)", out)
	}
	return local, nil
}
