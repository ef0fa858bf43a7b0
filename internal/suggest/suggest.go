// Package suggest finds the word a typo was meant to be: "--inbx" is
// "--inbox", "fiscal_yaer_end" is "fiscal_year_end".
package suggest

// Nearest returns the candidate closest to word by edit distance, if it is
// close enough to be the one meant (at most a third of its length, and 3),
// else "".
func Nearest(word string, candidates []string) string {
	best, bestD := "", 4
	limit := min(3, max(1, len(word)/3))
	for _, c := range candidates {
		if d := distance(word, c); d < bestD && d <= limit {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Damerau–Levenshtein distance (with adjacent swaps) of a
// and b, in bytes.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
