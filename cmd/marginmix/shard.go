package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/marginmix/marginmix/load/lake"
	"github.com/marginmix/marginmix/pipeline"
)

// shardFlags are the flags of one shard of a sharded run.
type shardFlags struct{ shard, batch string }

func addShardFlags(cmd *cobra.Command, sf *shardFlags) {
	f := cmd.Flags()
	f.StringVar(&sf.shard, "shard", "", "read only share I of N of the inbox (I counted from 0, such as 0/3) and stage it in --batch for `marginmix commit`")
	f.StringVar(&sf.batch, "batch", "", "with --shard: the batch to stage into; every shard of a batch and its commit name the same one")
}

// apply sets a shard's settings in cfg.
func (sf shardFlags) apply(cfg *pipeline.Config) error {
	if sf.shard == "" {
		if sf.batch != "" {
			return usageError{errors.New("--batch goes with --shard I/N (or with `marginmix commit`)")}
		}
		return nil
	}
	s, err := pipeline.ParseShard(sf.shard)
	if err != nil {
		return usageError{fmt.Errorf("--shard: %w", err)}
	}
	cfg.Shard, cfg.Batch = s, sf.batch
	return nil
}

// stageShard runs one shard. With an object storage --out it reads the
// published run's manifest into the cache, runs the shard there and
// uploads what it staged to _staging/<batch>/ beside the tables.
func stageShard(ctx context.Context, cfg pipeline.Config, lf lakeFlags, log *slog.Logger, run runFunc) (*pipeline.Summary, error) {
	if !lake.IsRemote(cfg.Out) {
		return run(ctx, cfg)
	}
	l, dir, err := openLake(ctx, cfg.Out, lf)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	remote := cfg.Out
	cfg.Out = filepath.Join(dir, "shard-base")
	if _, err := l.PullManifest(ctx, cfg.Out); err != nil {
		return nil, fmt.Errorf("read the published run from %s: %w", remote, err)
	}
	sum, err := run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := l.StageShard(ctx, sum.Staged, cfg.Batch, cfg.Shard.Folder(), pipeline.StagedRecord); err != nil {
		return nil, fmt.Errorf("stage shard %s in %s: %w", cfg.Shard, remote, err)
	}
	os.RemoveAll(sum.Staged)
	sum.Staged = remote + "/_staging/" + cfg.Batch + "/" + cfg.Shard.Folder()
	return sum, nil
}

// staged prints a shard's closing line. A shard exits 0 even when it
// quarantined workbooks: a Kubernetes Indexed Job would retry a failed
// index, and the commit reports the quarantine with exit status 3.
func staged(w io.Writer, cfg pipeline.Config, sum *pipeline.Summary) error {
	fmt.Fprintf(w, "staged shard %s of batch %s in %s: %d workbooks (%d read, %d unchanged, %d quarantined), %d facts read in %s\n",
		cfg.Shard, cfg.Batch, sum.Staged, len(sum.Inputs), sum.Read, sum.Unchanged, sum.Quarantined, sum.FactsRead,
		sum.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "once every shard is staged: marginmix commit --batch %s --out %s\n", cfg.Batch, cfg.Out)
	return nil
}

// batchPoll is how often commit --wait looks for the missing shards.
var batchPoll = 5 * time.Second

func newCommitCmd(stderr io.Writer) *cobra.Command {
	cfg := pipeline.Default()
	var lf lakeFlags
	var wait time.Duration
	logLevel := "info"
	cmd := &cobra.Command{
		Use:   "commit --batch NAME",
		Short: "Publish the shards of a sharded run as one run",
		Long: `commit publishes a batch that ` + "`run --shard I/N --batch NAME`" + ` (or backfill)
staged, once every one of its N shards is there: it builds the fact datasets
and analyses from what the shards read and publishes them once, as one run
over the whole inbox would have. It refuses a batch with shards missing (see
--wait), shards that disagree (another N, another inbox, another command), and
a batch read against a publication that has since been replaced. Once it has
published, the batch's staged files are removed (docs/operations.md).

` + exitHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(stderr, logLevel)
			if err != nil {
				return err
			}
			if err := pipeline.CheckBatch(cfg.Batch); err != nil {
				return usageError{fmt.Errorf("--%w", err)}
			}
			sum, err := commitBatch(cmd.Context(), cfg, lf, wait, log)
			if err != nil {
				return err
			}
			return summarise(stderr, cfg, sum)
		},
	}
	addBuildFlags(cmd, &cfg)
	addLakeFlags(cmd, &lf)
	f := cmd.Flags()
	f.StringVar(&cfg.Batch, "batch", "", "the batch to publish, as its shards named it (required)")
	f.DurationVar(&wait, "wait", 0, "wait this long for shards not staged yet (such as 2h), looking every 5s")
	f.StringVar(&logLevel, "log-level", logLevel, "debug, info, warn or error")
	return cmd
}

// commitBatch waits for the batch to be whole, then commits it: into the
// local --out, or into the cache's copy of an object storage --out and
// from there to the catalog.
func commitBatch(ctx context.Context, cfg pipeline.Config, lf lakeFlags, wait time.Duration, log *slog.Logger) (*pipeline.Summary, error) {
	if err := lf.check(cfg.Out); err != nil {
		return nil, err
	}
	if !lake.IsRemote(cfg.Out) {
		err := waitForBatch(ctx, cfg.Batch, wait, log, func() error { return pipeline.StagedShards(cfg.Out, cfg.Batch) })
		if err != nil {
			return nil, err
		}
		return pipeline.Commit(ctx, cfg, log)
	}
	return commitRemote(ctx, cfg, lf, wait, log)
}

func commitRemote(ctx context.Context, cfg pipeline.Config, lf lakeFlags, wait time.Duration, log *slog.Logger) (*pipeline.Summary, error) {
	l, dir, err := openLake(ctx, cfg.Out, lf)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	remote, local := cfg.Out, filepath.Join(dir, "out")
	shards, err := pipeline.ShardsDir(local, cfg.Batch)
	if err != nil {
		return nil, err
	}
	err = waitForBatch(ctx, cfg.Batch, wait, log, func() error {
		if err := l.FetchStaged(ctx, cfg.Batch, shards); err != nil {
			return err
		}
		return pipeline.StagedShards(local, cfg.Batch)
	})
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if _, err := l.Pull(ctx, local, log); err != nil {
		return nil, fmt.Errorf("read the published run from %s: %w", remote, err)
	}
	cfg.Out = local
	sum, err := pipeline.Commit(ctx, cfg, log)
	if err != nil || !(sum.Published || sum.NothingNew) {
		return sum, err
	}
	if err := publishPulled(ctx, l, local, remote, sum, began, log); err != nil {
		return nil, err
	}
	if _, err := l.DropStaged(ctx, cfg.Batch, began, sum.Published); err != nil {
		log.Warn("staged shards were not all removed; the next commit tries again", "err", err)
	}
	return sum, nil
}

// waitForBatch calls check until the batch is whole or wait has passed.
func waitForBatch(ctx context.Context, batch string, wait time.Duration, log *slog.Logger, check func() error) error {
	deadline := time.Now().Add(wait)
	for {
		err := check()
		var inc *pipeline.IncompleteError
		if !errors.As(err, &inc) || !time.Now().Before(deadline) {
			return err
		}
		log.Info("waiting for shards", "batch", batch, "missing", len(inc.Missing), "of", inc.N)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(batchPoll):
		}
	}
}
