// Package load puts canonical facts into an embedded DuckDB through the
// Arrow interface, runs the SQL analyses, writes Parquet (zstd) and publishes
// the output folder atomically under a single-writer lock.
package load
