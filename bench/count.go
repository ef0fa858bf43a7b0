// Package bench holds the measuring tools of bench/run.sh: the floors that
// marginmix's reading is compared with (excelize's raw row iterator, and
// decompressing the sheets and counting their cells), the synthetic facts
// the analyses are timed on, and Go benchmarks of each stage.
package bench

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/xuri/excelize/v2"
)

// Workbooks lists the .xlsx files below dir, in path order.
func Workbooks(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(strings.ToLower(d.Name()), ".xlsx") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// RawCells reads every sheet of a workbook with excelize's streaming row
// iterator and raw cell values, the way marginmix's extract step reads, and
// returns the number of non-empty cells. It is the floor marginmix builds on.
func RawCells(path string) (int, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	raw := excelize.Options{RawCellValue: true}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.Rows(sheet)
		if err != nil {
			return n, err
		}
		for rows.Next() {
			cols, err := rows.Columns(raw)
			if err != nil {
				rows.Close()
				return n, err
			}
			for _, v := range cols {
				if v != "" {
					n++
				}
			}
		}
		if err := rows.Close(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// cellTag is how every cell element starts in a worksheet part.
var cellTag = []byte("<c ")

// ZipCells decompresses every worksheet part of a workbook and counts the
// cell elements in it, without parsing any XML: the limit of the medium.
// It counts every cell written, empty or not.
func ZipCells(path string) (int, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	n := 0
	buf := make([]byte, 64<<10)
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/") || !strings.HasSuffix(f.Name, ".xml") ||
			strings.Contains(f.Name[len("xl/worksheets/"):], "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return n, err
		}
		c, err := countTag(rc, buf)
		rc.Close()
		n += c
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// countTag counts cellTag in r, including occurrences that straddle reads.
func countTag(r io.Reader, buf []byte) (int, error) {
	keep := len(cellTag) - 1
	n, have := 0, 0
	for {
		m, err := r.Read(buf[have:])
		have += m
		n += bytes.Count(buf[:have], cellTag)
		if have >= keep {
			// The last keep bytes cannot hold a whole tag; carry them over.
			copy(buf, buf[have-keep:have])
			have = keep
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// ForEach runs count over files on workers goroutines and returns the total.
func ForEach(files []string, workers int, count func(string) (int, error)) (int64, error) {
	var total atomic.Int64
	var first error
	var mu sync.Mutex
	jobs := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				n, err := count(p)
				total.Add(int64(n))
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range files {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	return total.Load(), first
}
