package lake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// commitTables commits one snapshot for each table whose files changed, all
// at once where the catalog can (a REST catalog's multi-table commit), else
// one table after another. It returns every table's snapshot after the run,
// changed or not.
func (l *Lake) commitTables(ctx context.Context, pub Publication, plans []*tablePlan, log *slog.Logger) (map[string]int64, error) {
	var txs []*table.Transaction
	var names []string
	for _, p := range plans {
		if len(p.add) == 0 && len(p.del) == 0 && p.schema == nil {
			continue
		}
		tx, err := l.stage(ctx, pub, p)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", p.name, err)
		}
		txs, names = append(txs, tx), append(names, p.name)
	}
	log.Info("committing tables", "tables", len(txs), "unchanged", len(plans)-len(txs))
	if err := l.commitAll(ctx, txs, names); err != nil {
		return nil, err
	}
	return l.currentSnapshots(ctx, plans)
}

// stage builds a table's transaction: new columns, then the files replaced.
func (l *Lake) stage(ctx context.Context, pub Publication, p *tablePlan) (*table.Transaction, error) {
	tx := p.tbl.NewTransaction()
	if p.schema != nil {
		if err := evolve(tx, p.schema); err != nil {
			return nil, err
		}
	}
	props := snapshotProps(pub, p)
	if len(p.del) == 0 {
		return tx, tx.AddFiles(ctx, p.add, props, false)
	}
	return tx, tx.ReplaceDataFiles(ctx, p.del, p.add, props)
}

// evolve adds the files' new columns to the table and maps them by name,
// since DuckDB's files carry no Iceberg field ids.
func evolve(tx *table.Transaction, sc *iceberg.Schema) error {
	u := tx.UpdateSchema(true, false).UnionByNameWith(sc)
	next, err := u.Apply()
	if err != nil {
		return err
	}
	if err := u.Commit(); err != nil {
		return err
	}
	mapping, err := json.Marshal(next.NameMapping())
	if err != nil {
		return err
	}
	return tx.SetProperties(iceberg.Properties{table.DefaultNameMappingKey: string(mapping)})
}

// snapshotProps is the run's summary plus the table's own rows.
func snapshotProps(pub Publication, p *tablePlan) iceberg.Properties {
	props := iceberg.Properties{PropRunID: pub.RunID, "marginmix.rows": strconv.FormatInt(p.rows, 10)}
	for k, v := range pub.Summary {
		props["marginmix."+k] = v
	}
	return props
}

func (l *Lake) commitAll(ctx context.Context, txs []*table.Transaction, names []string) error {
	if len(txs) == 0 {
		return nil
	}
	if _, ok := l.cat.(catalog.TransactionalCatalog); ok && len(txs) > 1 {
		m, err := catalog.NewMultiTableTransaction(l.cat)
		if err != nil {
			return err
		}
		for _, tx := range txs {
			if err := m.AddTransaction(tx); err != nil {
				return err
			}
		}
		if err := m.Commit(ctx); err != nil {
			return fmt.Errorf("commit %d tables: %w", len(txs), err)
		}
		return nil
	}
	for i, tx := range txs {
		if _, err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit table %s (%d of %d tables committed before it): %w", names[i], i, len(txs), err)
		}
	}
	return nil
}

func (l *Lake) currentSnapshots(ctx context.Context, plans []*tablePlan) (map[string]int64, error) {
	snaps := map[string]int64{}
	for _, p := range plans {
		tbl, err := l.cat.LoadTable(ctx, p.tbl.Identifier())
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", p.name, err)
		}
		if s := tbl.CurrentSnapshot(); s != nil {
			snaps[p.name] = s.SnapshotID
		}
	}
	return snaps, nil
}

// recordRun writes the run's record (each table's snapshot) and then names
// the run in the namespace: the step that makes the run the published one.
func (l *Lake) recordRun(ctx context.Context, runID string, snaps map[string]int64) error {
	b, err := json.MarshalIndent(runRecord{RunID: runID, Tables: snaps}, "", "  ")
	if err != nil {
		return err
	}
	if err := l.writeObject(l.location("_runs", runID, recordName), b); err != nil {
		return err
	}
	_, err = l.cat.UpdateNamespaceProperties(ctx, l.ns, nil, iceberg.Properties{
		PropRunID:    runID,
		PropRunsPath: l.location("_runs"),
	})
	if err != nil {
		return fmt.Errorf("catalog: name run %s in namespace %s: %w", runID, l.opts.Namespace, err)
	}
	return nil
}

func (l *Lake) writeObject(loc string, b []byte) error {
	return l.upload(loc, bytes.NewReader(b))
}

// Drifted reports whether a table has moved past the snapshot the published
// run recorded for it: a run was killed between its table commits and the
// run record. Publishing the pulled run again puts such tables back.
func (l *Lake) Drifted(ctx context.Context) (bool, error) {
	ctx = l.ctx(ctx)
	run, err := l.PublishedRun(ctx)
	if err != nil || run == "" {
		return false, err
	}
	rec, err := l.readRecord(run)
	if err != nil {
		return false, err
	}
	for name, snap := range rec.Tables {
		tbl, err := l.cat.LoadTable(ctx, append(slices.Clone(l.ns), name))
		if err != nil {
			return false, fmt.Errorf("table %s: %w", name, err)
		}
		if cur := tbl.CurrentSnapshot(); cur == nil || cur.SnapshotID != snap {
			return true, nil
		}
	}
	return false, nil
}
