-- A step's vintages: the previous ones, less those of workbook versions read
-- again (within a backfill's scope), and this run's. A fact read again keeps
-- the sequence number of the run that first read it, so a rerun changes
-- nothing; identical rows become one.
CREATE OR REPLACE TEMP TABLE _chunk AS
SELECT * EXCLUDE (ingest_seq), min(ingest_seq) AS ingest_seq FROM (
    SELECT * FROM _prev
    WHERE NOT ((source_file, source_sha256) IN (SELECT (source_file, source_sha256) FROM _reread)
               AND (NOT $scoped OR (company IN (SELECT company FROM _scope) AND calendar_quarter BETWEEN $from AND $to)))
    UNION ALL
    SELECT n.* EXCLUDE (ingest_seq), coalesce(p.seq, n.ingest_seq) AS ingest_seq
    FROM _new AS n
    NATURAL LEFT JOIN (SELECT * EXCLUDE (ingest_seq), min(ingest_seq) AS seq FROM _prev GROUP BY ALL) AS p
) GROUP BY ALL
