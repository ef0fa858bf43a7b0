package schedule

import (
	"log/slog"

	"github.com/robfig/cron/v3"
)

// CronLogger adapts l to robfig/cron's Logger. Cron's routine messages
// (start, wake, run, stop) are logged at debug level, its errors at error.
func CronLogger(l *slog.Logger) cron.Logger { return cronLogger{l.With("component", "cron")} }

type cronLogger struct{ l *slog.Logger }

var _ cron.Logger = cronLogger{}

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, keyErr, err)...)
}
