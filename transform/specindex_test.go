package transform

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// The index finds exactly the specs that trying every spec finds, in the
// same order, over random globs and paths.
func TestSpecIndexMatchesEverySpec(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pick := func(parts ...string) string { return parts[rng.Intn(len(parts))] }
	var specs []*Spec
	for i := 0; i < 300; i++ {
		var files []string
		for j := 0; j <= rng.Intn(3); j++ {
			files = append(files, pick("t", "t0", "a", "", "sub/", "*/", "[ab]")+fmt.Sprint(rng.Intn(30))+pick("_*.xlsx", "*", ".xlsx", "?x*", `\*x`, "_1q26_supplement.xlsx"))
		}
		specs = append(specs, &Spec{Name: fmt.Sprint(i), Files: files})
	}
	x := NewSpecIndex(specs)
	matched := 0
	for i := 0; i < 3000; i++ {
		rel := pick("", "sub/", "a/b/") + pick("t", "t0", "a", "b", "*") + fmt.Sprint(rng.Intn(30)) + pick("_1q26_supplement.xlsx", ".xlsx", "xx", "_x")
		var want []*Spec
		for _, s := range specs {
			if s.Matches(rel) {
				want = append(want, s)
			}
		}
		if got := x.Match(rel); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: index %d specs, every spec %d", rel, len(got), len(want))
		}
		if len(want) > 0 {
			matched++
		}
	}
	if matched < 300 {
		t.Fatalf("only %d of 3000 paths matched a spec; the test tests little", matched)
	}
}
