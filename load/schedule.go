//go:build duckdb_arrow

package load

import "sync"

// schedule runs job(w, i) for every i of weights, in order, each on a
// worker that is free, as many at once as there are workers and as long as
// the weights of those running sum to at most limit (one alone may weigh
// more). After the first error no job starts; schedule returns that error
// once the running ones end.
func schedule[W any](workers []W, weights []int64, limit int64, job func(w W, i int) error) error {
	var (
		mu       sync.Mutex
		cond     = sync.NewCond(&mu)
		free     = append([]W(nil), workers...)
		inflight int64
		running  int
		first    error
	)
	done := func(w W, weight int64, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && first == nil {
			first = err
		}
		free = append(free, w)
		inflight -= weight
		running--
		cond.Broadcast()
	}
	mu.Lock()
	defer mu.Unlock()
	for i, weight := range weights {
		for first == nil && (len(free) == 0 || (running > 0 && inflight+weight > limit)) {
			cond.Wait()
		}
		if first != nil {
			break
		}
		w := free[len(free)-1]
		free = free[:len(free)-1]
		inflight += weight
		running++
		go func() { done(w, weight, job(w, i)) }()
	}
	for running > 0 {
		cond.Wait()
	}
	return first
}
