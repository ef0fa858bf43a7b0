-- One row per workbook version read this run. A workbook with no vintage
-- date gets the latest period it reports as its as_of (transform leaves
-- as_of empty when it streams facts). A discarded version has no row here,
-- so the join in new_facts.sql drops its facts.
CREATE OR REPLACE TABLE _sources AS
SELECT source_file, source_sha256, max(period_end) AS as_of_default
FROM shared.facts_new
WHERE (source_file, source_sha256) NOT IN (SELECT (source_file, source_sha256) FROM _discard)
GROUP BY ALL
