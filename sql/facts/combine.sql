-- A step's vintages: the previous ones, less those of workbook versions read
-- again (within a backfill's scope), and this run's. A fact read again is the
-- same vintage when its key, value, unit, source cell and as_of are the same
-- (fact.Vintage): it keeps the sequence number of the run that first read
-- it, so a rerun changes nothing, and takes this read's other columns (a
-- column added since is filled in). Identical rows become one. The rows are
-- stored in the fact datasets' order (fact.Order), so that both files of the
-- step are written from them without sorting again.
CREATE OR REPLACE TEMP TABLE _chunk AS
SELECT * EXCLUDE (ingest_seq, disputed), min(ingest_seq) AS ingest_seq, false AS disputed FROM (
    SELECT * FROM _prev
    WHERE NOT ((source_file, source_sha256) IN (SELECT (source_file, source_sha256) FROM _reread)
               AND (NOT $scoped OR (company IN (SELECT company FROM _scope) AND calendar_quarter BETWEEN $from AND $to)))
    UNION ALL BY NAME
    SELECT n.* EXCLUDE (ingest_seq), coalesce(p.seq, n.ingest_seq) AS ingest_seq
    FROM _new AS n
    LEFT JOIN (
        SELECT company, segment, metric, calendar_quarter, value, unit, source_kind, source_file, source_sheet, source_cell, source_sha256, as_of,
               min(ingest_seq) AS seq
        FROM _prev GROUP BY ALL
    ) AS p USING (company, segment, metric, calendar_quarter, value, unit, source_kind, source_file, source_sheet, source_cell, source_sha256, as_of)
) GROUP BY ALL
ORDER BY company, segment, metric, calendar_quarter, source_kind, as_of, source_file, source_sheet, source_cell, ingest_seq, source_sha256
