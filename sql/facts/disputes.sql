-- Marks the vintages whose sources disagree: one key (company, segment,
-- metric, quarter, source_kind) read in one vintage (as_of, ingest_seq)
-- with values that differ beyond the precision they were written in. Two
-- values agree when they round to the same multiple of the coarser scale
-- among them (5,548 in millions and 5,548,000 in thousands agree; 5,548 and
-- 3,119 do not), in the same unit. facts carries the mark on the value it
-- publishes (latest.sql says which one wins); data_quality lists every
-- source value (conflicting_values).
CREATE OR REPLACE TEMP TABLE _chunk AS
SELECT * EXCLUDE (_vote) REPLACE (min(_vote) OVER v <> max(_vote) OVER v AS disputed)
FROM (
    SELECT *, unit || ':' || CAST(round(value / max(source_scale) OVER v) AS VARCHAR) AS _vote
    FROM _chunk
    WINDOW v AS (PARTITION BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq)
)
WINDOW v AS (PARTITION BY company, segment, metric, calendar_quarter, source_kind, as_of, ingest_seq)
