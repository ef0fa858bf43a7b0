//go:build duckdb_arrow

package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/marginmix/marginmix/load"
)

// cancelAt is a log handler that cancels a context when a message is logged.
type cancelAt struct {
	msg    string
	cancel context.CancelFunc
}

func (h cancelAt) Enabled(context.Context, slog.Level) bool { return true }
func (h cancelAt) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.cancel()
	}
	return nil
}
func (h cancelAt) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h cancelAt) WithGroup(string) slog.Handler      { return h }

// DuckDB's own error for a statement stopped by a cancelled context
// becomes one that is context.Canceled; other errors stay as they are.
func TestInterruptIsCanceled(t *testing.T) {
	interrupt := errors.New("build fact tables: INTERRUPT Error: Interrupted!")
	ctx, cancel := context.WithCancel(context.Background())
	if got := asCanceled(ctx, interrupt); got != interrupt {
		t.Fatalf("live context: %v", got)
	}
	cancel()
	got := asCanceled(ctx, interrupt)
	if !errors.Is(got, context.Canceled) || got.Error() != "context canceled: build fact tables: INTERRUPT Error: Interrupted!" {
		t.Fatalf("cancelled: %v", got)
	}
	if again := asCanceled(ctx, got); again != got {
		t.Fatalf("wrapped twice: %v", again)
	}
	if asCanceled(ctx, nil) != nil {
		t.Fatal("nil became an error")
	}
}

// A run cancelled after its facts are loaded returns context.Canceled and
// publishes nothing.
func TestCancelledAfterLoadingPublishesNothing(t *testing.T) {
	inbox, out := inboxCopy(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, cfgFor(inbox, out), slog.New(cancelAt{msg: "fact datasets built", cancel: cancel}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want one that is context.Canceled", err)
	}
	if _, statErr := os.Stat(filepath.Join(out, load.ManifestName)); !os.IsNotExist(statErr) {
		t.Fatalf("a cancelled run published: %v", statErr)
	}
}
