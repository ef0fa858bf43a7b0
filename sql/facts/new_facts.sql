-- This run's facts of one step (companies $lo to $hi, and segments $seg_lo
-- to $seg_hi when one company is split), with their vintage filled in and
-- the run's sequence number. A backfill ($scoped) keeps only its companies
-- and quarters $from to $to. The rows are stored in the fact datasets' order
-- (fact.Order): with no previous publication they are the step's vintages,
-- written as they are (load/facts.go's writeStep). Sorting here, as the
-- rows are made, cost a third of what a sort in each COPY did.
CREATE OR REPLACE TEMP TABLE _new AS
SELECT n.* REPLACE (coalesce(n.as_of, s.as_of_default) AS as_of),
       CAST($seq AS INTEGER) AS ingest_seq,
       false AS disputed -- set once the step's vintages are known (disputes.sql)
FROM shared.facts_new AS n
JOIN _sources AS s USING (source_file, source_sha256)
WHERE n.company BETWEEN $lo AND $hi
  AND ($seg_lo IS NULL OR n.segment BETWEEN $seg_lo AND $seg_hi)
  AND (NOT $scoped OR (n.company IN (SELECT company FROM _scope) AND n.calendar_quarter BETWEEN $from AND $to))
ORDER BY company, segment, metric, calendar_quarter, source_kind, as_of, source_file, source_sheet, source_cell, ingest_seq, source_sha256
