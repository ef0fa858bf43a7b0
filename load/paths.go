package load

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// pathSpecials are the characters that a path must not hold where DuckDB
// or a glob reads it: glob syntax ([ ] * ? { } \) and '?', which DuckDB
// takes as the start of a database's options.
const pathSpecials = `[]*?{}\`

// globEscape escapes a path for filepath.Glob, so that a folder named
// "out[2]" is that folder and not "out2".
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`[]*?\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// aliases maps folders whose paths hold pathSpecials to symbolic links of
// plain names, made once per process in a folder of its own.
var aliases struct {
	sync.Mutex
	dir string
	of  map[string]string
}

// plainPath is p as DuckDB can take it literally: p itself when it holds
// no special character, else the same file reached through a link of a
// plain name to the deepest folder of p whose name holds one (which must
// exist, or be p's parent that the caller is about to fill). What follows
// in p, and any glob the caller appends, stays as it is.
func plainPath(p string) (string, error) {
	if !strings.ContainsAny(p, pathSpecials) {
		return p, nil
	}
	p = filepath.Clean(p)
	parts := strings.Split(p, string(filepath.Separator))
	last := 0
	for i, part := range parts {
		if strings.ContainsAny(part, pathSpecials) {
			last = i
		}
	}
	dir := strings.Join(parts[:last+1], string(filepath.Separator))
	link, err := aliasOf(dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{link}, parts[last+1:]...)...), nil
}

func aliasOf(dir string) (string, error) {
	aliases.Lock()
	defer aliases.Unlock()
	if l, ok := aliases.of[dir]; ok {
		return l, nil
	}
	if aliases.dir == "" {
		d, err := os.MkdirTemp("", "marginmix-paths-")
		if err != nil {
			return "", err
		}
		aliases.dir, aliases.of = d, map[string]string{}
	}
	l := filepath.Join(aliases.dir, strconv.Itoa(len(aliases.of)))
	if err := os.Symlink(dir, l); err != nil {
		return "", err
	}
	aliases.of[dir] = l
	return l, nil
}

// ReleasePathAliases removes the links plainPath made; a run calls it when
// it ends.
func ReleasePathAliases() {
	aliases.Lock()
	defer aliases.Unlock()
	if aliases.dir != "" {
		os.RemoveAll(aliases.dir)
	}
	aliases.dir, aliases.of = "", nil
}

// pathLiteral is an SQL string literal of plainPath(p), with glob (a
// pattern of marginmix's own, such as "*", "*.parquet") joined after it.
func pathLiteral(p string, glob ...string) (string, error) {
	pp, err := plainPath(p)
	if err != nil {
		return "", err
	}
	return Literal(filepath.Join(append([]string{pp}, glob...)...)), nil
}
