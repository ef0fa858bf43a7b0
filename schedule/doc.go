// Package schedule runs a job on a cron schedule as a daemon: in an explicit
// time zone, without overlap, catching up a missed run at start, stopping
// gracefully, and reporting its health and metrics over HTTP.
package schedule
