-- The tables a fact build starts from, besides facts_new (this run's facts,
-- as read) and _prev_vintages (the previous publication's facts_vintages,
-- or an empty table of the same shape). load/facts.go fills the first three.

-- Workbook versions whose facts in facts_new are void: read, then
-- quarantined or changed while being read.
CREATE OR REPLACE TEMP TABLE _discard (source_file VARCHAR, source_sha256 VARCHAR);
-- Workbook versions read again this run: their earlier rows (in scope)
-- give way to this read.
CREATE OR REPLACE TEMP TABLE _reread (source_file VARCHAR, source_sha256 VARCHAR);
-- A backfill's companies; empty for a run.
CREATE OR REPLACE TEMP TABLE _scope (company VARCHAR);
-- Company and segment pairs with an estimate among their latest facts.
CREATE OR REPLACE TEMP TABLE _estimated (company VARCHAR, segment VARCHAR);
-- facts_preferred's rows for those pairs.
CREATE OR REPLACE TABLE _preferred_estimated AS
SELECT *, CAST(NULL AS INTEGER) AS ingest_seq, CAST(NULL AS BOOLEAN) AS disputed FROM facts_new LIMIT 0;
