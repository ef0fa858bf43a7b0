// Command floor reads every workbook below a folder the cheapest ways there
// are, for bench/run.sh to compare marginmix with:
//
//	floor -mode raw   -workers N DIR   excelize Rows() with raw values: non-empty cells
//	floor -mode unzip -workers N DIR   decompress each sheet part, count "<c " tags
//
// It prints one line: mode, workers, files, cells, seconds.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/marginmix/marginmix/bench"
)

func main() {
	mode := flag.String("mode", "raw", "raw or unzip")
	workers := flag.Int("workers", 1, "files read in parallel")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: floor -mode raw|unzip [-workers N] DIR")
		os.Exit(2)
	}
	count := bench.RawCells
	switch *mode {
	case "raw":
	case "unzip":
		count = bench.ZipCells
	default:
		fmt.Fprintf(os.Stderr, "floor: unknown mode %q\n", *mode)
		os.Exit(2)
	}
	files, err := bench.Workbooks(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	start := time.Now()
	cells, err := bench.ForEach(files, *workers, count)
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("mode=%s workers=%d files=%d cells=%d seconds=%.3f\n", *mode, *workers, len(files), cells, elapsed.Seconds())
}
