package transform

import (
	"strings"
	"sync"
	"sync/atomic"
)

// memo caches a pure function of a string. Labels repeat: the same row and
// column labels come back on every sheet and in every workbook of a
// season, and their regular expressions were a tenth of a read. The cache
// stops growing at memoCap entries (a hostile workbook of unique labels
// then costs what it did); it is safe for the concurrent workers.
type memo[V any] struct {
	f func(string) V
	m sync.Map
	n atomic.Int64
}

const memoCap = 1 << 16

func newMemo[V any](f func(string) V) *memo[V] { return &memo[V]{f: f} }

func (c *memo[V]) get(s string) V {
	if v, ok := c.m.Load(s); ok {
		return v.(V)
	}
	v := c.f(s)
	if len(s) <= 256 && c.n.Add(1) <= memoCap {
		c.m.Store(s, v)
	}
	return v
}

type parsedLabel struct {
	l  Label
	ok bool
}

var (
	labelMemo  = newMemo(func(s string) parsedLabel { l, ok := parseLabel(s); return parsedLabel{l, ok} })
	cleanMemo  = newMemo(cleanLabelNow)
	levelMemo  = newMemo(func(s string) bool { return reNotLevel.MatchString(strings.ToLower(s)) })
	vocabMemo  = newMemo(vocabKeyNow)
	shareMemo  = newMemo(rePerShare.MatchString)
	attribMemo = newMemo(netAttributableNow)
)

// ParseLabel reads a period label (parseLabel), remembered.
func ParseLabel(s string) (Label, bool) {
	p := labelMemo.get(s)
	return p.l, p.ok
}

// cleanLabel tidies a row label (cleanLabelNow), remembered.
func cleanLabel(s string) string { return cleanMemo.get(s) }

// notLevel reports a label of a change, ratio or growth rather than a level
// (reNotLevel), remembered.
func notLevel(label string) bool { return levelMemo.get(label) }

// vocabKey is a label's NormKey in the dictionary's wording (vocabKeyNow),
// remembered: every label the dictionary misses comes through it.
func vocabKey(k string) string { return vocabMemo.get(k) }

// perShare reports a per-share or share-count line (rePerShare),
// remembered: every data row's label is asked.
func perShare(label string) bool { return shareMemo.get(label) }

// netAttributable reports a "Net income attributable to <the registrant>"
// line (netAttributableNow), remembered: every label the dictionary and
// the vocabulary miss is asked.
func netAttributable(k string) bool { return attribMemo.get(k) }
