-- The tables a fact build starts from, besides shared.facts_new (this run's
-- facts, as read) and _prev_vintages (the previous publication's
-- facts_vintages, or an empty table of the same shape). load/facts.go fills
-- the first three. None is temporary: the build's steps run on several
-- connections at once, and a temporary table is one connection's.

-- Workbook versions whose facts in shared.facts_new are void: read, then
-- quarantined or changed while being read.
CREATE OR REPLACE TABLE _discard (source_file VARCHAR, source_sha256 VARCHAR);
-- Workbook versions read again this run: their earlier rows (in scope)
-- give way to this read.
CREATE OR REPLACE TABLE _reread (source_file VARCHAR, source_sha256 VARCHAR);
-- A backfill's companies; empty for a run.
CREATE OR REPLACE TABLE _scope (company VARCHAR);
-- Company and segment pairs with an estimate among their latest facts.
CREATE OR REPLACE TABLE _estimated (company VARCHAR, segment VARCHAR);
-- facts_preferred's rows for those pairs.
CREATE OR REPLACE TABLE _preferred_estimated AS
SELECT *, CAST(NULL AS INTEGER) AS ingest_seq, CAST(NULL AS BOOLEAN) AS disputed FROM shared.facts_new LIMIT 0;
