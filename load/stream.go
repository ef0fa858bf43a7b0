//go:build duckdb_arrow

package load

import (
	"context"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Stream is an Arrow record reader fed by producers as they go, so that
// facts flow into DuckDB while workbooks are still being read and memory
// holds only what is in flight. Send from any goroutine; Close when done.
type Stream struct {
	schema *arrow.Schema
	ch     chan arrow.RecordBatch
	cur    arrow.RecordBatch
	refs   atomic.Int64
	rows   atomic.Int64
}

var _ array.RecordReader = (*Stream)(nil)

// NewStream makes a stream holding at most buffer batches in flight.
func NewStream(schema *arrow.Schema, buffer int) *Stream {
	s := &Stream{schema: schema, ch: make(chan arrow.RecordBatch, buffer)}
	s.refs.Store(1)
	return s
}

// Send hands a batch to the reader, waiting while the buffer is full.
func (s *Stream) Send(ctx context.Context, rec arrow.RecordBatch) error {
	rec.Retain()
	select {
	case s.ch <- rec:
		s.rows.Add(rec.NumRows())
		return nil
	case <-ctx.Done():
		rec.Release()
		return ctx.Err()
	}
}

// Close tells the reader no more batches come.
func (s *Stream) Close() { close(s.ch) }

// Rows is how many rows were sent.
func (s *Stream) Rows() int64 { return s.rows.Load() }

// Drain releases batches nobody will read (after the reader failed).
func (s *Stream) Drain() {
	for rec := range s.ch {
		rec.Release()
	}
}

func (s *Stream) Retain() { s.refs.Add(1) }

func (s *Stream) Release() {
	if s.refs.Add(-1) == 0 && s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
}

func (s *Stream) Schema() *arrow.Schema { return s.schema }

func (s *Stream) Next() bool {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	rec, ok := <-s.ch
	if !ok {
		return false
	}
	s.cur = rec
	return true
}

func (s *Stream) RecordBatch() arrow.RecordBatch { return s.cur }

// Record is RecordBatch under its older name.
func (s *Stream) Record() arrow.RecordBatch { return s.cur }

func (s *Stream) Err() error { return nil }

// Ingest copies a stream into a new table in groups of about groupRows
// rows, each its own statement, so that memory holds one group at a time.
// Each group goes through CreateTableFromArrow's materialise-at-once path.
// The table is NewFacts, in the in-memory database sharedDB, because
// DuckDB writes a table of the database file twice, to its write-ahead log
// and again at the checkpoint: on 500 supplements (1.68 M facts) ingesting
// took 5.9 s that way and 1.9 s into a temporary table, which DuckDB spills
// to its temporary folder past its memory limit (docs/performance.md). A
// temporary table would be its connection's alone; the fact build reads
// this one from several.
func (d *DB) Ingest(ctx context.Context, table string, s *Stream, groupRows int64) error {
	var group []arrow.RecordBatch
	var rows int64
	created := false
	flush := func() error {
		rdr, err := array.NewRecordReader(s.schema, group)
		for _, r := range group {
			r.Release()
		}
		group, rows = group[:0], 0
		if err != nil {
			return err
		}
		defer rdr.Release()
		if !created {
			created = true
			return d.CreateTableFromArrow(ctx, table, rdr)
		}
		return d.appendFromArrow(ctx, table, rdr)
	}
	for s.Next() {
		rec := s.RecordBatch()
		rec.Retain()
		group = append(group, rec)
		rows += rec.NumRows()
		if rows >= groupRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(group) > 0 || !created {
		return flush()
	}
	return nil
}
