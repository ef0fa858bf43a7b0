-- Marks the vintages whose sources disagree: one key (company, segment,
-- metric, quarter, source_kind) read in one vintage (as_of, ingest_seq)
-- with values that differ beyond the precision they were written in. Two
-- values agree when they round to the same multiple of the coarser scale
-- among them (5,548 in millions and 5,548,000 in thousands agree; 5,548 and
-- 3,119 do not), in the same unit. facts carries the mark on the value it
-- publishes (latest.sql says which one wins); data_quality lists every
-- source value (conflicting_values). Only keys read more than once in a
-- vintage are compared: most are read once, and cost a hash aggregate.
CREATE OR REPLACE TEMP TABLE _multi AS
SELECT company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq, max(source_scale) AS coarse
FROM _chunk
GROUP BY ALL
HAVING count(*) > 1;
CREATE OR REPLACE TEMP TABLE _disputed AS
SELECT company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq
FROM _chunk
JOIN _multi USING (company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq)
GROUP BY ALL
HAVING count(DISTINCT unit || ':' || CAST(round(value / coarse) AS VARCHAR)) > 1;
UPDATE _chunk SET disputed = true
WHERE (company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq) IN (
    SELECT (company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq) FROM _disputed);
DROP TABLE _multi;
DROP TABLE _disputed;
