//go:build duckdb_arrow

package load

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ReaderFindingsTable is the table data_quality reads the reader's findings
// from: one row per finding of a workbook read or kept, and one per
// workbook quarantined.
const ReaderFindingsTable = "reader_findings"

var readerFindingsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "source_file", Type: arrow.BinaryTypes.String},
	{Name: "company", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "sheet", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "cells", Type: arrow.BinaryTypes.String},
	{Name: "message", Type: arrow.BinaryTypes.String},
}, nil)

// LoadReaderFindings creates ReaderFindingsTable from the run's inputs, in
// their order. cells is "file:Sheet!A1; file:Sheet!A5", as elsewhere in
// data_quality; a finding about a whole sheet or workbook names the file.
func (d *DB) LoadReaderFindings(ctx context.Context, inputs []Input) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, readerFindingsSchema)
	defer b.Release()
	add := func(in Input, sheet, cells, message string) {
		b.Field(0).(*array.StringBuilder).Append(in.Path)
		appendOrNull(b.Field(1).(*array.StringBuilder), in.Company)
		b.Field(2).(*array.StringBuilder).Append(in.Status)
		appendOrNull(b.Field(3).(*array.StringBuilder), sheet)
		b.Field(4).(*array.StringBuilder).Append(cells)
		b.Field(5).(*array.StringBuilder).Append(message)
	}
	for _, in := range inputs {
		if in.Status == StatusQuarantined {
			add(in, "", in.Path, in.Reason)
			continue
		}
		for _, f := range in.Findings {
			add(in, f.Sheet, findingCells(in.Path, f), f.Message)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rdr, err := array.NewRecordReader(readerFindingsSchema, []arrow.RecordBatch{rec})
	if err != nil {
		return err
	}
	defer rdr.Release()
	if err := d.Exec(ctx, "DROP TABLE IF EXISTS "+ReaderFindingsTable); err != nil {
		return err
	}
	return d.CreateTableFromArrow(ctx, ReaderFindingsTable, rdr)
}

func appendOrNull(b *array.StringBuilder, s string) {
	if s == "" {
		b.AppendNull()
		return
	}
	b.Append(s)
}

// findingCells is where a finding is, as data_quality writes cells.
func findingCells(file string, f Finding) string {
	cells := f.Cells
	if len(cells) == 0 && f.Cell != "" {
		cells = []string{f.Cell}
	}
	switch {
	case len(cells) == 0 && f.Sheet == "":
		return file
	case len(cells) == 0:
		return file + ":" + f.Sheet
	}
	parts := make([]string, len(cells))
	for i, c := range cells {
		parts[i] = file + ":" + f.Sheet + "!" + c
	}
	return strings.Join(parts, "; ")
}
