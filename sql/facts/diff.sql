-- What a backfill --dry-run reports: the published facts (_published, the
-- latest vintages of the last publication) against the facts this run built,
-- within the backfill's scope. A fact whose value is the same both ways is
-- no change, wherever it came from.
WITH old AS (
    SELECT company, segment, metric, calendar_quarter, source_kind, value,
           source_file || ':' || source_cell AS cell
    FROM _published
    WHERE NOT $scoped OR (company IN (SELECT company FROM _scope) AND calendar_quarter BETWEEN $from AND $to)
), new AS (
    SELECT company, segment, metric, calendar_quarter, source_kind, value,
           source_file || ':' || source_cell AS cell
    FROM facts
    WHERE NOT $scoped OR (company IN (SELECT company FROM _scope) AND calendar_quarter BETWEEN $from AND $to)
)
SELECT CASE WHEN o.value IS NULL THEN 'added' WHEN n.value IS NULL THEN 'removed' ELSE 'changed' END AS kind,
       company, segment, metric, calendar_quarter, source_kind,
       o.value AS old_value, n.value AS new_value, coalesce(o.cell, '') AS old_cell, coalesce(n.cell, '') AS new_cell
FROM old AS o
FULL OUTER JOIN new AS n USING (company, segment, metric, calendar_quarter, source_kind)
WHERE o.value IS DISTINCT FROM n.value
ORDER BY company, segment, metric, calendar_quarter, source_kind
