//go:build duckdb_arrow

package load

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"

	queries "github.com/marginmix/marginmix/sql"
)

// statement is one file of sql/facts: SQL with named parameters ($seq).
type statement struct {
	name   string   // the file name without .sql; names the step in errors
	sql    string   // without a trailing semicolon
	params []string // the parameter names it uses, sorted
}

// params are a statement's named parameters, by name without the $.
type params map[string]any

var (
	reParam   = regexp.MustCompile(`\$([a-z_][a-z0-9_]*)`)
	reComment = regexp.MustCompile(`--[^\n]*`)
)

var (
	statementsOnce sync.Once
	statements     map[string]statement
	statementsErr  error
)

// factStatement returns a statement of sql/facts by name.
func factStatement(name string) (statement, error) {
	statementsOnce.Do(func() { statements, statementsErr = readStatements(queries.FactsFS()) })
	if statementsErr != nil {
		return statement{}, statementsErr
	}
	s, ok := statements[name]
	if !ok {
		return statement{}, fmt.Errorf("sql/facts/%s.sql: no such statement", name)
	}
	return s, nil
}

func readStatements(fsys fs.FS) (map[string]statement, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	out := make(map[string]statement, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		s := statement{name: strings.TrimSuffix(n, ".sql"), sql: strings.TrimRight(string(b), "; \n\t\r")}
		seen := map[string]bool{}
		for _, m := range reParam.FindAllStringSubmatch(reComment.ReplaceAllString(s.sql, ""), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				s.params = append(s.params, m[1])
			}
		}
		sort.Strings(s.params)
		out[s.name] = s
	}
	return out, nil
}

// args turns p into the driver's named arguments. Every parameter the
// statement uses must be given and nothing else: duckdb-go binds a missing
// name by position, which would pass a wrong value without a word.
func (s statement) args(p params) ([]any, error) {
	given := make([]string, 0, len(p))
	for k := range p {
		given = append(given, k)
	}
	sort.Strings(given)
	if strings.Join(given, ",") != strings.Join(s.params, ",") {
		return nil, fmt.Errorf("sql/facts/%s.sql takes $%s, was given $%s", s.name,
			strings.Join(s.params, ", $"), strings.Join(given, ", $"))
	}
	out := make([]any, 0, len(p))
	for _, k := range given {
		out = append(out, sql.Named(k, p[k]))
	}
	return out, nil
}

// latestOf is latest.sql, the rule that picks a fact's latest vintage, as a
// query over a relation of vintages (a build step's, or the vintages known
// on an as-of date).
func latestOf(relation string) (string, error) {
	s, err := factStatement("latest")
	if err != nil {
		return "", err
	}
	return "WITH vintages AS (FROM " + relation + ") " + s.sql, nil
}

// execFact runs a statement of sql/facts; an error names the statement and
// where (a company range), when given.
func (d *DB) execFact(ctx context.Context, where, name string, p params) error {
	s, err := factStatement(name)
	if err != nil {
		return err
	}
	args, err := s.args(p)
	if err == nil {
		err = d.Exec(ctx, s.sql, args...)
	}
	if err == nil {
		return nil
	}
	if where != "" {
		return fmt.Errorf("%s, %s: %w", s.name, where, err)
	}
	return fmt.Errorf("%s: %w", s.name, err)
}

// queryFact runs a query of sql/facts.
func (d *DB) queryFact(ctx context.Context, name string, p params) (*sql.Rows, error) {
	s, err := factStatement(name)
	if err != nil {
		return nil, err
	}
	args, err := s.args(p)
	if err != nil {
		return nil, err
	}
	rows, err := d.conn.QueryContext(ctx, s.sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return rows, nil
}
