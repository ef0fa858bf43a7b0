//go:build duckdb_arrow

package load

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// schedule runs every job once, on at most as many workers as it has, and
// never starts one that would take the running weights over the limit,
// unless it runs alone.
func TestScheduleBoundsWorkersAndWeight(t *testing.T) {
	weights := []int64{30, 30, 50, 90, 120, 10, 10, 10, 60, 40}
	var (
		mu              sync.Mutex
		ran             = make([]int, len(weights))
		busy            = map[int]bool{}
		inflight, peakW int64
		running, peakN  int
	)
	err := schedule([]int{0, 1, 2}, weights, 100, func(w, i int) error {
		mu.Lock()
		if busy[w] {
			t.Errorf("worker %d given job %d while busy", w, i)
		}
		busy[w] = true
		ran[i]++
		inflight += weights[i]
		running++
		if running > 1 && inflight > 100 {
			t.Errorf("job %d started with %d facts running", i, inflight)
		}
		peakW, peakN = max(peakW, inflight), max(peakN, running)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		busy[w] = false
		inflight -= weights[i]
		running--
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range ran {
		if n != 1 {
			t.Errorf("job %d ran %d times", i, n)
		}
	}
	if peakN < 2 || peakN > 3 {
		t.Errorf("at most %d jobs ran at once, want 2 or 3", peakN)
	}
	if peakW != 120 { // job 4 alone
		t.Errorf("peak weight %d, want 120 (the job over the limit, alone)", peakW)
	}
}

// After a job fails no other starts, and the first error is returned once
// those running end.
func TestScheduleStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("step 2 failed")
	var mu sync.Mutex
	var started []int
	err := schedule([]int{0, 1}, make([]int64, 50), 10, func(_, i int) error {
		mu.Lock()
		started = append(started, i)
		mu.Unlock()
		if i == 2 {
			return boom
		}
		time.Sleep(time.Millisecond)
		return nil
	})
	if err != boom {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if len(started) > 4 { // 0 to 3 may have started before 2 ended
		t.Errorf("%d jobs started after the failure: %v", len(started), started)
	}
}

// The build takes DuckDB to one thread only where at least half the facts
// are in ranges of at most half a step, which can run two at a time.
func TestMostlySideBySide(t *testing.T) {
	for _, c := range []struct {
		weights []int64
		want    bool
	}{
		{[]int64{50, 50, 50}, true},      // every range pairs
		{[]int64{51, 51, 51}, false},     // each runs alone
		{[]int64{100, 50, 50}, true},     // half the facts pair
		{[]int64{100, 49, 50}, false},    // less than half
		{[]int64{30, 60, 20, 10}, true},  // 60 of 120
		{[]int64{30, 90, 20, 10}, false}, // 60 of 150
	} {
		if got := mostlySideBySide(c.weights, 100); got != c.want {
			t.Errorf("mostlySideBySide(%v, 100) = %v, want %v", c.weights, got, c.want)
		}
	}
}
